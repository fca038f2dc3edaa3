#pragma once
// summary.json's record of a struct that declares its options (options/option.hpp): one member per
// row, under the row's key, in declaration order of meaning (enumerations by name, text escaped to
// valid UTF-8 so that a path of any bytes never makes the writer throw). `nlohmann::json j = cfg;`
// works for every such struct once this header is included.
//
//   options::to_json(cfg)                       every row
//   options::to_json(cfg, keep)                 the rows keep(row) accepts (exchange: what a strategy reads)
//   options::without_kind<C>(record, kind)      the record less C's rows of `kind` (the resume fingerprint)

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "sagips/options/option.hpp"
#include "sagips/runtime/utf8.hpp"

namespace sagips::options {

namespace detail {
struct keep_all {
  template <class O>
  bool operator()(const O&) const { return true; }
};

template <class T, class Range>
void write(nlohmann::json& j, const Option<T, Range>& o) {
  using V = typename Option<T, Range>::value_type;
  if constexpr (std::is_enum_v<V>) {
    const char* name = o.range.name_of(*o.value);
    j[o.key] = name != nullptr ? nlohmann::json(name) : nlohmann::json(static_cast<long long>(*o.value));
  } else if constexpr (std::is_same_v<V, std::string>) {
    j[o.key] = utf8::escape_invalid(*o.value);
  } else if constexpr (std::is_same_v<V, std::map<std::string, std::string>>) {
    if (o.value->empty()) return;  // a record only where there is something to record
    nlohmann::json& m = j[o.key] = nlohmann::json::object();
    for (const auto& [key, value] : *o.value) m[utf8::escape_invalid(key)] = utf8::escape_invalid(value);
  } else {
    j[o.key] = *o.value;
  }
}
}  // namespace detail

template <class C, class Keep = detail::keep_all>
nlohmann::json to_json(const C& c, Keep keep = {}) {
  static_assert(has_options_v<C>, "to_json: the struct declares its options with for_each_option (options/option.hpp)");
  nlohmann::json j = nlohmann::json::object();
  for_each_option(c, [&](const auto& o) {
    if (keep(o)) detail::write(j, o);
  });
  return j;
}

// `record` (a JSON object) without the keys of C's options of `kind`.
template <class C>
nlohmann::json without_kind(nlohmann::json record, Kind kind) {
  if (!record.is_object()) return record;
  for (const std::string& key : keys_of_kind<C>(kind)) record.erase(key);
  return record;
}

}  // namespace sagips::options

// nlohmann::json from any struct that declares its options.
namespace nlohmann {
template <class C>
struct adl_serializer<C, std::enable_if_t<sagips::options::has_options_v<C>>> {
  template <class Json>
  static void to_json(Json& j, const C& c) { j = sagips::options::to_json(c); }
};
}  // namespace nlohmann
