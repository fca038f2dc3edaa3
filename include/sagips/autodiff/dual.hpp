#pragma once
// Forward-mode dual numbers: Dual<T, N> carries a value and its N partial derivatives.
//
// A physics theory is written once as a template on its scalar type; evaluated with
// Dual<T, P> seeded by Dual::variable(p_i, i) it yields the density and its gradient with
// respect to the P parameters in one pass, inside any Kokkos kernel (host or device).
//
// Conventions at the points where a derivative is not defined:
//   abs'(0) = 0; min/max at a tie take the first argument's derivative;
//   pow(a, b) at a = 0 drops the b-derivative term (its limit a^b·log a is 0 for b > 0).
//
// The functions live in sagips::autodiff (found by ADL) and are also made visible in
// sagips::math, so sagips::math::exp(x) works for float, double and Dual alike.

#include <Kokkos_Core.hpp>
#include <type_traits>

#include "sagips/core/math.hpp"

namespace sagips::autodiff {

namespace detail {
template <class T>
struct identity {
  using type = T;
};
// A parameter of this type does not take part in template deduction (scalar operands of mixed
// Dual-scalar operations convert to the Dual's value type instead).
template <class T>
using nondeduced = typename identity<T>::type;
}  // namespace detail

template <class T, int N>
struct Dual {
  static_assert(std::is_floating_point_v<T>, "Dual<T, N>: T must be float or double");
  static_assert(N >= 1, "Dual<T, N>: N (the number of partial derivatives) must be at least 1");
  using value_type = T;
  static constexpr int size = N;

  T v;     // value
  T d[N];  // partial derivatives

  KOKKOS_INLINE_FUNCTION Dual() : v(0) {
    for (int i = 0; i < N; ++i) d[i] = 0;
  }
  // A constant: every derivative zero. Implicit so that literals and plain data mix in.
  KOKKOS_INLINE_FUNCTION Dual(T value) : v(value) {  // NOLINT(google-explicit-constructor)
    for (int i = 0; i < N; ++i) d[i] = 0;
  }
  // The i-th independent variable, with value x.
  KOKKOS_INLINE_FUNCTION static Dual variable(T x, int i) {
    Dual r(x);
    r.d[i] = T(1);
    return r;
  }

  KOKKOS_INLINE_FUNCTION Dual& operator+=(const Dual& b) {
    v += b.v;
    for (int i = 0; i < N; ++i) d[i] += b.d[i];
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator-=(const Dual& b) {
    v -= b.v;
    for (int i = 0; i < N; ++i) d[i] -= b.d[i];
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator*=(const Dual& b) {
    for (int i = 0; i < N; ++i) d[i] = d[i] * b.v + v * b.d[i];
    v *= b.v;
    return *this;
  }
  KOKKOS_INLINE_FUNCTION Dual& operator/=(const Dual& b) {
    const T inv = T(1) / b.v;
    v *= inv;
    for (int i = 0; i < N; ++i) d[i] = (d[i] - v * b.d[i]) * inv;
    return *this;
  }
};

template <class X>
struct is_dual : std::false_type {};
template <class T, int N>
struct is_dual<Dual<T, N>> : std::true_type {};
template <class X>
inline constexpr bool is_dual_v = is_dual<X>::value;

// The chain rule in one place: f(a) has value fv and derivative dfa = f'(a.v).
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> chain(const Dual<T, N>& a, T fv, T dfa) {
  Dual<T, N> r(fv);
  for (int i = 0; i < N; ++i) r.d[i] = dfa * a.d[i];
  return r;
}

// ---- arithmetic -------------------------------------------------------------------------------
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator+(const Dual<T, N>& a) {
  return a;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> operator-(const Dual<T, N>& a) {
  return chain(a, -a.v, T(-1));
}

#define SAGIPS_DUAL_BINARY(OP, OPASSIGN)                                                              \
  template <class T, int N>                                                                         \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator OP(Dual<T, N> a, const Dual<T, N>& b) {                \
    return a OPASSIGN b;                                                                            \
  }                                                                                                 \
  template <class T, int N>                                                                         \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator OP(Dual<T, N> a, detail::nondeduced<T> b) {            \
    return a OPASSIGN Dual<T, N>(b);                                                                \
  }                                                                                                 \
  template <class T, int N>                                                                         \
  KOKKOS_INLINE_FUNCTION Dual<T, N> operator OP(detail::nondeduced<T> a, const Dual<T, N>& b) {     \
    return Dual<T, N>(a) OPASSIGN b;                                                                \
  }
SAGIPS_DUAL_BINARY(+, +=)
SAGIPS_DUAL_BINARY(-, -=)
SAGIPS_DUAL_BINARY(*, *=)
SAGIPS_DUAL_BINARY(/, /=)
#undef SAGIPS_DUAL_BINARY

// Comparisons look at values only.
#define SAGIPS_DUAL_COMPARE(OP)                                                                  \
  template <class T, int N>                                                                    \
  KOKKOS_INLINE_FUNCTION bool operator OP(const Dual<T, N>& a, const Dual<T, N>& b) {          \
    return a.v OP b.v;                                                                         \
  }                                                                                            \
  template <class T, int N>                                                                    \
  KOKKOS_INLINE_FUNCTION bool operator OP(const Dual<T, N>& a, detail::nondeduced<T> b) {      \
    return a.v OP b;                                                                           \
  }                                                                                            \
  template <class T, int N>                                                                    \
  KOKKOS_INLINE_FUNCTION bool operator OP(detail::nondeduced<T> a, const Dual<T, N>& b) {      \
    return a OP b.v;                                                                           \
  }
SAGIPS_DUAL_COMPARE(<)
SAGIPS_DUAL_COMPARE(<=)
SAGIPS_DUAL_COMPARE(>)
SAGIPS_DUAL_COMPARE(>=)
SAGIPS_DUAL_COMPARE(==)
SAGIPS_DUAL_COMPARE(!=)
#undef SAGIPS_DUAL_COMPARE

// ---- elementary functions ---------------------------------------------------------------------
template <class T, int N>
KOKKOS_INLINE_FUNCTION T value(const Dual<T, N>& a) {
  return a.v;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> exp(const Dual<T, N>& a) {
  const T e = math::exp(a.v);
  return chain(a, e, e);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> expm1(const Dual<T, N>& a) {
  return chain(a, math::expm1(a.v), math::exp(a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> log(const Dual<T, N>& a) {
  return chain(a, math::log(a.v), T(1) / a.v);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> log1p(const Dual<T, N>& a) {
  return chain(a, math::log1p(a.v), T(1) / (T(1) + a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sqrt(const Dual<T, N>& a) {
  const T s = math::sqrt(a.v);
  return chain(a, s, s > T(0) ? T(0.5) / s : T(0));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sin(const Dual<T, N>& a) {
  return chain(a, math::sin(a.v), math::cos(a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> cos(const Dual<T, N>& a) {
  return chain(a, math::cos(a.v), -math::sin(a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> tanh(const Dual<T, N>& a) {
  const T t = math::tanh(a.v);
  return chain(a, t, T(1) - t * t);
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> erf(const Dual<T, N>& a) {
  const T two_over_sqrt_pi = T(1.1283791670955125738961589);
  return chain(a, math::erf(a.v), two_over_sqrt_pi * math::exp(-a.v * a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> sigmoid(const Dual<T, N>& a) {
  const T s = math::sigmoid(a.v);
  return chain(a, s, s * (T(1) - s));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> softplus(const Dual<T, N>& a) {
  return chain(a, math::softplus(a.v), math::sigmoid(a.v));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> abs(const Dual<T, N>& a) {
  return chain(a, math::abs(a.v), a.v > T(0) ? T(1) : (a.v < T(0) ? T(-1) : T(0)));
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION bool isfinite(const Dual<T, N>& a) {
  bool ok = math::isfinite(a.v);
  for (int i = 0; i < N; ++i) ok = ok && math::isfinite(a.d[i]);
  return ok;
}

// min/max: ties take the first argument.
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

// pow: d(a^b) = b·a^(b−1)·da + a^b·log(a)·db.
template <class T, int N>
KOKKOS_INLINE_FUNCTION Dual<T, N> pow(const Dual<T, N>& a, detail::nondeduced<T> b) {
  return chain(a, math::pow(a.v, b), b == T(0) ? T(0) : b * math::pow(a.v, b - T(1)));
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
  const T da = b.v == T(0) ? T(0) : b.v * math::pow(a.v, b.v - T(1));
  const T db = a.v > T(0) ? p * math::log(a.v) : T(0);
  Dual<T, N> r(p);
  for (int i = 0; i < N; ++i) r.d[i] = da * a.d[i] + db * b.d[i];
  return r;
}

}  // namespace sagips::autodiff

namespace sagips::math {
using autodiff::abs;
using autodiff::cos;
using autodiff::erf;
using autodiff::exp;
using autodiff::expm1;
using autodiff::isfinite;
using autodiff::log;
using autodiff::log1p;
using autodiff::max;
using autodiff::min;
using autodiff::pow;
using autodiff::sigmoid;
using autodiff::sin;
using autodiff::softplus;
using autodiff::sqrt;
using autodiff::tanh;
using autodiff::value;
}  // namespace sagips::math
