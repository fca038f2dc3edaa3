#pragma once
// One declaration per option. A configuration struct (train::TrainerConfig, exchange::Config, or a
// program's own) lists its options once, in a function found by argument-dependent lookup:
//
//   template <class C, class Visit>   // C: the struct, const or not
//   void for_each_option(C& c, Visit&& visit) {
//     const sagips::options::Section run{"Training run"};
//     visit(run.option(c.steps, "steps", "--steps", "training steps", sagips::options::at_least(1L)).operational());
//     ...
//   }
//
// Each row names the member, its key (summary.json's and a config file's name), its flags (as CLI11
// spells them), a help line, the values it takes (a range, a list of names, or any), whether it
// shapes the run (a resumed run must keep it) or only how the run is carried out, its --help group,
// and a mark of the owner's own (exchange: which strategies read it). Everything else is derived from
// the rows: validation here, the command line and config files (options/cli.hpp), summary.json and the
// resume fingerprint (options/json.hpp). This header needs neither CLI11 nor nlohmann/json.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sagips::options {

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
// The values an option takes

// Floating options: finite values in an interval.
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

// The problem with `v` (empty: none), in the words the command line uses.
inline std::string check_real(double v, const RealRange& r) {
  if (!std::isfinite(v))
    return format_real(v) + " is not a finite number" + (r.describe().empty() ? "" : ": must be " + r.describe());
  if (!r.contains(v)) return format_real(v) + " is out of range: must be " + r.describe();
  return "";
}

// Integer options: whole numbers within [lo, hi].
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

template <class Int>
std::string check_integer(Int v, const IntRange<Int>& r) {
  if (v >= r.lo && v <= r.hi) return "";
  return std::to_string(v) + " is out of range: must be a whole number in " + r.full();
}

// Enumerations: one of a few names (on the command line in any case), e.g. {"mode", {{"weak", Mode::weak}, ...}}.
template <class E>
struct Names {
  static_assert(std::is_enum_v<E>, "Names: an enumeration");
  const char* what = "";  // "mode": "'x' is not a mode (choose weak, strong or leader-broadcast)"
  std::vector<std::pair<std::string, E>> names;

  const char* name_of(E value) const {
    for (const auto& [name, v] : names)
      if (v == value) return name.c_str();
    return nullptr;
  }
  // "weak, strong or leader-broadcast"
  std::string listed() const {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
      out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i].first;
    return out;
  }
};

// Any value of the member's type (text, a flag, the program's record of its own options).
struct Any {};

// ---------------------------------------------------------------------------------------------------
// One option

// Whether a resumed run must keep an option: `shapes_run` (learning rates, seeds, the exchange
// schedule: they decide what the run computes) or `operational` (how many steps, where and how
// often to write, how long a collective may stall: they may change between a run and its resume).
enum class Kind { shapes_run, operational };

template <class T, class Range = Any>
struct Option {
  using value_type = std::remove_const_t<T>;
  T* value;                            // the member (const when describing a const struct)
  const char* key;                     // summary.json's and a config file's name: "lr_generator"
  const char* flags;                   // as CLI11 spells them: "--lr-generator", "--rma,!--no-rma"; "" none
  const char* help;                    // one line for --help
  Range range{};
  Kind kind = Kind::shapes_run;
  const char* group = "";              // --help's heading
  std::uint32_t mark = 0;              // the owner's own (exchange::Reads: the strategies that read it)

  Option operational() const {
    Option o = *this;
    o.kind = Kind::operational;
    return o;
  }
  Option marked(std::uint32_t m) const {
    Option o = *this;
    o.mark = m;
    return o;
  }
};

// Rows of one --help group, each of the group's kind unless said otherwise.
struct Section {
  const char* group;
  Kind kind = Kind::shapes_run;

  template <class T, class Range = Any>
  Option<T, Range> option(T& value, const char* key, const char* flags, const char* help, Range range = {}) const {
    return Option<T, Range>{&value, key, flags, help, std::move(range), kind, group, 0};
  }
};

// The problem with an option's current value (empty: none), without its name.
template <class T, class Range>
std::string problem(const Option<T, Range>& o) {
  using V = typename Option<T, Range>::value_type;
  if constexpr (std::is_same_v<Range, RealRange>) {
    return check_real(static_cast<double>(*o.value), o.range);
  } else if constexpr (std::is_same_v<Range, IntRange<V>>) {
    return check_integer(*o.value, o.range);
  } else if constexpr (std::is_enum_v<V>) {
    if (o.range.name_of(*o.value) == nullptr)
      return std::to_string(static_cast<long long>(*o.value)) + " is not a " + o.range.what + " (choose " +
             o.range.listed() + ")";
    return "";
  } else {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------------
// Derived from the rows

namespace detail {
template <class C, class = void>
struct has_options : std::false_type {};
struct ignore_rows {
  template <class O>
  void operator()(const O&) const {}
};
template <class C>
struct has_options<C, std::void_t<decltype(for_each_option(std::declval<C&>(), ignore_rows{}))>> : std::true_type {};
}  // namespace detail

// Whether C declares its options (a for_each_option(C&, visit) found by argument-dependent lookup).
template <class C>
inline constexpr bool has_options_v = detail::has_options<C>::value;

// The first option of `c` whose value is wrong, as "key: problem" with `prefix` before the key
// (empty: every value is allowed).
template <class C>
std::string first_problem(const C& c, const std::string& prefix = "") {
  static_assert(has_options_v<C>, "first_problem: the struct declares its options with for_each_option");
  std::string found;
  for_each_option(c, [&](const auto& o) {
    if (!found.empty()) return;
    const std::string p = problem(o);
    if (!p.empty()) found = prefix + o.key + ": " + p;
  });
  return found;
}

// The keys of C's options of `kind` (e.g. what the resume fingerprint leaves out).
template <class C>
std::vector<std::string> keys_of_kind(Kind kind) {
  std::vector<std::string> keys;
  const C c{};
  for_each_option(c, [&](const auto& o) {
    if (o.kind == kind) keys.push_back(o.key);
  });
  return keys;
}

// "--group-size" from "--group-size,--gs" or "--rma,!--no-rma": the option's first long flag.
inline std::string first_flag(const char* flags) {
  const std::string all = flags;
  return all.substr(0, all.find(','));
}

}  // namespace sagips::options
