#pragma once
// The sagips::math functions for Dual numbers. Each is the chain rule with the function's own
// derivative, f(a) = f(a.v) + f'(a.v)·da; a two-argument function takes two Duals, or a Dual and a
// plain scalar in either order (the scalar converts to the Dual's value type).
//
// Conventions where a derivative is not defined (each one tested in tests/unit/core/test_dual.cpp):
//   - kinks: abs'(0) = 0; hypot and atan2 at (0, 0) have zero derivatives; min and max return the
//     first argument unless the second is strictly smaller (larger), derivatives included, so a tie
//     takes the first argument's derivatives;
//   - a finite value with an infinite slope: sqrt and cbrt at 0, asin and acos at ±1, acosh at 1,
//     pow(a, b) at a = 0 with 0 < b < 1 have derivative 0, so that the partials that do not depend
//     on the variable stay 0 instead of becoming inf·0 = NaN;
//   - pow(a, b) drops the b-derivative a^b·log a for a <= 0 (its limit at a = 0 is 0 for b > 0; for
//     a < 0 the real power exists only at integer b);
//   - floor and ceil are piecewise constant: derivative 0;
//   - outside a function's domain the value is NaN as for float and double (isfinite(Dual) reports
//     it) and the derivatives mean nothing; at a pole (log 0, atanh ±1, lgamma at 0, -1, ...) the
//     value is infinite and the derivatives infinite or NaN.
//
// The functions live in sagips::autodiff (found by ADL) and are also made visible in sagips::math,
// so sagips::math::atan(x) works for float, double and Dual alike.

#include <Kokkos_Core.hpp>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/math.hpp"

namespace sagips::autodiff {

template <class T, int N>
KOKKOS_INLINE_FUNCTION T value(const Dual<T, N>& a) {
  return a.v;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION bool isfinite(const Dual<T, N>& a) {
  bool ok = math::isfinite(a.v);
  for (int i = 0; i < N; ++i) ok = ok && math::isfinite(a.d[i]);
  return ok;
}

namespace detail {
// 1/s, or 0 where s = 0: the derivatives with an infinite slope at a finite value (see above).
template <class T>
KOKKOS_INLINE_FUNCTION T inverse_or_zero(T s) {
  return s == T(0) ? T(0) : T(1) / s;
}
// tanh' = 1/cosh^2 and sigmoid' = e/(1 + e)^2 with e = exp(-|x|): the forms 1 - tanh^2 and
// s(1 - s) cancel to few digits (none in the end) once tanh or s is close to 1.
template <class T>
KOKKOS_INLINE_FUNCTION T sech2(T x) {
  const T c = math::cosh(x);
  return T(1) / (c * c);
}
template <class T>
KOKKOS_INLINE_FUNCTION T sigmoid_slope(T x) {
  const T e = math::exp(-math::abs(x));
  return e / ((T(1) + e) * (T(1) + e));
}
}  // namespace detail

// ---- one argument: name, derivative at x = a.v (fx is the value f(x)) -------------------------
#define SAGIPS_DUAL_UNARY(NAME, DERIVATIVE)                        \
  template <class T, int N>                                        \
  KOKKOS_INLINE_FUNCTION Dual<T, N> NAME(const Dual<T, N>& a) {    \
    const T x = a.v;                                               \
    const T fx = math::NAME(x);                                    \
    return chain(a, fx, static_cast<T>(DERIVATIVE));               \
  }

// Exponentials and logarithms.
SAGIPS_DUAL_UNARY(exp, fx)
SAGIPS_DUAL_UNARY(expm1, math::exp(x))
SAGIPS_DUAL_UNARY(log, T(1) / x)
SAGIPS_DUAL_UNARY(log1p, T(1) / (T(1) + x))
SAGIPS_DUAL_UNARY(log10, T(0.434294481903251827651128918916605082) / x)  // 1/(x ln 10)
SAGIPS_DUAL_UNARY(log2, T(1.442695040888963407359924681001892137) / x)   // 1/(x ln 2)
// Roots.
SAGIPS_DUAL_UNARY(sqrt, T(0.5) * detail::inverse_or_zero(fx))
SAGIPS_DUAL_UNARY(cbrt, detail::inverse_or_zero(T(3) * fx * fx))
// Trigonometric; (1 - x)(1 + x) rather than 1 - x^2 keeps the digits near ±1.
SAGIPS_DUAL_UNARY(sin, math::cos(x))
SAGIPS_DUAL_UNARY(cos, -math::sin(x))
SAGIPS_DUAL_UNARY(tan, T(1) + fx * fx)
SAGIPS_DUAL_UNARY(asin, detail::inverse_or_zero(math::sqrt((T(1) - x) * (T(1) + x))))
SAGIPS_DUAL_UNARY(acos, -detail::inverse_or_zero(math::sqrt((T(1) - x) * (T(1) + x))))
SAGIPS_DUAL_UNARY(atan, T(1) / (T(1) + x * x))
// Hyperbolic; asinh's and acosh's forms do not overflow for large x.
SAGIPS_DUAL_UNARY(sinh, math::cosh(x))
SAGIPS_DUAL_UNARY(cosh, math::sinh(x))
SAGIPS_DUAL_UNARY(tanh, detail::sech2(x))
SAGIPS_DUAL_UNARY(asinh, T(1) / math::hypot(x, T(1)))
SAGIPS_DUAL_UNARY(acosh, detail::inverse_or_zero(math::sqrt(x - T(1)) * math::sqrt(x + T(1))))
SAGIPS_DUAL_UNARY(atanh, T(1) / ((T(1) - x) * (T(1) + x)))
// Error and gamma functions: erf' = 2/sqrt(pi) exp(-x^2), lgamma' = digamma, tgamma' = tgamma·digamma.
SAGIPS_DUAL_UNARY(erf, T(1.128379167095512573896158903121545172) * math::exp(-x * x))
SAGIPS_DUAL_UNARY(erfc, T(-1.128379167095512573896158903121545172) * math::exp(-x * x))
SAGIPS_DUAL_UNARY(lgamma, math::digamma(x))
SAGIPS_DUAL_UNARY(tgamma, fx * math::digamma(x))
SAGIPS_DUAL_UNARY(digamma, math::detail::trigamma(x))
// The rest.
SAGIPS_DUAL_UNARY(sigmoid, detail::sigmoid_slope(x))
SAGIPS_DUAL_UNARY(softplus, math::sigmoid(x))
SAGIPS_DUAL_UNARY(abs, x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)))
SAGIPS_DUAL_UNARY(fabs, x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)))
SAGIPS_DUAL_UNARY(floor, T(0))
SAGIPS_DUAL_UNARY(ceil, T(0))
#undef SAGIPS_DUAL_UNARY

// ---- two arguments ----------------------------------------------------------------------------
namespace detail {
// The chain rule for f(a, b): value fv, partial derivatives dfa and dfb.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> chain2(const Dual<T, N>& a, const Dual<T, N>& b, T fv, T dfa, T dfb) {
  Dual<T, N> r(fv);
  for (int i = 0; i < N; ++i) r.d[i] = dfa * a.d[i] + dfb * b.d[i];
  return r;
}
// d(a^b)/da = b·a^(b-1); 0 where the slope is infinite at a finite value (a = 0, 0 < b < 1).
template <class T>
KOKKOS_INLINE_FUNCTION T pow_da(T a, T b) {
  if (b == T(0) || (a == T(0) && b > T(0) && b < T(1))) return T(0);
  return b * math::pow(a, b - T(1));
}
// d(a^b)/db = a^b·log a, dropped for a <= 0.
template <class T>
KOKKOS_INLINE_FUNCTION T pow_db(T a, T a_pow_b) {
  return a > T(0) ? a_pow_b * math::log(a) : T(0);
}
// For hypot and atan2: h = hypot(a, b), zero derivatives at the kink h = 0.
template <class T>
KOKKOS_INLINE_FUNCTION T over(T x, T h) {
  return h == T(0) ? T(0) : x / h;
}
}  // namespace detail

// pow: d(a^b) = b·a^(b−1)·da + a^b·log(a)·db.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(const Dual<T, N>& a, detail::nondeduced<T> b) {
  return chain(a, math::pow(a.v, b), detail::pow_da(a.v, b));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(detail::nondeduced<T> a, const Dual<T, N>& b) {
  // The common case in theories (a coordinate to a parameter power): one log and one exp.
  if (a > T(0)) {
    const T la = math::log(a);
    const T p = math::exp(b.v * la);
    return chain(b, p, p * la);
  }
  return chain(b, math::pow(a, b.v), T(0));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(const Dual<T, N>& a, const Dual<T, N>& b) {
  const T p = math::pow(a.v, b.v);
  return detail::chain2(a, b, p, detail::pow_da(a.v, b.v), detail::pow_db(a.v, p));
}

// hypot(a, b) = sqrt(a^2 + b^2): d = (a·da + b·db) / h.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> hypot(const Dual<T, N>& a, const Dual<T, N>& b) {
  const T h = math::hypot(a.v, b.v);
  return detail::chain2(a, b, h, detail::over(a.v, h), detail::over(b.v, h));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> hypot(const Dual<T, N>& a, detail::nondeduced<T> b) {
  const T h = math::hypot(a.v, b);
  return chain(a, h, detail::over(a.v, h));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> hypot(detail::nondeduced<T> a, const Dual<T, N>& b) {
  const T h = math::hypot(a, b.v);
  return chain(b, h, detail::over(b.v, h));
}

// atan2(y, x), the angle of the point (x, y): d = (x·dy − y·dx) / (x^2 + y^2).
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> atan2(const Dual<T, N>& y, const Dual<T, N>& x) {
  const T h = math::hypot(x.v, y.v);
  return detail::chain2(y, x, math::atan2(y.v, x.v), detail::over(detail::over(x.v, h), h),
                        -detail::over(detail::over(y.v, h), h));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> atan2(const Dual<T, N>& y, detail::nondeduced<T> x) {
  const T h = math::hypot(x, y.v);
  return chain(y, math::atan2(y.v, x), detail::over(detail::over(x, h), h));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> atan2(detail::nondeduced<T> y, const Dual<T, N>& x) {
  const T h = math::hypot(x.v, y);
  return chain(x, math::atan2(y, x.v), -detail::over(detail::over(y, h), h));
}

// min/max: the first argument unless the second is strictly smaller (larger).
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> min(const Dual<T, N>& a, const Dual<T, N>& b) {
  return b.v < a.v ? b : a;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> max(const Dual<T, N>& a, const Dual<T, N>& b) {
  return a.v < b.v ? b : a;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> min(const Dual<T, N>& a, detail::nondeduced<T> b) {
  return min(a, Dual<T, N>(b));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> min(detail::nondeduced<T> a, const Dual<T, N>& b) {
  return min(Dual<T, N>(a), b);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> max(const Dual<T, N>& a, detail::nondeduced<T> b) {
  return max(a, Dual<T, N>(b));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> max(detail::nondeduced<T> a, const Dual<T, N>& b) {
  return max(Dual<T, N>(a), b);
}

}  // namespace sagips::autodiff

namespace sagips::math {
using autodiff::abs;
using autodiff::acos;
using autodiff::acosh;
using autodiff::asin;
using autodiff::asinh;
using autodiff::atan;
using autodiff::atan2;
using autodiff::atanh;
using autodiff::cbrt;
using autodiff::ceil;
using autodiff::cos;
using autodiff::cosh;
using autodiff::digamma;
using autodiff::erf;
using autodiff::erfc;
using autodiff::exp;
using autodiff::expm1;
using autodiff::fabs;
using autodiff::floor;
using autodiff::hypot;
using autodiff::isfinite;
using autodiff::lgamma;
using autodiff::log;
using autodiff::log10;
using autodiff::log1p;
using autodiff::log2;
using autodiff::max;
using autodiff::min;
using autodiff::pow;
using autodiff::sigmoid;
using autodiff::sin;
using autodiff::sinh;
using autodiff::softplus;
using autodiff::sqrt;
using autodiff::tan;
using autodiff::tanh;
using autodiff::tgamma;
using autodiff::value;
}  // namespace sagips::math
