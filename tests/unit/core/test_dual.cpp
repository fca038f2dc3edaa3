// Dual numbers: every function's derivative against its analytic derivative, in float and double,
// on the host and inside a Kokkos kernel.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <sagips/autodiff/dual.hpp>

using sagips::autodiff::Dual;
namespace m = sagips::math;

namespace {

template <class T>
double tol() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-13;
}

// |a - b| relative to max(1, |b|).
template <class T>
void check_close(T a, double b) {
  CHECK(std::abs(static_cast<double>(a) - b) <= tol<T>() * std::max(1.0, std::abs(b)));
}

}  // namespace

TEST_CASE_TEMPLATE("Dual: unary functions match analytic derivatives", T, float, double) {
  const double points[] = {0.3, 0.77, 1.9};
  for (double x0 : points) {
    CAPTURE(x0);
    const auto x = Dual<T, 1>::variable(T(x0), 0);
    auto check = [&](const Dual<T, 1>& y, double value, double deriv) {
      check_close(y.v, value);
      check_close(y.d[0], deriv);
    };
    check(m::exp(x), std::exp(x0), std::exp(x0));
    check(m::expm1(x), std::expm1(x0), std::exp(x0));
    check(m::log(x), std::log(x0), 1 / x0);
    check(m::log1p(x), std::log1p(x0), 1 / (1 + x0));
    check(m::sqrt(x), std::sqrt(x0), 0.5 / std::sqrt(x0));
    check(m::sin(x), std::sin(x0), std::cos(x0));
    check(m::cos(x), std::cos(x0), -std::sin(x0));
    check(m::tanh(x), std::tanh(x0), 1 - std::tanh(x0) * std::tanh(x0));
    check(m::erf(x), std::erf(x0), 2 / std::sqrt(M_PI) * std::exp(-x0 * x0));
    const double s = 1 / (1 + std::exp(-x0));
    check(m::sigmoid(x), s, s * (1 - s));
    check(m::softplus(x), std::log1p(std::exp(x0)), s);
    check(m::abs(-x), x0, 1);  // d/dx abs(-x) = 1 for x > 0
    check(m::abs(x), x0, 1);
    check(-x, -x0, -1);
  }
}

TEST_CASE_TEMPLATE("Dual: arithmetic, pow, min and max with two variables", T, float, double) {
  const double a0 = 0.6, b0 = 2.3;
  const auto a = Dual<T, 2>::variable(T(a0), 0);
  const auto b = Dual<T, 2>::variable(T(b0), 1);
  auto check = [&](const Dual<T, 2>& y, double value, double da, double db) {
    check_close(y.v, value);
    check_close(y.d[0], da);
    check_close(y.d[1], db);
  };
  check(a + b, a0 + b0, 1, 1);
  check(a - b, a0 - b0, 1, -1);
  check(a * b, a0 * b0, b0, a0);
  check(a / b, a0 / b0, 1 / b0, -a0 / (b0 * b0));
  check(2 * a + 1, 2 * a0 + 1, 2, 0);
  check(1 - b, 1 - b0, 0, -1);
  check(3 / b, 3 / b0, 0, -3 / (b0 * b0));
  check(m::pow(a, b), std::pow(a0, b0), b0 * std::pow(a0, b0 - 1), std::pow(a0, b0) * std::log(a0));
  check(m::pow(a, T(2.5)), std::pow(a0, 2.5), 2.5 * std::pow(a0, 1.5), 0);
  check(m::pow(T(1.7), b), std::pow(1.7, b0), 0, std::pow(1.7, b0) * std::log(1.7));
  check(m::min(a, b), a0, 1, 0);
  check(m::max(a, b), b0, 0, 1);
  check(m::max(a, T(0.1)), a0, 1, 0);
  check(m::min(a, T(0.1)), 0.1, 0, 0);
  auto c = a;
  c *= b;
  c += a;
  c /= b;
  c -= b;  // (a·b + a)/b − b
  check(c, (a0 * b0 + a0) / b0 - b0, (b0 + 1) / b0, -a0 / (b0 * b0) - 1);
  CHECK(a < b);
  CHECK(b > T(1));
  CHECK(m::isfinite(a));
  CHECK_FALSE(m::isfinite(a / T(0)));
}

TEST_CASE("Dual: conventions where the derivative is undefined") {
  using D = Dual<double, 2>;
  const auto zero = D::variable(0.0, 0);
  CHECK(m::abs(zero).d[0] == 0.0);
  const auto a = D::variable(1.0, 0), b = D::variable(1.0, 1);
  CHECK(m::min(a, b).d[0] == 1.0);  // a tie takes the first argument
  CHECK(m::max(a, b).d[0] == 1.0);
  const auto p = D::variable(2.0, 1);
  const auto z = m::pow(zero, p);  // 0^p: value 0, no NaN from log(0)
  CHECK(z.v == 0.0);
  CHECK(std::isfinite(z.d[0]));
  CHECK(z.d[1] == 0.0);
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
