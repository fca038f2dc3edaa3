#pragma once
// Activation functions as tag types. Each has the value f(z) and its derivative written in terms of
// the output y = f(z), so a layer keeps only its outputs for the backward pass (no pre-activations).
// The one parameter `a` is LeakyRelu's slope for negative inputs (ignored by the others).
//
// The contract, which the built-ins below follow and a user's activation follows the same way (it is
// recognised by these members, not by a list):
//
//   struct Elu {
//     template <class T> KOKKOS_INLINE_FUNCTION static T apply(T z, T a);       // f(z); a: the slope
//     template <class T> KOKKOS_INLINE_FUNCTION static T derivative(T y, T a);  // f'(z), from y = f(z)
//   };
//
// for T = float and double. f must be invertible where its derivative varies (the derivative is read
// from the output alone). check_activation<A>() states each missing point as one static_assert
// sentence; a network checks every activation it is given.

#include <Kokkos_Core.hpp>
#include <type_traits>
#include <utility>

#include "sagips/core/math.hpp"

namespace sagips::nn {

struct Identity {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T) { return z; }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T, T) { return T(1); }
};

struct Relu {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T) { return z > T(0) ? z : T(0); }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T) { return y > T(0) ? T(1) : T(0); }
};

// max(z, a z) with 0 < a < 1 (default 0.2, the SAGIPS networks' value): the output keeps z's sign.
struct LeakyRelu {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T a) { return z > T(0) ? z : a * z; }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T a) { return y > T(0) ? T(1) : a; }
};

struct Tanh {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T) { return math::tanh(z); }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T) { return T(1) - y * y; }
};

struct Sigmoid {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T) { return math::sigmoid(z); }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T) { return y * (T(1) - y); }
};

// log(1 + e^z); its derivative sigmoid(z) equals 1 - e^{-y}.
struct Softplus {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T) { return math::softplus(z); }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T) { return -math::expm1(-y); }
};

namespace detail {
template <class A, class T, class = void>
struct has_apply : std::false_type {};
template <class A, class T>
struct has_apply<A, T, std::void_t<decltype(A::template apply<T>(std::declval<T>(), std::declval<T>()))>>
    : std::is_convertible<decltype(A::template apply<T>(std::declval<T>(), std::declval<T>())), T> {};
template <class A, class T, class = void>
struct has_derivative : std::false_type {};
template <class A, class T>
struct has_derivative<A, T, std::void_t<decltype(A::template derivative<T>(std::declval<T>(), std::declval<T>()))>>
    : std::is_convertible<decltype(A::template derivative<T>(std::declval<T>(), std::declval<T>())), T> {};
}  // namespace detail

// True for a type with the activation's two members (for float and double).
template <class A>
inline constexpr bool is_activation_v = detail::has_apply<A, float>::value && detail::has_apply<A, double>::value &&
                                        detail::has_derivative<A, float>::value &&
                                        detail::has_derivative<A, double>::value;

// Every point of the contract above, one sentence each. Returns true (usable in static_assert).
template <class A>
constexpr bool check_activation() {
  static_assert(detail::has_apply<A, float>::value && detail::has_apply<A, double>::value,
                "activation: needs `template <class T> KOKKOS_INLINE_FUNCTION static T apply(T z, T a)` (the value "
                "f(z), for float and double)");
  static_assert(detail::has_derivative<A, float>::value && detail::has_derivative<A, double>::value,
                "activation: needs `template <class T> KOKKOS_INLINE_FUNCTION static T derivative(T y, T a)` (f'(z) "
                "written in the output y = f(z), for float and double)");
  return true;
}

}  // namespace sagips::nn
