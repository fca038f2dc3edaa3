#pragma once
// Strict input for options, on top of CLI11: the validators options/cli.hpp gives each declared option.
//
// CLI11 alone lets bad values through: "nan" passes every range check, a 64-bit integer out of range
// is clamped (or "-1" wraps to 2^64-1), "010" is octal, and its config-file reader ignores unknown
// keys and stray lines. This header adds
//  - number validators: the option's text is read completely (a whole decimal number for integer
//    options, a finite one for floating options) and checked against a range said in plain words;
//  - a check after parsing: a whole-struct validate() runs once every option holds its value.
// The ranges themselves are options/option.hpp's; the strict config-file reader (--config FILE) is
// options/config_file.hpp. CLI11 only, no Kokkos or MPI.

#include <CLI/CLI.hpp>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include "sagips/options/option.hpp"

namespace sagips::cli {

using options::at_least;
using options::check_integer;
using options::check_real;
using options::closed;
using options::format_real;
using options::half_open;
using options::IntRange;
using options::non_negative;
using options::positive;
using options::quote;
using options::RealRange;
using options::zero_or_at_least;

// ---------------------------------------------------------------------------------------------------
// Floating options

// In --help, after the type and before "=default": POSITIVE, NONNEGATIVE, [0,1], ...
inline std::string help_word(const std::string& described) {
  if (described == "> 0") return "POSITIVE";
  if (described == ">= 0") return "NONNEGATIVE";
  if (described.rfind("0 or ", 0) == 0) return "0|" + help_word(described.substr(5));
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
        if (!std::isfinite(v))
          return quote(text) + " is not a finite number" + (r.describe().empty() ? "" : ": must be " + r.describe());
        if (!r.contains(v)) return text + " is out of range: must be " + r.describe();
        return "";
      },
      help_word(r.describe()));
}

// ---------------------------------------------------------------------------------------------------
// Integer options: whole decimal numbers that fit the field and lie within [lo, hi]

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
// Enumerations: a name (in any case), never the enumerator's number

template <class E>
CLI::Validator names(options::Names<E> n) {
  std::string shown;
  for (const auto& entry : n.names) shown += (shown.empty() ? "" : "|") + entry.first;
  return CLI::Validator(
      [n](std::string& text) -> std::string {
        std::string lower = text;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (const auto& [name, value] : n.names)
          if (lower == name) {
            text = std::to_string(static_cast<long long>(value));  // what CLI11 reads into the enum
            return "";
          }
        return quote(text) + " is not a " + n.what + " (choose " + n.listed() + ")";
      },
      shown);
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

}  // namespace sagips::cli
