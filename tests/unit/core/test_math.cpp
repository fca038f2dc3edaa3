// sagips::math on plain scalars: the stable sigmoid and softplus at extreme arguments.
#include <doctest/doctest.h>

#include <cmath>
#include <sagips/core/math.hpp>

namespace m = sagips::math;

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
  CHECK(m::min(T(1), T(2)) == T(1));
  CHECK(m::max(T(1), T(2)) == T(2));
}
