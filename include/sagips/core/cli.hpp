#pragma once
// Strict input for the option structs (train/config.hpp, exchange/config.hpp), on top of CLI11.
//
// CLI11 alone lets bad values through: "nan" passes every range check, a 64-bit integer out of range
// is clamped (or "-1" wraps to 2^64-1), "010" is octal, and its config-file reader ignores unknown
// keys and stray lines. This header adds
//  - number validators: the option's text is read completely (a whole decimal number for integer
//    options, a finite one for floating options) and checked against a range said in plain words;
//  - a check after parsing: a whole-struct validate() runs once every option holds its value.
// The strict config-file reader (--config FILE) is core/config_file.hpp.
// CLI11 only, no Kokkos or MPI: the config headers and the fuzz target use it on their own.

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
  bool or_zero = false;  // 0 is allowed too (an "off" value below the range)

  bool contains(double v) const {
    if (or_zero && v == 0) return true;
    return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
  // "> 0", ">= 0", "in [0, 1]", "in [0, 1)", "0 or >= 1"; empty when any finite value will do.
  std::string describe() const {
    if (or_zero) {
      RealRange range = *this;
      range.or_zero = false;
      return "0 or " + range.describe();
    }
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
inline RealRange zero_or_at_least(double lo) { return {lo, std::numeric_limits<double>::infinity(), false, false, true}; }

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

}  // namespace sagips::cli
