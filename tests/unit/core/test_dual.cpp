// Dual numbers and sagips::math: every function's value against the standard library and its Dual
// derivative against central finite differences (double), at several points of its domain,
// including near its edges; the same in float. (The same calls inside a Kokkos kernel and NaN outside
// the domain: test_dual_kernel.cpp; the function table: math_cases.hpp; Dual numbers themselves, the
// conventions where a derivative is not defined and densities in kernels: test_dual_numbers.cpp.)
#include <doctest/doctest.h>

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
#include "math_cases.hpp"

using namespace math_cases;

namespace {

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
