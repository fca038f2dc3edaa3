#pragma once
// The functions of sagips::math under test, callable with any scalar type on the host and in Kokkos
// kernels, with the standard library's values beside them and the points where each is checked:
// one table for test_dual.cpp (values and derivatives on the host) and test_dual_kernel.cpp (the
// same calls inside a kernel; NaN outside the domain).
#include <Kokkos_Core.hpp>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>
#include <sagips/autodiff/dual.hpp>

namespace math_cases {

using sagips::autodiff::Dual;
namespace m = sagips::math;

inline constexpr double pi = 3.14159265358979323846;

// float for float and Dual<float, N>; double for double and Dual<double, N>.
template <class S>
struct value_of {
  using type = S;
};
template <class T, int N>
struct value_of<Dual<T, N>> {
  using type = T;
};

// ---- the functions under test, callable with any scalar type, on the host and in kernels -------
enum Unary {
  Exp, Expm1, Log, Log1p, Log10, Log2, Sqrt, Cbrt, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh,
  Asinh, Acosh, Atanh, Erf, Erfc, Lgamma, Tgamma, Digamma, Sigmoid, Softplus, Abs, Fabs, Floor, Ceil,
  num_unary
};

template <class S>
KOKKOS_INLINE_FUNCTION S unary(int f, const S& x) {
  switch (f) {
    case Exp: return m::exp(x);
    case Expm1: return m::expm1(x);
    case Log: return m::log(x);
    case Log1p: return m::log1p(x);
    case Log10: return m::log10(x);
    case Log2: return m::log2(x);
    case Sqrt: return m::sqrt(x);
    case Cbrt: return m::cbrt(x);
    case Sin: return m::sin(x);
    case Cos: return m::cos(x);
    case Tan: return m::tan(x);
    case Asin: return m::asin(x);
    case Acos: return m::acos(x);
    case Atan: return m::atan(x);
    case Sinh: return m::sinh(x);
    case Cosh: return m::cosh(x);
    case Tanh: return m::tanh(x);
    case Asinh: return m::asinh(x);
    case Acosh: return m::acosh(x);
    case Atanh: return m::atanh(x);
    case Erf: return m::erf(x);
    case Erfc: return m::erfc(x);
    case Lgamma: return m::lgamma(x);
    case Tgamma: return m::tgamma(x);
    case Digamma: return m::digamma(x);
    case Sigmoid: return m::sigmoid(x);
    case Softplus: return m::softplus(x);
    case Abs: return m::abs(x);
    case Fabs: return m::fabs(x);
    case Floor: return m::floor(x);
    case Ceil: return m::ceil(x);
  }
  return x;
}

// The standard library's value, in the argument's type (digamma has none: test_math.cpp checks it
// against closed forms and this file against finite differences of std::lgamma).
template <class R>
R reference(int f, R x) {
  switch (f) {
    case Exp: return std::exp(x);
    case Expm1: return std::expm1(x);
    case Log: return std::log(x);
    case Log1p: return std::log1p(x);
    case Log10: return std::log10(x);
    case Log2: return std::log2(x);
    case Sqrt: return std::sqrt(x);
    case Cbrt: return std::cbrt(x);
    case Sin: return std::sin(x);
    case Cos: return std::cos(x);
    case Tan: return std::tan(x);
    case Asin: return std::asin(x);
    case Acos: return std::acos(x);
    case Atan: return std::atan(x);
    case Sinh: return std::sinh(x);
    case Cosh: return std::cosh(x);
    case Tanh: return std::tanh(x);
    case Asinh: return std::asinh(x);
    case Acosh: return std::acosh(x);
    case Atanh: return std::atanh(x);
    case Erf: return std::erf(x);
    case Erfc: return std::erfc(x);
    case Lgamma: return std::lgamma(x);
    case Tgamma: return std::tgamma(x);
    case Sigmoid: return R(1) / (R(1) + std::exp(-x));
    case Softplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Abs: return std::abs(x);
    case Fabs: return std::fabs(x);
    case Floor: return std::floor(x);
    case Ceil: return std::ceil(x);
  }
  return std::numeric_limits<R>::quiet_NaN();
}

struct UnaryCase {
  Unary f;
  const char* name;
  std::vector<double> points;  // where value and derivative are checked
  std::vector<double> edges;   // where the function or its derivative is singular: steps stay clear
  std::vector<double> outside; // points outside the domain: the value is NaN there
};

inline const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases = {
      {Exp, "exp", {-30, -1, 0, 0.5, 3, 50}, {}, {}},
      {Expm1, "expm1", {-20, -1e-6, 0, 1e-8, 0.7, 10}, {}, {}},
      {Log, "log", {1e-6, 1e-3, 0.5, 1, 7, 1e8}, {0}, {-1, -1e-30}},
      {Log1p, "log1p", {-0.999, -0.5, -1e-7, 0, 1e-9, 3, 1e6}, {-1}, {-1.5}},
      {Log10, "log10", {1e-5, 0.3, 1, 20, 1e9}, {0}, {-2}},
      {Log2, "log2", {1e-5, 0.3, 1, 20, 1e9}, {0}, {-2}},
      {Sqrt, "sqrt", {1e-8, 1e-3, 0.25, 2, 1e6}, {0}, {-1e-10, -4}},
      {Cbrt, "cbrt", {-8, -1e-6, 1e-6, 0.5, 27, 1e9}, {0}, {}},
      {Sin, "sin", {-3, -0.5, 0, 0.9, 2, 100}, {}, {}},
      {Cos, "cos", {-3, -0.5, 0, 0.9, 2, 100}, {}, {}},
      {Tan, "tan", {-1.5, -0.3, 0, 0.8, 1.5, 3}, {-pi / 2, pi / 2, 3 * pi / 2}, {}},
      {Asin, "asin", {-0.999, -0.5, 0, 1e-5, 0.7, 0.999}, {-1, 1}, {-1.5, 1.001}},
      {Acos, "acos", {-0.999, -0.5, 0, 1e-5, 0.7, 0.999}, {-1, 1}, {-1.5, 1.001}},
      {Atan, "atan", {-1e6, -50, -1, 0, 0.3, 2, 1e3, 1e6}, {}, {}},
      {Sinh, "sinh", {-20, -1, 0, 1e-5, 0.8, 30}, {}, {}},
      {Cosh, "cosh", {-20, -1, 0, 1e-5, 0.8, 30}, {}, {}},
      {Tanh, "tanh", {-12, -1, 0, 0.3, 2, 8}, {}, {}},
      {Asinh, "asinh", {-1e8, -3, 0, 0.4, 10, 1e200}, {}, {}},
      {Acosh, "acosh", {1.001, 1.5, 3, 1e3, 1e200}, {1}, {0.5, -2}},
      {Atanh, "atanh", {-0.999, -0.5, 0, 0.2, 0.999}, {-1, 1}, {-1.5, 2}},
      {Erf, "erf", {-3.5, -1, -1e-4, 0, 0.3, 2, 3.5}, {}, {}},
      {Erfc, "erfc", {-2, 0, 0.5, 3, 10, 25}, {}, {}},
      {Lgamma, "lgamma", {-2.5, -0.5, 1e-3, 0.5, 1, 1.4616, 2, 3.7, 20, 1e5}, {0, -1, -2, -3}, {}},
      {Tgamma, "tgamma", {-2.5, -0.5, 1e-3, 0.5, 1, 1.4616, 3.7, 20, 150}, {0, -1, -2, -3}, {-1, -2}},
      {Digamma, "digamma", {-2.5, -0.5, 1e-3, 0.5, 1, 3.7, 9.99, 10.01, 20, 1e5}, {0, -1, -2, -3}, {0, -1, -4}},
      {Sigmoid, "sigmoid", {-40, -3, 0, 0.5, 3, 20}, {}, {}},
      {Softplus, "softplus", {-40, -3, 0, 0.5, 3, 20}, {}, {}},
      {Abs, "abs", {-7, -1e-3, 1e-3, 2}, {0}, {}},
      {Fabs, "fabs", {-7, -1e-3, 1e-3, 2}, {0}, {}},
      {Floor, "floor", {-2.5, -0.3, 0.3, 4.7}, {-3, -2, -1, 0, 1, 4, 5}, {}},
      {Ceil, "ceil", {-2.5, -0.3, 0.3, 4.7}, {-3, -2, -1, 0, 1, 4, 5}, {}},
  };
  return cases;
}

// ---- two-argument functions ---------------------------------------------------------------------
enum Binary { Pow, Hypot, Atan2, Min, Max, num_binary };

template <class A, class B>
KOKKOS_INLINE_FUNCTION auto binary(int f, const A& a, const B& b) {
  using R = decltype(m::pow(a, b));
  switch (f) {
    case Pow: return R(m::pow(a, b));
    case Hypot: return R(m::hypot(a, b));
    case Atan2: return R(m::atan2(a, b));
    case Min: return R(m::min(a, b));
    case Max: return R(m::max(a, b));
  }
  return R(a);
}

template <class R>
R reference2(int f, R a, R b) {
  switch (f) {
    case Pow: return std::pow(a, b);
    case Hypot: return std::hypot(a, b);
    case Atan2: return std::atan2(a, b);
    case Min: return std::fmin(a, b);
    case Max: return std::fmax(a, b);
  }
  return std::numeric_limits<R>::quiet_NaN();
}

struct BinaryCase {
  Binary f;
  const char* name;
  std::vector<std::pair<double, double>> points;
};

inline const std::vector<BinaryCase>& binary_cases() {
  static const std::vector<BinaryCase> cases = {
      {Pow, "pow", {{0.6, 2.3}, {2.0, -1.5}, {1e-3, 0.5}, {7.0, 1e-9}, {1.7, 10.0}, {0.5, -3.0}, {30.0, 0.3}}},
      {Hypot, "hypot", {{3.0, 4.0}, {-1e-3, 2.0}, {0.0, 5.0}, {-2.0, -0.5}, {1e200, 1e200}}},
      {Atan2, "atan2", {{1.0, 1.0}, {0.3, -2.0}, {-0.3, -2.0}, {-2.0, 0.5}, {5.0, 1e-3}, {1e-4, 3.0}}},
      {Min, "min", {{0.6, 2.3}, {2.3, 0.6}, {-1.0, -3.0}}},
      {Max, "max", {{0.6, 2.3}, {2.3, 0.6}, {-1.0, -3.0}}},
  };
  return cases;
}

}  // namespace math_cases
