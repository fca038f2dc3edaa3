// sagips::math on plain scalars: digamma (the one function written here rather than taken from
// Kokkos) against closed forms and against differences of std::lgamma; integer and mixed
// float/double arguments; min/max; the stable sigmoid and softplus at extreme arguments.
// Every function's value against <cmath> and its Dual derivative: test_dual.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sagips/core/math.hpp>
#include <type_traits>

namespace m = sagips::math;

namespace {
constexpr double pi = 3.14159265358979323846;
constexpr double euler_gamma = 0.57721566490153286061;
constexpr double ln2 = 0.69314718055994530942;

template <class T>
double tol() {
  return std::is_same_v<T, float> ? 4e-6 : 4e-15;
}
}  // namespace

TEST_CASE_TEMPLATE("digamma: closed forms, the recurrence, the reflection and the poles", T, float, double) {
  auto close = [](T got, double want) {
    CAPTURE(want);
    CHECK(std::abs(static_cast<double>(got) - want) <= tol<T>() * std::max(1.0, std::abs(want)));
  };
  close(m::digamma(T(1)), -euler_gamma);
  close(m::digamma(T(0.5)), -euler_gamma - 2 * ln2);
  close(m::digamma(T(0.25)), -euler_gamma - pi / 2 - 3 * ln2);
  close(m::digamma(T(0.75)), -euler_gamma + pi / 2 - 3 * ln2);
  // psi(n + 1) = H_n - gamma, on both sides of the series' threshold (10)
  double harmonic = 0;
  for (int n = 1; n <= 40; ++n) {
    harmonic += 1.0 / n;
    CAPTURE(n);
    close(m::digamma(T(n + 1)), harmonic - euler_gamma);
  }
  // negative arguments from the recurrence psi(x) = psi(x + 1) - 1/x
  const double half = -euler_gamma - 2 * ln2;
  close(m::digamma(T(-0.5)), half + 2);
  close(m::digamma(T(-2.5)), half + 2 + 2.0 / 3 + 2.0 / 5);
  // the positive root, and large x against the leading terms of the series
  CHECK(std::abs(m::digamma(T(1.4616321449683623))) < 4 * tol<T>());
  close(m::digamma(T(1e6)), std::log(1e6) - 0.5e-6 - 1.0 / 12e12);
  // poles, NaN and infinity
  for (double pole : {0.0, -1.0, -2.0, -17.0}) CHECK(std::isnan(m::digamma(T(pole))));
  CHECK(std::isnan(m::digamma(std::numeric_limits<T>::quiet_NaN())));
  CHECK(m::digamma(std::numeric_limits<T>::infinity()) == std::numeric_limits<T>::infinity());
}

TEST_CASE("digamma is the derivative of std::lgamma over its whole domain") {
  // central differences of lgammal (extended precision), extrapolated once (Richardson)
  for (double x : {-7.3, -2.5, -1.01, -0.99, -0.5, -1e-3, 1e-6, 1e-3, 0.3, 1.0, 2.0, 9.99, 10.01, 37.5, 1e4}) {
    CAPTURE(x);
    const double to_pole = x > 0 ? x : std::abs(x - std::round(x));  // poles at 0, -1, -2, ...
    const long double h = 1e-4L * std::min(1.0, to_pole);
    auto diff = [&](long double step) { return (std::lgamma(x + step) - std::lgamma(x - step)) / (2 * step); };
    const long double fd = (4 * diff(h / 2) - diff(h)) / 3;
    CHECK(std::abs(m::digamma(x) - fd) <= 1e-9L * std::max(1.0L, std::abs(fd)));
  }
}

TEST_CASE("math: integer and mixed float/double arguments compute as <cmath> does") {
  static_assert(std::is_same_v<decltype(m::exp(1)), double>);
  static_assert(std::is_same_v<decltype(m::pow(2.0f, 3)), float>);
  static_assert(std::is_same_v<decltype(m::pow(2.0, 0.5f)), double>);
  static_assert(std::is_same_v<decltype(m::atan2(1.0f, 2.0)), double>);
  static_assert(std::is_same_v<decltype(m::hypot(3, 4)), double>);
  static_assert(std::is_same_v<decltype(m::min(1, 2.5f)), float>);
  static_assert(std::is_same_v<decltype(m::lgamma(5.0f)), float>);
  CHECK(m::exp(1) == std::exp(1.0));
  CHECK(m::lgamma(5) == std::lgamma(5.0));
  CHECK(m::digamma(1) == m::digamma(1.0));
  CHECK(m::pow(2.0f, 3) == 8.0f);
  CHECK(m::pow(2.0, 0.5f) == std::pow(2.0, 0.5));
  CHECK(m::atan2(1.0f, 2.0) == std::atan2(1.0, 2.0));
  CHECK(m::hypot(3, 4) == 5.0);
  CHECK(m::max(1, 2.5) == 2.5);
}

TEST_CASE_TEMPLATE("min and max: the first argument unless the second is strictly beyond it", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  CHECK(m::min(T(1), T(2)) == T(1));
  CHECK(m::min(T(2), T(1)) == T(1));
  CHECK(m::max(T(1), T(2)) == T(2));
  CHECK(m::max(T(2), T(1)) == T(2));
  CHECK(std::signbit(m::min(T(-0.0), T(0.0))));  // a tie: the first
  CHECK(!std::signbit(m::max(T(0.0), T(-0.0))));
  CHECK(std::isnan(m::min(nan, T(1))));
  CHECK(m::min(T(1), nan) == T(1));
  CHECK(std::isnan(m::max(nan, T(1))));
  CHECK(m::max(T(1), nan) == T(1));
}

TEST_CASE_TEMPLATE("sigmoid and softplus are finite and accurate far from zero", T, float, double) {
  CHECK(m::sigmoid(T(0)) == T(0.5));
  CHECK(m::sigmoid(T(-200)) >= T(0));
  CHECK(m::sigmoid(T(-200)) < T(1e-30));
  CHECK(m::sigmoid(T(200)) == T(1));
  CHECK(m::softplus(T(200)) == doctest::Approx(200));
  CHECK(m::softplus(T(-200)) >= T(0));
  CHECK(m::softplus(T(-30)) == doctest::Approx(std::exp(-30.0)).epsilon(1e-5));
  CHECK(m::softplus(T(1)) == doctest::Approx(std::log1p(std::exp(1.0))).epsilon(1e-6));
  CHECK(m::isfinite(T(1)));
  CHECK_FALSE(m::isfinite(T(1) / T(0)));
}
