// Dual numbers themselves: arithmetic, pow, min and max with two variables; the conventions where a
// derivative is not defined; digamma and lgamma; physics densities and their gradients inside Kokkos
// kernels; the derivative lanes of a quotient kept apart. (sagips::math's functions one by one against
// the standard library and finite differences: test_dual.cpp.)
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <limits>
#include <sagips/autodiff/dual.hpp>

#include "finite_differences.hpp"

using sagips::autodiff::Dual;
namespace m = sagips::math;

namespace {
constexpr double pi = 3.14159265358979323846;
constexpr double inf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("Dual: arithmetic, pow, min and max with two variables") {
  const double a0 = 0.6, b0 = 2.3;
  using D = Dual<double, 2>;
  const auto a = D::variable(a0, 0);
  const auto b = D::variable(b0, 1);
  auto check = [&](const D& y, double value, double da, double db) {
    CHECK(y.v == doctest::Approx(value).epsilon(1e-14));
    CHECK(y.d[0] == doctest::Approx(da).epsilon(1e-14));
    CHECK(y.d[1] == doctest::Approx(db).epsilon(1e-14));
  };
  check(a + b, a0 + b0, 1, 1);
  check(a - b, a0 - b0, 1, -1);
  check(a * b, a0 * b0, b0, a0);
  check(a / b, a0 / b0, 1 / b0, -a0 / (b0 * b0));
  check(2 * a + 1, 2 * a0 + 1, 2, 0);
  check(1 - b, 1 - b0, 0, -1);
  check(3 / b, 3 / b0, 0, -3 / (b0 * b0));
  check(-a, -a0, -1, 0);
  check(m::max(a, 0.1), a0, 1, 0);
  check(m::min(a, 0.1), 0.1, 0, 0);
  check(m::min(0.1, b), 0.1, 0, 0);
  check(m::max(0.1, b), b0, 0, 1);
  auto c = a;
  c *= b;
  c += a;
  c /= b;
  c -= b;  // (a·b + a)/b − b
  check(c, (a0 * b0 + a0) / b0 - b0, (b0 + 1) / b0, -a0 / (b0 * b0) - 1);
  CHECK(a < b);
  CHECK(b > 1.0);
  CHECK(m::isfinite(a));
  CHECK_FALSE(m::isfinite(a / 0.0));
  // A float coordinate mixes with a double Dual, and an integer exponent with either.
  check(m::pow(a, 2), a0 * a0, 2 * a0, 0);
  check(m::atan2(a, 1.0f), std::atan2(a0, 1.0), 1 / (1 + a0 * a0), 0);
}

TEST_CASE("Dual: conventions where the derivative is not defined") {
  using D = Dual<double, 2>;
  const auto zero = D::variable(0.0, 0);
  const auto q = D::variable(0.5, 1);  // a second variable that zero's functions do not depend on
  auto derivatives_are = [](const D& y, double d0, double d1) {
    CHECK(y.d[0] == d0);
    CHECK(y.d[1] == d1);
  };
  // kinks
  derivatives_are(m::abs(zero), 0, 0);
  derivatives_are(m::fabs(zero), 0, 0);
  derivatives_are(m::hypot(zero, zero * q), 0, 0);
  derivatives_are(m::hypot(zero, 0.0), 0, 0);
  derivatives_are(m::atan2(zero, zero * q), 0, 0);
  derivatives_are(m::atan2(0.0, zero), 0, 0);
  // min and max: ties take the first argument, derivatives included
  const auto a = D::variable(1.0, 0), b = D::variable(1.0, 1);
  derivatives_are(m::min(a, b), 1, 0);
  derivatives_are(m::max(a, b), 1, 0);
  derivatives_are(m::min(b, a), 0, 1);
  derivatives_are(m::max(b, a), 0, 1);
  derivatives_are(m::min(a, 1.0), 1, 0);
  derivatives_are(m::max(1.0, b), 0, 0);
  // a finite value with an infinite slope: derivative 0, so q's partial stays 0 and not NaN
  const auto y = zero + 0.0 * q;
  derivatives_are(m::sqrt(y), 0, 0);
  derivatives_are(m::cbrt(y), 0, 0);
  derivatives_are(m::pow(y, 0.5), 0, 0);
  derivatives_are(m::asin(D::variable(1.0, 0) + 0.0 * q), 0, 0);
  derivatives_are(m::asin(D::variable(-1.0, 0)), 0, 0);
  derivatives_are(m::acos(D::variable(1.0, 0)), 0, 0);
  derivatives_are(m::acosh(D::variable(1.0, 0) + 0.0 * q), 0, 0);
  CHECK(m::sqrt(y).v == 0.0);
  CHECK(m::acosh(D::variable(1.0, 0)).v == 0.0);
  // pow: 0^b has no NaN from log(0); a < 0 with an integer exponent drops the b-derivative
  const auto p = D::variable(2.0, 1);
  const auto z = m::pow(zero, p);
  CHECK(z.v == 0.0);
  derivatives_are(z, 0, 0);
  const auto neg = m::pow(D::variable(-2.0, 0), D::variable(3.0, 1));
  CHECK(neg.v == -8.0);
  derivatives_are(neg, 12, 0);
  CHECK(m::pow(-2.0, D::variable(3.0, 0)).d[0] == 0.0);
  derivatives_are(m::pow(zero, 1.0), 1, 0);  // a^1: slope 1 everywhere, also at 0
  // floor and ceil are piecewise constant, also at their jumps
  derivatives_are(m::floor(D::variable(2.0, 0)), 0, 0);
  derivatives_are(m::ceil(D::variable(-3.5, 0)), 0, 0);
  CHECK(m::floor(D::variable(-3.5, 0)).v == -4.0);
  CHECK(m::ceil(D::variable(-3.5, 0)).v == -3.0);
}

TEST_CASE("Dual: digamma's derivative is trigamma, and lgamma's poles") {
  using D = Dual<double, 1>;
  CHECK(m::digamma(D::variable(1.0, 0)).d[0] == doctest::Approx(pi * pi / 6).epsilon(1e-15));
  CHECK(m::digamma(D::variable(0.5, 0)).d[0] == doctest::Approx(pi * pi / 2).epsilon(1e-15));
  CHECK(m::digamma(D::variable(-0.5, 0)).d[0] == doctest::Approx(pi * pi / 2 + 4).epsilon(1e-15));
  CHECK(m::digamma(D::variable(50.0, 0)).d[0] == doctest::Approx(0.020201333226697125).epsilon(1e-14));
  // lgamma at a pole: +inf as std::lgamma, NaN slope (digamma has no limit there)
  for (double x : {0.0, -1.0, -3.0}) {
    CAPTURE(x);
    const D y = m::lgamma(D::variable(x, 0));
    CHECK(y.v == inf);
    CHECK(std::isnan(y.d[0]));
  }
}

namespace {
struct ThreeDensities {
  double x0 = 90.0, x1 = 92.5, y0 = 1.0, y1 = 1.8;
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(S M, S G, S mu, S s, S a, S b) const {
    const double sqrt2 = 1.41421356237309504880;
    const S bw = (m::atan((x1 - M) / (G / 2)) - m::atan((x0 - M) / (G / 2))) / pi;
    const S gauss = (m::erf((y1 - mu) / (s * sqrt2)) - m::erf((y0 - mu) / (s * sqrt2))) / 2;
    const S log_beta = m::lgamma(a) + m::lgamma(b) - m::lgamma(a + b);
    return bw * gauss * m::exp(-log_beta);
  }
};
}  // namespace

TEST_CASE("Dual: a Breit-Wigner bin probability and a Gaussian CDF inside a Kokkos kernel") {
  // P(x0 < x < x1) for a Cauchy (Breit-Wigner) resonance of mass M and width G, and for a Gaussian
  // of mean mu and width s, and the log of a Beta(a, b) normalisation, with their gradients.
  using D = Dual<double, 6>;
  const double q[6] = {91.19, 2.50, 1.3, 0.4, 2.5, 4.0};  // M, G, mu, s, a, b
  const ThreeDensities densities;
  Kokkos::View<double[7]> out("out");
  Kokkos::parallel_for(
      "densities", Kokkos::RangePolicy<>(0, 1), KOKKOS_LAMBDA(int) {
        D p[6];
        for (int i = 0; i < 6; ++i) p[i] = D::variable(q[i], i);
        const D r = densities(p[0], p[1], p[2], p[3], p[4], p[5]);
        out(0) = r.v;
        for (int i = 0; i < 6; ++i) out(i + 1) = r.d[i];
      });
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  CHECK(h(0) == doctest::Approx(densities(q[0], q[1], q[2], q[3], q[4], q[5])).epsilon(1e-15));
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    auto along = [&](double t) {
      double v[6] = {q[0], q[1], q[2], q[3], q[4], q[5]};
      v[i] = t;
      return densities(v[0], v[1], v[2], v[3], v[4], v[5]);
    };
    check_derivative(h(i + 1), q[i], 0.01 * q[i], along, std::numeric_limits<double>::epsilon());
  }
}

TEST_CASE("Dual: the 2-D proxy density and its gradient inside a Kokkos kernel") {
  // sigma(x, y; p) = x^p0 (1-x)^p1 y^p2 (1-y)^p3 (1 + p4 x y), evaluated with Dual<double, 5>.
  using D = Dual<double, 5>;
  const double p0[5] = {0.5, 3.0, 0.3, 4.0, 0.75};
  const double x = 0.31, y = 0.12;
  Kokkos::View<double[6]> out("out");
  Kokkos::parallel_for(
      "dual_kernel", Kokkos::RangePolicy<>(0, 1), KOKKOS_LAMBDA(int) {
        D p[5];
        for (int i = 0; i < 5; ++i) p[i] = D::variable(p0[i], i);
        const D s = m::pow(x, p[0]) * m::pow(1 - x, p[1]) * m::pow(y, p[2]) * m::pow(1 - y, p[3]) *
                    (1 + p[4] * x * y);
        out(0) = s.v;
        for (int i = 0; i < 5; ++i) out(i + 1) = s.d[i];
      });
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  const double base = std::pow(x, p0[0]) * std::pow(1 - x, p0[1]) * std::pow(y, p0[2]) * std::pow(1 - y, p0[3]);
  const double s = base * (1 + p0[4] * x * y);
  CHECK(h(0) == doctest::Approx(s).epsilon(1e-14));
  CHECK(h(1) == doctest::Approx(s * std::log(x)).epsilon(1e-13));
  CHECK(h(2) == doctest::Approx(s * std::log(1 - x)).epsilon(1e-13));
  CHECK(h(3) == doctest::Approx(s * std::log(y)).epsilon(1e-13));
  CHECK(h(4) == doctest::Approx(s * std::log(1 - y)).epsilon(1e-13));
  CHECK(h(5) == doctest::Approx(base * x * y).epsilon(1e-13));
}

namespace {
// The shape GCC 12 miscompiled with AVX-512 and its SLP vectorizer (meson.build turns SLP off for
// GCC < 13): a quotient of a constant by (x - p0), plus p2. Out of line, so it is compiled on its own.
using D3 = sagips::autodiff::Dual<double, 3>;
[[gnu::noinline]] D3 quotient_plus(const D3* p, const double* x) {
  const D3 dx = x[0] - p[0];
  return D3(0.5) / dx + p[2];
}
}  // namespace

TEST_CASE("the compiler keeps the derivative lanes of a Dual quotient apart (GCC 12 with AVX-512 did not)") {
  D3 p[3];
  for (int j = 0; j < 3; ++j) p[j] = D3::variable(j + 1.0, j);
  const double x = 0.5;
  const D3 r = quotient_plus(p, &x);
  CHECK(r.v == 2.0);
  CHECK(r.d[0] == 2.0);  // 0.5 / (x - p0)^2
  CHECK(r.d[1] == 0.0);
  CHECK(r.d[2] == 1.0);
}
