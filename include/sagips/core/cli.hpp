#pragma once
// Strict input for the option structs (train/config.hpp, exchange/config.hpp), on top of CLI11.
//
// CLI11 alone lets bad values through: "nan" passes every range check, a 64-bit integer out of range
// is clamped (or "-1" wraps to 2^64-1), "010" is octal, and its config-file reader ignores unknown
// keys and stray lines. This header adds
//  - number validators: the option's text is read completely (a whole decimal number for integer
//    options, a finite one for floating options) and checked against a range said in plain words;
//  - a check after parsing: a whole-struct validate() runs once every option holds its value;
//  - the config file (--config FILE): only `key = value` lines, blank lines and comments; every key a
//    known option (an unknown one is named with the closest known one); '_' and '-' are the same in
//    keys, so both the flag's spelling (lr-generator) and summary.json's (lr_generator) work.
// CLI11 only, no Kokkos or MPI: the config headers and the fuzz target use it on their own.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <istream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sagips::cli {

// ---------------------------------------------------------------------------------------------------
// Text helpers

// `text` as it may appear in an error message: non-printable bytes escaped, at most 40 characters.
inline std::string quote(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  for (; i < text.size() && out.size() < 40; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    }
  }
  if (i < text.size()) out += "...";
  return "'" + out + "'";
}

inline std::string format_real(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// ---------------------------------------------------------------------------------------------------
// Floating options: finite values in an interval

struct RealRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;

  bool contains(double v) const {
    return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
  // "> 0", ">= 0", "in [0, 1]", "in [0, 1)"; empty when any finite value will do.
  std::string describe() const {
    const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi)
      return std::string("in ") + (lo_open ? "(" : "[") + format_real(lo) + ", " + format_real(hi) +
             (hi_open ? ")" : "]");
    if (has_lo) return (lo_open ? "> " : ">= ") + format_real(lo);
    if (has_hi) return (hi_open ? "< " : "<= ") + format_real(hi);
    return "";
  }
};

inline RealRange positive() { return {0.0, std::numeric_limits<double>::infinity(), true, false}; }
inline RealRange non_negative() { return {0.0, std::numeric_limits<double>::infinity(), false, false}; }
inline RealRange closed(double lo, double hi) { return {lo, hi, false, false}; }
inline RealRange half_open(double lo, double hi) { return {lo, hi, false, true}; }  // [lo, hi)

namespace detail {
inline std::string not_finite(const std::string& shown, const RealRange& r) {
  return shown + " is not a finite number" + (r.describe().empty() ? "" : ": must be " + r.describe());
}
}  // namespace detail

// The problem with `v` (empty: none), in the words the command line uses.
inline std::string check_real(double v, const RealRange& r) {
  if (!std::isfinite(v)) return detail::not_finite(format_real(v), r);
  if (!r.contains(v)) return format_real(v) + " is out of range: must be " + r.describe();
  return "";
}

// In --help, after the type and before "=default": POSITIVE, NONNEGATIVE, [0,1], ...
inline std::string help_word(const std::string& described) {
  if (described == "> 0") return "POSITIVE";
  if (described == ">= 0") return "NONNEGATIVE";
  std::string word = described.rfind("in ", 0) == 0 ? described.substr(3) : described;
  word.erase(std::remove(word.begin(), word.end(), ' '), word.end());
  return word;
}

// A validator for a floating option: the whole text is a finite number within `r`.
inline CLI::Validator real(RealRange r) {
  return CLI::Validator(
      [r](std::string& text) -> std::string {
        // strtod would skip leading blanks; CLI11 reads the same grammar (strtold) afterwards.
        if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return quote(text) + " is not a number";
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size()) return quote(text) + " is not a number";
        if (!std::isfinite(v)) return detail::not_finite(quote(text), r);
        if (!r.contains(v)) return text + " is out of range: must be " + r.describe();
        return "";
      },
      help_word(r.describe()));
}

// ---------------------------------------------------------------------------------------------------
// Integer options: whole decimal numbers that fit the field and lie within [lo, hi]

template <class Int>
struct IntRange {
  static_assert(std::is_integral_v<Int> && !std::is_same_v<Int, bool>, "IntRange: an integer type");
  Int lo = std::numeric_limits<Int>::min();
  Int hi = std::numeric_limits<Int>::max();

  std::string full() const { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }
  // For --help: POSITIVE, NONNEGATIVE, >=5 when only the lower bound is the option's own.
  std::string describe() const {
    if (hi == std::numeric_limits<Int>::max()) {
      if (lo == std::numeric_limits<Int>::min()) return "";
      return lo == 1 ? "POSITIVE" : lo == 0 ? "NONNEGATIVE" : ">=" + std::to_string(lo);
    }
    return "[" + std::to_string(lo) + "," + std::to_string(hi) + "]";
  }
};

template <class Int>
IntRange<Int> at_least(Int lo) { return {lo, std::numeric_limits<Int>::max()}; }

namespace detail {

// Reads [+-]digits completely into sign and magnitude; false when the text is not such a number,
// `overflow` when the magnitude does not fit 64 bits.
inline bool parse_decimal(const std::string& text, bool& negative, std::uint64_t& magnitude, bool& overflow) {
  std::size_t i = 0;
  negative = false;
  overflow = false;
  magnitude = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    const auto d = static_cast<std::uint64_t>(text[i] - '0');
    if (magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / 10) overflow = true;
    if (!overflow) magnitude = magnitude * 10 + d;
  }
  return true;
}

// The value of sign and magnitude as Int, when it lies within [lo, hi].
template <class Int>
bool fits(bool negative, std::uint64_t magnitude, const IntRange<Int>& r, Int& out) {
  if (negative && magnitude != 0) {
    if constexpr (std::is_unsigned_v<Int>) {
      return false;
    } else {
      const auto limit = static_cast<std::uint64_t>(-(std::numeric_limits<Int>::min() + 1)) + 1;  // |min|
      if (magnitude > limit) return false;
      out = magnitude == limit ? std::numeric_limits<Int>::min() : static_cast<Int>(-static_cast<Int>(magnitude));
    }
  } else {
    if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) return false;
    out = static_cast<Int>(magnitude);
  }
  return out >= r.lo && out <= r.hi;
}

}  // namespace detail

// The problem with `v` (empty: none), for whole-struct checks.
template <class Int>
std::string check_integer(Int v, const IntRange<Int>& r) {
  if (v >= r.lo && v <= r.hi) return "";
  return std::to_string(v) + " is out of range: must be a whole number in " + r.full();
}

// A validator for an integer option: the whole text is a decimal integer within `r` (refused:
// fractions, exponents, values beyond the field's type). The text is rewritten in plain decimal
// so that CLI11's own conversion (which reads a leading 0 as octal) sees what was checked.
template <class Int>
CLI::Validator integer(IntRange<Int> r = {}) {
  return CLI::Validator(
      [r](std::string& text) -> std::string {
        bool negative = false, overflow = false;
        std::uint64_t magnitude = 0;
        if (!detail::parse_decimal(text, negative, magnitude, overflow))
          return quote(text) + " is not a whole number: must be a whole number in " + r.full();
        Int v{};
        if (overflow || !detail::fits(negative, magnitude, r, v))
          return quote(text) + " is out of range: must be a whole number in " + r.full();
        text = std::to_string(v);
        return "";
      },
      r.describe());
}

// ---------------------------------------------------------------------------------------------------
// Whole-struct checks after parsing

// Runs `check` once every option defined before this call holds its final value (from the command
// line or the config file); a non-empty answer is a CLI::ValidationError like any bad option. It is
// a hidden option that always runs (CLI11 runs option callbacks in definition order), so several
// option sets can each add their own without replacing the app's callback.
inline void check_after_parse(CLI::App& app, const std::string& name, std::function<std::string()> check) {
  app.add_option(
         "--" + name,
         [check](const CLI::results_t&) {
           const std::string problem = check();
           if (!problem.empty()) throw CLI::ValidationError(problem);
           return true;
         },
         "")
      ->force_callback()
      ->configurable(false)
      ->group("");
}

// ---------------------------------------------------------------------------------------------------
// The config file

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

// CLI11's reader of --config FILE, strict. Lines: `key = value`, blank, or a comment (# or ;).
// Refused with the line number: [sections], any other line, a key that is no option of the app
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
    std::vector<CLI::ConfigItem> read;
    std::map<const CLI::Option*, std::size_t> first_line;
    std::string line;
    for (std::size_t number = 1; std::getline(input, line); ++number) {
      const auto fail = [number](const std::string& problem) {
        return CLI::ConfigError("config file, line " + std::to_string(number) + ": " + problem);
      };
      if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a UTF-8 byte-order mark
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string text = detail::trim(line);
      if (text.empty() || text[0] == '#' || text[0] == ';') continue;
      if (text[0] == '[')
        throw fail("sections such as " + quote(text) +
                   " are not supported: write every option as `key = value` at the top level");
      const auto eq = text.find('=');
      if (eq == std::string::npos) throw fail("expected `key = value`, found " + quote(text));
      const std::string key = detail::trim(text.substr(0, eq));
      if (key.empty()) throw fail("no key before '='");
      const CLI::Option* opt = find(key);
      if (opt == nullptr) throw fail("unknown option " + quote(key) + closest(key));
      if (!opt->get_configurable() || opt == app_->get_help_ptr() || opt == app_->get_help_all_ptr())
        throw fail(quote(key) + " cannot be set in a config file");
      const auto [seen, fresh] = first_line.emplace(opt, number);
      if (!fresh)
        throw fail(quote(key) + " sets " + opt->get_name() + " again (already set on line " +
                   std::to_string(seen->second) + ")");
      std::string value;
      std::string problem = detail::parse_value(text.substr(eq + 1), value);
      const bool flag = opt->get_expected_min() == 0;
      if (problem.empty() && flag) problem = detail::parse_bool(value);
      if (!problem.empty()) throw fail(quote(key) + ": " + problem);
      CLI::ConfigItem item;
      item.name = matching_name(*opt, key);
      item.inputs = {std::move(value)};
      if (flag) {
        const auto& negated = opt->get_fnames();  // no_rma = true: rma is off
        const bool inverted = std::find(negated.begin(), negated.end(), item.name) != negated.end();
        item = flag_item(*opt, item.name, (item.inputs.front() == "true") != inverted);
      }
      read.push_back(std::move(item));
    }
    return read;
  }

 private:
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
