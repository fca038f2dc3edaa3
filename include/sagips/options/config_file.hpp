#pragma once
// The config file (--config FILE), read strictly on top of CLI11. CLI11's own reader ignores unknown
// keys and stray lines; this one accepts only `key = value` lines, blank lines, comments and the
// sections [exchange] and [program] (summary.json's nested records; their keys are options like any
// other), every key a known option (an unknown one is named with the closest known one). '_' and '-'
// are the same in keys, so both the flag's spelling (lr-generator) and summary.json's (lr_generator)
// work. A file that starts with '{' is JSON: summary.json itself (its "configuration") or one object
// of options, so a finished run's configuration is run again with --config its/summary.json. The
// values then pass each option's validators (options/validators.hpp) exactly as from the command line.
// CLI11 and nlohmann/json only, no Kokkos or MPI.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <cctype>
#include <cstddef>
#include <istream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sagips/options/validators.hpp"

namespace sagips::cli {

namespace detail {

inline std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

inline std::string dashed(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

// Levenshtein distance, over at most the first 64 characters of each (enough to suggest a name).
inline std::size_t edit_distance(const std::string& a0, const std::string& b0) {
  const std::string a = a0.substr(0, 64), b = b0.substr(0, 64);
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Whether two keys name the same option: '_' and '-' are the same.
inline bool same_key(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && !((a[i] == '_' || a[i] == '-') && (b[i] == '_' || b[i] == '-'))) return false;
  return true;
}

// The value after '=': a bare word up to a '#' comment, or a "basic" / 'literal' string. Returns
// the problem (empty: `value` holds it).
inline std::string parse_value(const std::string& raw, std::string& value) {
  const std::string v = trim(raw);
  if (v.empty()) return "no value after '='";
  const char q = v[0];
  if (q != '"' && q != '\'') {
    value = trim(v.substr(0, v.find('#')));
    if (value.empty()) return "no value after '='";
    if (value[0] == '[') return "lists are not supported: every option takes one value";
    return "";
  }
  value.clear();
  std::size_t i = 1;
  for (; i < v.size() && v[i] != q; ++i) {
    if (q == '"' && v[i] == '\\') {
      if (++i == v.size()) break;
      switch (v[i]) {
        case '"': value += '"'; break;
        case '\\': value += '\\'; break;
        case 't': value += '\t'; break;
        case 'n': value += '\n'; break;
        default: return "unknown escape sequence in " + quote(v);
      }
    } else {
      value += v[i];
    }
  }
  if (i >= v.size()) return "the string has no closing " + std::string(1, q);
  const std::string rest = trim(v.substr(i + 1));
  if (!rest.empty() && rest[0] != '#') return "unexpected " + quote(rest) + " after the string";
  return "";
}

// A flag's value: true or false (also yes/no, on/off, 1/0), rewritten as "true" or "false".
inline std::string parse_bool(std::string& value) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "true" || v == "yes" || v == "on" || v == "1") {
    value = "true";
  } else if (v == "false" || v == "no" || v == "off" || v == "0") {
    value = "false";
  } else {
    return "a flag takes true or false, not " + quote(value);
  }
  return "";
}

}  // namespace detail

// CLI11's reader of --config FILE, strict. Lines: `key = value`, blank, a comment (# or ;), or the
// section headers [exchange] and [program]; or one JSON object (above).
// Refused with the line number: another [section], any other line, a key that is no option of the app
// (the closest one is named), a key given twice, a flag whose value is not true/false. The values
// then go through each option's own validators, exactly as from the command line, and an option
// given on the command line keeps that value.
class ConfigFile : public CLI::ConfigBase {
 public:
  explicit ConfigFile(const CLI::App& app) : app_(&app) {}

  // A second key for an option (summary.json's name where it is not the flag's: data_file, ...).
  void add_key(const std::string& key, const std::string& option_name) {
    extra_keys_[key] = option_name;
  }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::string text((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // a UTF-8 byte-order mark
    Reading reading;
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{') {
      from_json(text, reading);
      return std::move(reading.items);
    }
    std::istringstream lines(text);
    std::string line, section;
    for (std::size_t number = 1; std::getline(lines, line); ++number) {
      const std::string where = "config file, line " + std::to_string(number);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string entry = detail::trim(line);
      if (entry.empty() || entry[0] == '#' || entry[0] == ';') continue;
      if (entry[0] == '[') {
        section = detail::trim(entry.substr(1, entry.find(']') == std::string::npos ? 0 : entry.find(']') - 1));
        if (entry.find(']') == std::string::npos || !is_section(section))
          throw CLI::ConfigError(where + ": unknown section " + quote(entry) +
                                 " (summary.json's [exchange] and [program] are read; write other options as "
                                 "`key = value` at the top level)");
        continue;
      }
      const auto eq = entry.find('=');
      if (eq == std::string::npos) throw CLI::ConfigError(where + ": expected `key = value`, found " + quote(entry));
      std::string value;
      const std::string problem = detail::parse_value(entry.substr(eq + 1), value);
      const std::string key = detail::trim(entry.substr(0, eq));
      if (key.empty()) throw CLI::ConfigError(where + ": no key before '='");
      if (!problem.empty()) throw CLI::ConfigError(where + ": " + quote(key) + ": " + problem);
      add(reading, key, std::move(value), where);
    }
    return std::move(reading.items);
  }

 private:
  // The sections a file may have: summary.json's nested records of options.
  static bool is_section(const std::string& name) { return name == "exchange" || name == "program"; }

  struct Reading {
    std::vector<CLI::ConfigItem> items;
    std::map<const CLI::Option*, std::string> first_place;  // where each option was set
  };

  // One `key = value`: the key must be an option a file may set, once; a flag takes true or false.
  void add(Reading& reading, const std::string& key, std::string value, const std::string& where) const {
    const auto fail = [&](const std::string& problem) { return CLI::ConfigError(where + ": " + problem); };
    const CLI::Option* opt = find(key);
    if (opt == nullptr) throw fail("unknown option " + quote(key) + closest(key));
    if (!opt->get_configurable() || opt == app_->get_help_ptr() || opt == app_->get_help_all_ptr())
      throw fail(quote(key) + " cannot be set in a config file");
    const auto [seen, fresh] = reading.first_place.emplace(opt, where);
    if (!fresh) {
      std::string earlier = seen->second;
      if (earlier.rfind("config file, ", 0) == 0) earlier.erase(0, 13);
      throw fail(quote(key) + " sets " + opt->get_name() + " again (already set on " + earlier + ")");
    }
    const bool flag = opt->get_expected_min() == 0;
    if (flag) {
      const std::string problem = detail::parse_bool(value);
      if (!problem.empty()) throw fail(quote(key) + ": " + problem);
    }
    CLI::ConfigItem item;
    item.name = matching_name(*opt, key);
    item.inputs = {std::move(value)};
    if (flag) {
      const auto& negated = opt->get_fnames();  // no_rma = true: rma is off
      const bool inverted = std::find(negated.begin(), negated.end(), item.name) != negated.end();
      item = flag_item(*opt, item.name, (item.inputs.front() == "true") != inverted);
    }
    reading.items.push_back(std::move(item));
  }

  // A JSON document: summary.json (its "configuration") or one object of options. Nested records
  // "exchange" and "program" hold options too; "data" is the data's identity, not an option.
  void from_json(const std::string& text, Reading& reading) const {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      throw CLI::ConfigError("config file: not a JSON object (a JSON config file is summary.json or one object of options)");
    const nlohmann::json& options = doc.contains("configuration") ? doc["configuration"] : doc;
    if (!options.is_object()) throw CLI::ConfigError("config file: \"configuration\" is not an object");
    for (auto it = options.begin(); it != options.end(); ++it) {
      if (it.value().is_object() && it.key() == "data") continue;
      if (it.value().is_object() && is_section(it.key())) {
        for (auto in = it.value().begin(); in != it.value().end(); ++in)
          add(reading, in.key(), json_value(in.value(), it.key() + "." + in.key()), "config file, key " + it.key() + "." + in.key());
        continue;
      }
      add(reading, it.key(), json_value(it.value(), it.key()), "config file, key " + it.key());
    }
  }

  static std::string json_value(const nlohmann::json& v, const std::string& key) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_number_float()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
      return buf;
    }
    throw CLI::ConfigError("config file, key " + key + ": " + (v.is_null() ? "null" : v.type_name()) +
                           " is not a value an option takes");
  }

  // Every long name of every option a file may set (what the suggestion chooses from).
  std::vector<std::string> known_keys() const {
    std::vector<std::string> keys;
    for (const CLI::Option* opt : app_->get_options())
      if (opt->get_configurable() && opt != app_->get_help_ptr() && opt != app_->get_help_all_ptr())
        for (const auto& name : opt->get_lnames()) keys.push_back(name);
    for (const auto& extra : extra_keys_)
      if (find(extra.first) != nullptr) keys.push_back(extra.first);
    return keys;
  }

  const CLI::Option* find(const std::string& key) const {
    std::string name = key;
    for (const auto& [extra, option_name] : extra_keys_)
      if (detail::same_key(extra, key)) name = option_name;
    for (const CLI::Option* opt : app_->get_options())
      for (const auto& lname : opt->get_lnames())
        if (detail::same_key(lname, name)) return opt;
    return nullptr;
  }

  // The long name CLI11 looks the item up by: the one the key spells (--no-rma inverts --rma).
  std::string matching_name(const CLI::Option& opt, const std::string& key) const {
    for (const auto& lname : opt.get_lnames())
      if (detail::same_key(lname, key)) return lname;
    return opt.get_lnames().front();
  }

  // The flag's option set to `on` (the key named `name`) as CLI11 reads it without a value: the
  // option's name that means `on` by itself (--rma for true, --no-rma for false) with "{}". CLI11
  // inverts a value given to a negated name, and refuses any value for an option with
  // disable_flag_override; only a flag without such a name gets "true"/"false" spelled out.
  static CLI::ConfigItem flag_item(const CLI::Option& opt, const std::string& name, bool on) {
    CLI::ConfigItem item;
    const auto& negated = opt.get_fnames();
    for (const auto& lname : opt.get_lnames())
      if ((std::find(negated.begin(), negated.end(), lname) != negated.end()) != on) {
        item.name = lname;
        item.inputs = {"{}"};
        return item;
      }
    item.name = name;
    item.inputs = {on ? "true" : "false"};
    return item;
  }

  // " (closest: 'steps')", in the key's own spelling (underscores when it used them).
  std::string closest(const std::string& key) const {
    const std::string k = detail::dashed(key);
    std::string best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const auto& candidate : known_keys()) {
      const std::size_t d = detail::edit_distance(k, detail::dashed(candidate));
      if (d < best_distance) best_distance = d, best = candidate;
    }
    if (best.empty()) return "";
    if (key.find('_') != std::string::npos) std::replace(best.begin(), best.end(), '-', '_');
    return " (closest: " + quote(best) + ")";
  }

  const CLI::App* app_;
  std::map<std::string, std::string> extra_keys_;  // key -> long option name
};

// The app's strict config-file reader, installed on first use.
inline ConfigFile& config_file(CLI::App& app) {
  auto current = std::dynamic_pointer_cast<ConfigFile>(app.get_config_formatter());
  if (!current) {
    current = std::make_shared<ConfigFile>(app);
    app.config_formatter(current);
  }
  return *current;
}

// --config FILE with the strict reader (command-line flags win over the file).
inline void add_config_option(CLI::App& app, const std::string& flag, const std::string& help) {
  config_file(app);
  app.set_config(flag, "", help);
}

}  // namespace sagips::cli
