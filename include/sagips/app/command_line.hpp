#pragma once
// The pieces of sagips::App's command line that need no App: the --version text, a program option's
// record (its key and its value as given or defaulted), the refusal of an exchange option the chosen
// strategy does not read, and JSON text that never throws on invalid UTF-8.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sagips/exchange/choice.hpp"
#include "sagips/exchange/config.hpp"
#include "sagips/options/option.hpp"
#include "sagips/runtime/utf8.hpp"
#include "sagips/version.hpp"

namespace sagips::app {

// "sagips 0.1.0; Kokkos 3.4.1; Open MPI 4.1.4" (--version).
inline std::string version_text() {
  std::string text = "sagips " SAGIPS_VERSION;
  for (const auto& [name, version] : versions())
    if (name != "sagips") text += "; " + name + " " + version;
  return text;
}

// A program option's key in summary.json's "program": its first long name, '-' as '_'.
inline std::string key_of(const CLI::Option& opt) {
  std::string name = opt.get_lnames().front();
  for (char& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

// An option's value as given, else its default as --help shows it ("" when it captured none).
inline std::string option_value(const CLI::Option& opt) {
  std::string value;
  if (opt.count() > 0)
    for (const auto& r : opt.results()) value += (value.empty() ? "" : " ") + r;
  else
    value = opt.get_default_str();
  return utf8::escape_invalid(value);
}

// An exchange option given on the command line (or in --config) that the chosen strategy does not
// read is a mistake the user should hear about: a CLI::ValidationError naming the options it reads.
// (--compression has its own refusal, which says why and lets "none" through: exchange/exchanger.hpp.)
template <class Strategies>
void refuse_unread_exchange_options(const CLI::App& cli, const exchange::Config& x) {
  const exchange::Reads reads = exchange::strategy_options<Strategies>(x.strategy);
  const auto compression = static_cast<std::uint32_t>(exchange::Reads::compression);
  for_each_option(x, [&](const auto& o) {
    const std::string flag = options::first_flag(o.flags);
    if (o.mark == 0 || o.mark == compression || exchange::holds(reads, o.mark) || cli.count(flag) == 0) return;
    const std::string listed = exchange::flags_read(reads);
    throw CLI::ValidationError(flag, "is not read by --strategy " + x.strategy +
                                         (listed.empty() ? " (it reads no exchange option)"
                                                         : " (it reads: " + listed + ")"));
  });
}

// JSON text for a file: invalid UTF-8 never makes the writer throw at the end of a run (every string
// that may hold a path is escaped already; this is the last line of defence).
inline std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sagips::app
