#pragma once
// The command line and the config file of a struct that declares its options (options/option.hpp):
//
//   CLI::App app("my-solver");
//   sagips::train::TrainerConfig cfg;
//   sagips::options::add_options(app, cfg);   // every row: its flag, help, group, default, checks
//   app.parse(argc, argv);
//
// Each row becomes a CLI11 option whose text is checked as it is read (options/validators.hpp: whole
// numbers in range, finite reals in range, an enumeration's names in any case), with its default in
// --help; --config FILE reads the same options strictly (options/config_file.hpp), under the row's
// key as well as its flag; and once every option holds its value, the struct's validate() (found by
// argument-dependent lookup) checks what no single option can see. Rows without flags (a program's
// record of its own options) are not on the command line.

#include <CLI/CLI.hpp>
#include <string>
#include <type_traits>

#include "sagips/options/config_file.hpp"
#include "sagips/options/option.hpp"
#include "sagips/options/validators.hpp"

namespace sagips::options {

namespace detail {
// A value one flag can carry: a number, a flag, text or an enumeration (not a record of several).
template <class V>
inline constexpr bool is_command_line_value =
    std::is_arithmetic_v<V> || std::is_enum_v<V> || std::is_same_v<V, std::string>;

// The long name CLI11 gives the option of `flags` ("--rma,!--no-rma" -> "rma").
inline std::string long_name(const char* flags) { return first_flag(flags).substr(2); }

template <class T, class Range>
void add_one(CLI::App& app, const Option<T, Range>& o) {
  using V = typename Option<T, Range>::value_type;
  static_assert(!std::is_const_v<T>, "add_options: the struct must be writable");
  if constexpr (!is_command_line_value<V>) {
    return;  // a record (the program's own options), not an option
  } else {
  if (*o.flags == '\0') return;
  const std::string flags = o.flags;
  CLI::Option* opt = nullptr;
  if constexpr (std::is_same_v<V, bool>) {
    opt = app.add_flag(flags, *o.value, o.help);
    // A negatable flag takes no value (--no-rma=...): CLI11 reads one given to a negated name with
    // std::stoll and lets its out_of_range escape.
    if (flags.find('!') != std::string::npos) opt->disable_flag_override()->capture_default_str();
  } else {
    opt = app.add_option(flags, *o.value, o.help);
    if constexpr (std::is_same_v<Range, RealRange>) {
      opt->transform(cli::real(o.range))->capture_default_str();
    } else if constexpr (std::is_same_v<Range, IntRange<V>>) {
      opt->transform(cli::integer(o.range))->capture_default_str();
    } else if constexpr (std::is_enum_v<V>) {
      opt->transform(cli::names(o.range))->default_str(o.range.name_of(*o.value));
    } else {
      opt->capture_default_str();
    }
  }
  opt->group(o.group);
  // A config file may use the row's key (summary.json's name) where it is not the flag's.
  std::string dashed = o.key;
  for (char& ch : dashed)
    if (ch == '_') ch = '-';
  if (dashed != long_name(o.flags)) cli::config_file(app).add_key(o.key, long_name(o.flags));
  }
}
}  // namespace detail

// Adds every option of `c` to `app` (and, once per app, --config FILE).
template <class C>
void add_options(CLI::App& app, C& c) {
  static_assert(has_options_v<C>, "add_options: the struct declares its options with for_each_option (options/option.hpp)");
  if (app.get_config_ptr() == nullptr || app.get_config_ptr()->get_name().empty())
    cli::add_config_option(app, "--config", "read options from a TOML or INI file (command-line flags win)");
  for_each_option(c, [&app](const auto& o) { detail::add_one(app, o); });
  // What no single option can see, once every option holds its value.
  cli::check_after_parse(app, std::string("sagips-check-options-") + std::to_string(app.get_options().size()),
                         [&c] { return validate(c); });
}

}  // namespace sagips::options
