#pragma once
// Scalar mathematics callable from host and device code, for float and double.
// sagips::math is the one spelling kernels and user theories use; dual.hpp adds overloads of the
// same names for sagips::autodiff::Dual, so a theory written once runs with either.

#include <Kokkos_Core.hpp>
#include <type_traits>

#include "sagips/core/config.hpp"

namespace sagips::math {

#define SAGIPS_MATH_UNARY(NAME, KNAME)                                        \
  KOKKOS_INLINE_FUNCTION float NAME(float x) { return kokkos_math::KNAME(x); } \
  KOKKOS_INLINE_FUNCTION double NAME(double x) { return kokkos_math::KNAME(x); }

SAGIPS_MATH_UNARY(exp, exp)
SAGIPS_MATH_UNARY(expm1, expm1)
SAGIPS_MATH_UNARY(log, log)
SAGIPS_MATH_UNARY(log1p, log1p)
SAGIPS_MATH_UNARY(sqrt, sqrt)
SAGIPS_MATH_UNARY(sin, sin)
SAGIPS_MATH_UNARY(cos, cos)
SAGIPS_MATH_UNARY(tanh, tanh)
SAGIPS_MATH_UNARY(erf, erf)
SAGIPS_MATH_UNARY(abs, fabs)
SAGIPS_MATH_UNARY(floor, floor)
SAGIPS_MATH_UNARY(ceil, ceil)
#undef SAGIPS_MATH_UNARY

KOKKOS_INLINE_FUNCTION float pow(float x, float y) { return kokkos_math::pow(x, y); }
KOKKOS_INLINE_FUNCTION double pow(double x, double y) { return kokkos_math::pow(x, y); }
KOKKOS_INLINE_FUNCTION float min(float a, float b) { return a < b ? a : b; }
KOKKOS_INLINE_FUNCTION double min(double a, double b) { return a < b ? a : b; }
KOKKOS_INLINE_FUNCTION float max(float a, float b) { return a < b ? b : a; }
KOKKOS_INLINE_FUNCTION double max(double a, double b) { return a < b ? b : a; }
KOKKOS_INLINE_FUNCTION bool isfinite(float x) { return kokkos_math::isfinite(x); }
KOKKOS_INLINE_FUNCTION bool isfinite(double x) { return kokkos_math::isfinite(x); }

// The value part of a scalar: the identity here, the real part for a Dual (dual.hpp).
template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
KOKKOS_INLINE_FUNCTION T value(T x) {
  return x;
}

// Numerically stable logistic function and softplus.
template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
KOKKOS_INLINE_FUNCTION T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + exp(-x));
  const T e = exp(x);
  return e / (T(1) + e);
}
template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
KOKKOS_INLINE_FUNCTION T softplus(T x) {
  return max(x, T(0)) + log1p(exp(-abs(x)));
}

}  // namespace sagips::math
