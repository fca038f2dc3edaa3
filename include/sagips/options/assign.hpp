#pragma once
// Setting options by key from JSON values, through a struct's option rows (options/option.hpp): what
// a hyper-parameter search does with a point {"lr_generator": 3e-4, "objective": "energy"}.
//
//   std::string why = options::assign(cfg, "beta1", 0.7);      // empty: set; else why not
//   options::assign_all(point, cfg, xcfg);                       // every key to the struct that has it
//
// A value of the wrong type, out of the row's range or not among an enumeration's names is refused
// with the row's own message, and the member keeps its value.

#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "sagips/options/option.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::options {

namespace detail {
template <class T, class Range>
std::string assign_row(const Option<T, Range>& o, const nlohmann::json& v) {
  using V = typename Option<T, Range>::value_type;
  if constexpr (std::is_const_v<T>) {
    return "the struct is const";
  } else {
    const V before = *o.value;
    if constexpr (std::is_same_v<V, bool>) {
      if (!v.is_boolean()) return v.dump() + " is not true or false";
      *o.value = v.get<bool>();
    } else if constexpr (std::is_enum_v<V>) {
      if (!v.is_string()) return v.dump() + " is not a name (choose " + o.range.listed() + ")";
      bool found = false;
      for (const auto& [name, value] : o.range.names)
        if (name == v.get<std::string>()) *o.value = value, found = true;
      if (!found) return v.dump() + " is not a " + std::string(o.range.what) + " (choose " + o.range.listed() + ")";
    } else if constexpr (std::is_integral_v<V>) {
      if (!v.is_number() || v.get<double>() != static_cast<double>(static_cast<long long>(v.get<double>())))
        return v.dump() + " is not a whole number";
      *o.value = static_cast<V>(v.get<long long>());
    } else if constexpr (std::is_floating_point_v<V>) {
      if (!v.is_number()) return v.dump() + " is not a number";
      *o.value = v.get<V>();
    } else if constexpr (std::is_same_v<V, std::string>) {
      if (!v.is_string()) return v.dump() + " is not text";
      *o.value = v.get<std::string>();
    } else {
      return "this option cannot be set from a search";
    }
    const std::string p = problem(o);
    if (!p.empty()) *o.value = before;
    return p;
  }
}
}  // namespace detail

// Whether C has an option with this key.
template <class C>
bool has_key(const C& c, const std::string& key) {
  bool found = false;
  for_each_option(c, [&](const auto& o) { found = found || key == o.key; });
  return found;
}

// Sets c's option `key` to v; the problem (empty: none).
template <class C>
std::string assign(C& c, const std::string& key, const nlohmann::json& v) {
  std::string problem = "no option '" + key + "'";
  for_each_option(c, [&](const auto& o) {
    if (key == o.key) problem = detail::assign_row(o, v);
  });
  return problem;
}

// Every key of `point` to the first of `structs` that has it; an Error names the first key no struct
// has or whose value is refused.
template <class... C>
void assign_all(const nlohmann::json& point, C&... structs) {
  for (const auto& [key, value] : point.items()) {
    std::string problem = "no option '" + key + "' (a search dimension is named by an option's key, as in summary.json)";
    bool done = false;
    auto one = [&](auto& c) {
      if (done || !has_key(c, key)) return;
      done = true;
      problem = assign(c, key, value);
    };
    (one(structs), ...);
    SAGIPS_REQUIRE(problem.empty(), key << ": " << problem);
  }
}

}  // namespace sagips::options
