#pragma once
// Activation functions as tag types. Each has the value f(z) and its derivative written in terms of
// the output y = f(z), so a layer keeps only its outputs for the backward pass (no pre-activations).
// The one parameter `a` is LeakyRelu's slope for negative inputs (ignored by the others).

#include <Kokkos_Core.hpp>

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

template <class A>
inline constexpr bool is_activation_v =
    std::is_same_v<A, Identity> || std::is_same_v<A, Relu> || std::is_same_v<A, LeakyRelu> ||
    std::is_same_v<A, Tanh> || std::is_same_v<A, Sigmoid> || std::is_same_v<A, Softplus>;

}  // namespace sagips::nn
