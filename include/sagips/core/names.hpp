#pragma once
// The one rule for the names a user's part answers to (a strategy, a loss, an optimizer: what
// --strategy, --loss, --generator-optimizer, summary.json and checkpoints call it): lower-case letters,
// digits and '-', starting with a letter or digit ("async-ring", "least-squares", "adam"). Each contract
// checks it at compile time with the two traits below.

#include <type_traits>

namespace sagips {

constexpr bool well_formed_name(const char* s) {
  if (s == nullptr || *s == '\0' || *s == '-') return false;
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return false;
  return true;
}

// X has `static constexpr const char* name` (has_static_name_v), and that name follows the rule.
template <class X, class = void>
inline constexpr bool has_static_name_v = false;
template <class X>
inline constexpr bool has_static_name_v<X, std::void_t<decltype(X::name)>> =
    std::is_convertible_v<std::remove_cv_t<decltype(X::name)>, const char*>;
namespace detail {
template <class X, bool Named = has_static_name_v<X>>
struct name_follows_rule : std::false_type {};
template <class X>
struct name_follows_rule<X, true> : std::bool_constant<well_formed_name(X::name)> {};
}  // namespace detail
template <class X>
inline constexpr bool well_named_v = detail::name_follows_rule<X>::value;

}  // namespace sagips
