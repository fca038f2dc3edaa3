// Dual numbers and sagips::math: every function's value against the standard library and its Dual
// derivative against central finite differences (double), at several points of its domain,
// including near its edges; the same in float; the same calls inside a Kokkos kernel;
// NaN outside the domain. (Dual numbers themselves, the conventions where a derivative is not
// defined and densities in kernels: test_dual_numbers.cpp.)
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <sagips/autodiff/dual.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "finite_differences.hpp"

using sagips::autodiff::Dual;
namespace m = sagips::math;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double inf = std::numeric_limits<double>::infinity();

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

const std::vector<UnaryCase>& unary_cases() {
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

const std::vector<BinaryCase>& binary_cases() {
  static const std::vector<BinaryCase> cases = {
      {Pow, "pow", {{0.6, 2.3}, {2.0, -1.5}, {1e-3, 0.5}, {7.0, 1e-9}, {1.7, 10.0}, {0.5, -3.0}, {30.0, 0.3}}},
      {Hypot, "hypot", {{3.0, 4.0}, {-1e-3, 2.0}, {0.0, 5.0}, {-2.0, -0.5}, {1e200, 1e200}}},
      {Atan2, "atan2", {{1.0, 1.0}, {0.3, -2.0}, {-0.3, -2.0}, {-2.0, 0.5}, {5.0, 1e-3}, {1e-4, 3.0}}},
      {Min, "min", {{0.6, 2.3}, {2.3, 0.6}, {-1.0, -3.0}}},
      {Max, "max", {{0.6, 2.3}, {2.3, 0.6}, {-1.0, -3.0}}},
  };
  return cases;
}

// Values of the library against <cmath>: a few units in the last place.
template <class T>
void check_value(T got, T want, int ulps_allowed = 4) {
  const double ulps = ulps_allowed * std::numeric_limits<T>::epsilon();
  CHECK(std::abs(static_cast<double>(got) - static_cast<double>(want)) <=
        ulps * std::abs(static_cast<double>(want)) + std::numeric_limits<T>::min());
}

// float against double at the same float argument: the float result's own rounding only.
void check_float(float got, double want) {
  CHECK(std::abs(static_cast<double>(got) - want) <= 3e-5 * std::abs(want) + 1e-6);
}

bool fits_float(double v) { return std::abs(v) < 1e30; }

}  // namespace

TEST_CASE("math: every one-argument function's value and Dual derivative, double") {
  using D = Dual<double, 1>;
  for (const auto& c : unary_cases()) {
    for (double x : c.points) {
      CAPTURE(std::string(c.name));
      CAPTURE(x);
      const double plain = unary(c.f, x);
      const D y = unary(c.f, D::variable(x, 0));
      if (c.f != Digamma) check_value(plain, reference(c.f, x));
      CHECK(y.v == plain);
      if (c.f == Digamma)  // no standard digamma: differences of ours (its values: test_math.cpp)
        check_derivative(y.d[0], x, first_step(x, c.edges), [&](Real t) { return m::digamma(double(t)); },
                         std::numeric_limits<double>::epsilon());
      else  // lgamma' = digamma and tgamma' = tgamma·digamma: digamma's rounding is absolute (~eps)
        check_derivative(y.d[0], x, first_step(x, c.edges), [&](Real t) { return reference(c.f, t); },
                         std::numeric_limits<Real>::epsilon(),
                         c.f == Lgamma ? 4e-16 : c.f == Tgamma ? 4e-16 * std::abs(plain) : 0.0);
    }
  }
}

TEST_CASE("math: every one-argument function's value and Dual derivative, float") {
  using F = Dual<float, 1>;
  using D = Dual<double, 1>;
  for (const auto& c : unary_cases()) {
    for (double x0 : c.points) {
      const float x = static_cast<float>(x0);
      CAPTURE(std::string(c.name));
      CAPTURE(x);
      const D want = unary(c.f, D::variable(static_cast<double>(x), 0));
      if (!fits_float(want.v) || !fits_float(want.d[0])) continue;  // float overflows: not a test
      const float plain = unary(c.f, x);
      const F y = unary(c.f, F::variable(x, 0));
      if (c.f != Digamma) check_value(plain, reference(c.f, x));
      CHECK(y.v == plain);
      check_float(y.v, want.v);
      check_float(y.d[0], want.d[0]);
    }
  }
}

TEST_CASE("math: two-argument functions, Dual with Dual and Dual with a scalar either side") {
  using D1 = Dual<double, 1>;
  using D2 = Dual<double, 2>;
  using F2 = Dual<float, 2>;
  for (const auto& c : binary_cases()) {
    for (auto [a, b] : c.points) {
      CAPTURE(std::string(c.name));
      CAPTURE(a);
      CAPTURE(b);
      const double plain = binary(c.f, a, b);
      check_value(plain, reference2(c.f, a, b));
      const D2 both = binary(c.f, D2::variable(a, 0), D2::variable(b, 1));
      const D1 first = binary(c.f, D1::variable(a, 0), b);
      const D1 second = binary(c.f, a, D1::variable(b, 0));
      CHECK(both.v == plain);
      CHECK(first.v == plain);
      check_value(second.v, plain, 16);  // scalar^Dual is computed as exp(b log a)
      const double ha = 0.1 * std::max(1.0, std::abs(a)), hb = 0.1 * std::max(1.0, std::abs(b));
      const double hpow = c.f == Pow ? std::min(ha, 0.5 * a) : ha;  // stay at a > 0 for pow
      check_derivative(both.d[0], a, hpow, [&](Real t) { return reference2<Real>(c.f, t, b); });
      check_derivative(both.d[1], b, hb, [&](Real t) { return reference2<Real>(c.f, a, t); });
      CHECK(first.d[0] == both.d[0]);
      check_value(second.d[0], both.d[1], 16);
      // float, against double at the same float arguments
      const float af = static_cast<float>(a), bf = static_cast<float>(b);
      const D2 want = binary(c.f, D2::variable(af, 0), D2::variable(bf, 1));
      if (!fits_float(want.v)) continue;
      const F2 got = binary(c.f, F2::variable(af, 0), F2::variable(bf, 1));
      check_float(got.v, want.v);
      check_float(got.d[0], want.d[0]);
      check_float(got.d[1], want.d[1]);
    }
  }
}

namespace {
// Every function of the tables evaluated in one kernel for scalar type S; returns value and first
// derivative (0 for plain S) of every (function, point), unary then binary.
template <class S>
std::vector<std::pair<double, double>> in_kernel(const std::vector<int>& fs, const std::vector<double>& xs,
                                                 const std::vector<double>& ys) {
  const int n = static_cast<int>(fs.size());
  Kokkos::View<int*> f("f", n);
  Kokkos::View<double*> x("x", n), y("y", n);
  Kokkos::View<double* [2]> out("out", n);
  auto hf = Kokkos::create_mirror_view(f);
  auto hx = Kokkos::create_mirror_view(x);
  auto hy = Kokkos::create_mirror_view(y);
  for (int i = 0; i < n; ++i) hf(i) = fs[i], hx(i) = xs[i], hy(i) = ys[i];
  Kokkos::deep_copy(f, hf);
  Kokkos::deep_copy(x, hx);
  Kokkos::deep_copy(y, hy);
  Kokkos::parallel_for(
      "math_functions", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(int i) {
        // Every capture is used before the `if constexpr`: nvcc refuses a device lambda whose first
        // use of a capture is inside one (tests/lint/nvcc_rules.py keeps it so).
        const int fi = f(i);
        const double xi = x(i), yi = y(i);
        double value = 0, derivative = 0;
        if constexpr (sagips::autodiff::is_dual_v<S>) {
          using T = typename S::value_type;
          const S a = S::variable(T(xi), 0);
          const S r = fi < num_unary ? unary(fi, a) : binary(fi - num_unary, a, T(yi));
          value = r.v;
          derivative = r.d[0];
        } else {
          value = fi < num_unary ? unary(fi, S(xi)) : binary(fi - num_unary, S(xi), S(yi));
        }
        out(i, 0) = value;
        out(i, 1) = derivative;
      });
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  std::vector<std::pair<double, double>> result(n);
  for (int i = 0; i < n; ++i) result[i] = {h(i, 0), h(i, 1)};
  return result;
}
}  // namespace

TEST_CASE_TEMPLATE("math: every function runs inside a Kokkos kernel", S, float, double, Dual<float, 1>,
                   Dual<double, 1>, Dual<double, 3>) {
  std::vector<int> fs;
  std::vector<double> xs, ys;
  for (const auto& c : unary_cases())
    for (double x : c.points) fs.push_back(c.f), xs.push_back(x), ys.push_back(0);
  for (const auto& c : binary_cases())
    for (auto [a, b] : c.points) fs.push_back(num_unary + c.f), xs.push_back(a), ys.push_back(b);
  const auto got = in_kernel<S>(fs, xs, ys);
  for (std::size_t i = 0; i < fs.size(); ++i) {
    CAPTURE(fs[i]);
    CAPTURE(xs[i]);
    S host;
    double value, deriv = 0;
    if constexpr (sagips::autodiff::is_dual_v<S>) {
      using T = typename S::value_type;
      const S a = S::variable(T(xs[i]), 0);
      host = fs[i] < num_unary ? unary(fs[i], a) : binary(fs[i] - num_unary, a, T(ys[i]));
      value = host.v, deriv = host.d[0];
    } else {
      host = fs[i] < num_unary ? unary(fs[i], S(xs[i])) : binary(fs[i] - num_unary, S(xs[i]), S(ys[i]));
      value = host;
    }
    // On a host backend the kernel runs the host's code and must agree bit for bit. A GPU has its own
    // math library (CUDA's differs from glibc by a few ulps: pow 2, tgamma 10 in double), so there
    // the kernel must agree to 64 ulps of the value type, with NaN and infinities agreeing exactly.
    constexpr bool host_backend =
        Kokkos::SpaceAccessibility<Kokkos::HostSpace, Kokkos::DefaultExecutionSpace::memory_space>::accessible;
    auto same = [](double a, double b) {
      if (a == b || (std::isnan(a) && std::isnan(b))) return true;
      if (host_backend || !std::isfinite(a) || !std::isfinite(b)) return false;
      const double tol = 64 * double(std::numeric_limits<typename value_of<S>::type>::epsilon());
      const double scale = std::max(std::abs(a), std::abs(b));
      return std::abs(a - b) <= tol * scale || scale <= tol;  // both next to zero: a cancellation
    };
    CHECK(same(got[i].first, value));
    CHECK(same(got[i].second, deriv));
  }
}

TEST_CASE_TEMPLATE("math: outside the domain the value is NaN, as for the standard functions", T, float,
                   double) {
  using D = Dual<T, 2>;
  for (const auto& c : unary_cases()) {
    for (double x0 : c.outside) {
      CAPTURE(std::string(c.name));
      CAPTURE(x0);
      const T x = static_cast<T>(x0);
      if (c.f != Digamma) CHECK(std::isnan(reference(c.f, x)));
      CHECK(std::isnan(unary(c.f, x)));
      const D y = unary(c.f, D::variable(x, 0));
      CHECK(std::isnan(y.v));
      CHECK_FALSE(m::isfinite(y));
    }
  }
  CHECK(std::isnan(m::pow(T(-2), T(0.5))));
  CHECK(std::isnan(m::pow(D::variable(T(-2), 0), T(0.5)).v));
  CHECK(std::isnan(m::pow(T(-2), D::variable(T(0.5), 0)).v));
  CHECK(std::isnan(m::pow(D::variable(T(-2), 0), D::variable(T(0.5), 1)).v));
  // NaN in, NaN out
  const T nan = std::numeric_limits<T>::quiet_NaN();
  for (const auto& c : unary_cases()) {
    CAPTURE(std::string(c.name));
    CHECK(std::isnan(unary(c.f, nan)));
    CHECK(std::isnan(unary(c.f, D::variable(nan, 0)).v));
  }
}
