#pragma once
// Forward-mode dual numbers: Dual<T, N> carries a value and its N partial derivatives.
//
// A physics theory is written once as a template on its scalar type; evaluated with
// Dual<T, P> seeded by Dual::variable(p_i, i) it yields the density and its gradient with
// respect to the P parameters in one pass, inside any Kokkos kernel (host or device).
//
// This header holds the number and its arithmetic; autodiff/dual_math.hpp (included at the end)
// the functions of sagips::math for it, with the conventions where a derivative is not defined.

#include <Kokkos_Core.hpp>
#include <type_traits>

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

}  // namespace sagips::autodiff

// The elementary functions of a Dual (exp, log, pow, atan, lgamma, ...) and their conventions at
// non-differentiable points are in their own header; every user of Dual numbers gets them from here.
#include "sagips/autodiff/dual_math.hpp"
