#pragma once
// Scalar mathematics callable from host and device code, for float and double.
// sagips::math is the one spelling kernels and user theories use; autodiff/dual_math.hpp adds
// overloads of the same names for sagips::autodiff::Dual, so a theory written once runs with either.
//
//   exponentials, logarithms   exp expm1 log log1p log10 log2
//   powers                     pow sqrt cbrt hypot
//   trigonometric              sin cos tan asin acos atan atan2
//   hyperbolic                 sinh cosh tanh asinh acosh atanh
//   error and gamma functions  erf erfc lgamma tgamma digamma
//   the rest                   abs fabs min max floor ceil sigmoid softplus value isfinite
//
// Each is the <cmath> function of the same name (through Kokkos, so that it also runs on a GPU),
// except digamma, which Kokkos lacks and is written here, and sigmoid/softplus/value. Outside a
// function's domain the result is NaN, as <cmath> gives (log(-1), sqrt(-1), asin(2), ...); at the
// poles of lgamma and tgamma it is what <cmath> gives there; digamma is NaN at its poles 0, -1, ....
// Integer arguments compute in double, and mixed float/double arguments of the two-argument
// functions in the wider type, as <cmath> does.

#include <Kokkos_Core.hpp>
#include <type_traits>

#include "sagips/core/config.hpp"

namespace sagips::math {

namespace detail {
// Two arithmetic arguments that are not one floating type twice: promoted to a common float type.
template <class A, class B>
inline constexpr bool mixed_arithmetic =
    std::is_arithmetic_v<A> && std::is_arithmetic_v<B> && !std::is_same_v<A, long double> &&
    !std::is_same_v<B, long double> && !(std::is_same_v<A, B> && std::is_floating_point_v<A>);
template <class A, class B>
using promoted = std::conditional_t<std::is_floating_point_v<std::common_type_t<A, B>>,
                                    std::common_type_t<A, B>, double>;
}  // namespace detail

#define SAGIPS_MATH_UNARY(NAME, KNAME)                                                   \
  KOKKOS_INLINE_FUNCTION float NAME(float x) { return kokkos_math::KNAME(x); }          \
  KOKKOS_INLINE_FUNCTION double NAME(double x) { return kokkos_math::KNAME(x); }        \
  template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>                   \
  KOKKOS_INLINE_FUNCTION double NAME(I x) {                                              \
    return kokkos_math::KNAME(static_cast<double>(x));                                   \
  }

SAGIPS_MATH_UNARY(exp, exp)
SAGIPS_MATH_UNARY(expm1, expm1)
SAGIPS_MATH_UNARY(log, log)
SAGIPS_MATH_UNARY(log1p, log1p)
SAGIPS_MATH_UNARY(log10, log10)
SAGIPS_MATH_UNARY(log2, log2)
SAGIPS_MATH_UNARY(sqrt, sqrt)
SAGIPS_MATH_UNARY(cbrt, cbrt)
SAGIPS_MATH_UNARY(sin, sin)
SAGIPS_MATH_UNARY(cos, cos)
SAGIPS_MATH_UNARY(tan, tan)
SAGIPS_MATH_UNARY(asin, asin)
SAGIPS_MATH_UNARY(acos, acos)
SAGIPS_MATH_UNARY(atan, atan)
SAGIPS_MATH_UNARY(sinh, sinh)
SAGIPS_MATH_UNARY(cosh, cosh)
SAGIPS_MATH_UNARY(tanh, tanh)
SAGIPS_MATH_UNARY(asinh, asinh)
SAGIPS_MATH_UNARY(acosh, acosh)
SAGIPS_MATH_UNARY(atanh, atanh)
SAGIPS_MATH_UNARY(erf, erf)
SAGIPS_MATH_UNARY(erfc, erfc)
SAGIPS_MATH_UNARY(lgamma, lgamma)
SAGIPS_MATH_UNARY(tgamma, tgamma)
SAGIPS_MATH_UNARY(abs, fabs)
SAGIPS_MATH_UNARY(fabs, fabs)
SAGIPS_MATH_UNARY(floor, floor)
SAGIPS_MATH_UNARY(ceil, ceil)
#undef SAGIPS_MATH_UNARY

#define SAGIPS_MATH_BINARY(NAME, KNAME)                                                          \
  KOKKOS_INLINE_FUNCTION float NAME(float a, float b) { return kokkos_math::KNAME(a, b); }      \
  KOKKOS_INLINE_FUNCTION double NAME(double a, double b) { return kokkos_math::KNAME(a, b); }   \
  template <class A, class B, std::enable_if_t<detail::mixed_arithmetic<A, B>, int> = 0>        \
  KOKKOS_INLINE_FUNCTION detail::promoted<A, B> NAME(A a, B b) {                                 \
    using P = detail::promoted<A, B>;                                                            \
    return kokkos_math::KNAME(static_cast<P>(a), static_cast<P>(b));                             \
  }

SAGIPS_MATH_BINARY(pow, pow)
SAGIPS_MATH_BINARY(hypot, hypot)
SAGIPS_MATH_BINARY(atan2, atan2)
#undef SAGIPS_MATH_BINARY

// min and max return the first argument unless the second is strictly smaller (larger): the same
// rule as the Dual overloads, so a tie (or a NaN) picks the same operand in every scalar type.
KOKKOS_INLINE_FUNCTION float min(float a, float b) { return b < a ? b : a; }
KOKKOS_INLINE_FUNCTION double min(double a, double b) { return b < a ? b : a; }
KOKKOS_INLINE_FUNCTION float max(float a, float b) { return a < b ? b : a; }
KOKKOS_INLINE_FUNCTION double max(double a, double b) { return a < b ? b : a; }
template <class A, class B, std::enable_if_t<detail::mixed_arithmetic<A, B>, int> = 0>
KOKKOS_INLINE_FUNCTION detail::promoted<A, B> min(A a, B b) {
  using P = detail::promoted<A, B>;
  return min(static_cast<P>(a), static_cast<P>(b));
}
template <class A, class B, std::enable_if_t<detail::mixed_arithmetic<A, B>, int> = 0>
KOKKOS_INLINE_FUNCTION detail::promoted<A, B> max(A a, B b) {
  using P = detail::promoted<A, B>;
  return max(static_cast<P>(a), static_cast<P>(b));
}

KOKKOS_INLINE_FUNCTION bool isfinite(float x) { return kokkos_math::isfinite(x); }
KOKKOS_INLINE_FUNCTION bool isfinite(double x) { return kokkos_math::isfinite(x); }

// ---- digamma ----------------------------------------------------------------------------------
// psi(x) = d/dx log Gamma(x), the derivative of lgamma, which the Dual lgamma needs. Neither Kokkos
// nor <cmath> has it, so it is composed here from log, floor and tan (all available on devices):
// the recurrence psi(x) = psi(x + 1) - 1/x raises x to at least 10, where the asymptotic series
//   psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k)
// truncated after x^-12 is accurate to about 4e-16; negative x use the reflection formula
//   psi(x) = psi(1 - x) - pi / tan(pi x).
// trigamma psi'(x) is built the same way (it is the Dual digamma's derivative).
namespace detail {

inline constexpr double pi = 3.14159265358979323846264338327950288;

// A quiet NaN, spelled so that device code can use it (numeric_limits is host-only on CUDA unless
// relaxed constexpr is enabled).
template <class T>
KOKKOS_INLINE_FUNCTION T quiet_nan() {
  return T(0) / T(0);
}

template <class T>
KOKKOS_INLINE_FUNCTION T digamma_positive(T x) {
  T shift = 0;
  while (x < T(10)) {
    shift -= T(1) / x;
    x += T(1);
  }
  const T r = T(1) / (x * x);
  const T tail =
      r * (T(1) / 12 -
           r * (T(1) / 120 - r * (T(1) / 252 - r * (T(1) / 240 - r * (T(1) / 132 - r * (T(691) / 32760))))));
  return shift + kokkos_math::log(x) - T(0.5) / x - tail;
}

template <class T>
KOKKOS_INLINE_FUNCTION T trigamma_positive(T x) {
  T shift = 0;
  while (x < T(10)) {
    shift += T(1) / (x * x);
    x += T(1);
  }
  // psi'(x) ~ 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1), truncated after x^-15.
  const T r = T(1) / (x * x);
  const T tail =
      r / x *
      (T(1) / 6 -
       r * (T(1) / 30 -
            r * (T(1) / 42 - r * (T(1) / 30 - r * (T(5) / 66 - r * (T(691) / 2730 - r * (T(7) / 6)))))));
  return shift + T(1) / x + T(0.5) * r + tail;
}

template <class T>
KOKKOS_INLINE_FUNCTION T digamma(T x) {
  if (x > T(0)) return digamma_positive(x);
  if (!(x <= T(0))) return x;  // NaN
  // tan has period pi, so the fractional part f of x serves and keeps tan's argument small.
  const T f = x - kokkos_math::floor(x);
  if (f == T(0)) return quiet_nan<T>();  // a pole: +inf on one side, -inf on the other
  return digamma_positive(T(1) - x) - T(pi) / kokkos_math::tan(T(pi) * f);
}

template <class T>
KOKKOS_INLINE_FUNCTION T trigamma(T x) {
  if (x > T(0)) return trigamma_positive(x);
  if (!(x <= T(0))) return x;  // NaN
  // psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x); +inf at the poles, the limit from either side.
  const T s = kokkos_math::sin(T(pi) * (x - kokkos_math::floor(x)));
  return T(pi * pi) / (s * s) - trigamma_positive(T(1) - x);
}

}  // namespace detail

KOKKOS_INLINE_FUNCTION float digamma(float x) { return detail::digamma(x); }
KOKKOS_INLINE_FUNCTION double digamma(double x) { return detail::digamma(x); }
template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
KOKKOS_INLINE_FUNCTION double digamma(I x) {
  return detail::digamma(static_cast<double>(x));
}

// ---- helpers ----------------------------------------------------------------------------------
// The value part of a scalar: the identity here, the real part for a Dual (dual_math.hpp).
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
