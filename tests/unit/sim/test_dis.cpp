// The DIS theory (sim/dis.hpp): its valence densities obey the number sum rules for any parameters,
// its density is zero outside the cuts and positive inside, and its parameter gradient (through the
// Beta-function normalisation) matches finite differences, in double and float.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <sagips/sim/dis.hpp>
#include <sagips/testing/gradients.hpp>

using sagips::sim::DisNc;

namespace {
// int q_v dx = int x q_v d(ln x), trapezoids in t = ln x over [-60, 0).
double number(double lambda, double k, double norm) {
  const int n = 400000;
  const double lo = -60.0, h = -lo / n;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double t = lo + (i + 0.5) * h;  // midpoints: the integrand vanishes at both ends
    sum += DisNc::valence(lambda, k, t, std::exp(t), norm) * h;
  }
  return sum;
}
}  // namespace

TEST_CASE("dis: the valence densities hold two up and one down quark, whatever their shapes") {
  static_assert(sagips::sim::check_theory<DisNc>());
  for (double lambda : {0.45, 0.7, 1.0})
    for (double k : {2.0, 3.5, 5.5}) {
      CAPTURE(lambda);
      CAPTURE(k);
      CHECK(number(lambda, k, 2.0) == doctest::Approx(2.0).epsilon(1e-5));
      CHECK(number(lambda, k, 1.0) == doctest::Approx(1.0).epsilon(1e-5));
    }
}

TEST_CASE("dis: the density is zero outside the cuts and positive inside") {
  const DisNc dis;
  const auto p = DisNc::truth();
  auto at = [&](double x, double q2) {
    const double v[2] = {std::log(x), std::log(q2)};
    return dis(p.data(), v);
  };
  const double s = DisNc::sqrt_s * DisNc::sqrt_s;
  CHECK(at(0.01, 10.0) > 0);                // y = 0.051, W^2 = 991
  CHECK(at(0.3, 200.0) > 0);                // y = 0.034, W^2 = 468
  CHECK(at(0.1, 10.0) == 0);                // y = 0.0051 < 0.01
  CHECK(at(0.01, 1.0) == 0);                // Q^2 below 1.69
  CHECK(at(0.5, 400.0) == 0);               // Q^2 above 316
  CHECK(at(20.0 / (0.97 * s), 20.0) == 0);  // y = 0.97 > 0.95
  CHECK(at(0.9, 50.0) == 0);                // W^2 = 50 * 0.1 / 0.9 + 0.88 = 6.4 < 10
  const auto box = DisNc::domain();
  CHECK(std::exp(box.lower[0]) == doctest::Approx(1.69 / (0.95 * s)));
  CHECK(std::exp(box.upper[1]) == doctest::Approx(316.0));
}

TEST_CASE("dis: the density's parameter gradient matches finite differences, through the normalisation") {
  // Points inside the cuts, from low x to the valence region.
  std::vector<std::array<double, 2>> points;
  for (double x : {0.001, 0.01, 0.05, 0.2, 0.5})
    for (double q2 : {3.0, 5.0, 30.0, 100.0, 200.0}) {
      const double y = q2 / (x * DisNc::sqrt_s * DisNc::sqrt_s);
      if (DisNc::accepted(x, q2) && y > 0.011 && y < 0.94) points.push_back({std::log(x), std::log(q2)});
    }
  REQUIRE(points.size() >= 8);
  CHECK(sagips::testing::check_theory_gradient(DisNc{}, DisNc::truth(), points));
  CHECK(sagips::testing::check_theory_gradient(DisNc{}, {0.5, 2.5, 0.9, 5.0}, points));
}

TEST_CASE("dis: the deuteron is the nucleons' average by isospin, times its correction factor") {
  using sagips::sim::Deuteron;
  using sagips::sim::Dis;
  using sagips::sim::dis_sea;
  using sagips::sim::dis_valence;
  static_assert(sagips::sim::check_theory<Dis<Deuteron, 89>>());
  static_assert(Dis<Deuteron, 89>::num_params == 5 && Dis<sagips::sim::Proton, 63>::num_params == 4);
  const double p[5] = {0.6, 3.2, 0.8, 4.5, 0.25};
  for (double x : {0.003, 0.05, 0.2, 0.6}) {
    CAPTURE(x);
    const double t = std::log(x);
    const double uv = dis_valence(p[0], p[1], t, x, 2.0), dv = dis_valence(p[2], p[3], t, x, 1.0), s = dis_sea(t, x);
    const double f2p = 4.0 / 9 * uv + 1.0 / 9 * dv + 4.0 / 3 * s;
    const double f2n = 4.0 / 9 * dv + 1.0 / 9 * uv + 4.0 / 3 * s;  // u <-> d
    CHECK(sagips::sim::Proton::f2(p, t, x, 5.0) == doctest::Approx(f2p).epsilon(1e-12));
    CHECK(Deuteron::f2(p, t, x, 5.0) == doctest::Approx((f2p + f2n) / 2 * (1 + 0.25 / 5.0)).epsilon(1e-12));
  }
  // The beam energy moves the low-x edge (y < 0.95 at Q^2 = 1.69) and nothing else.
  const auto lo = Dis<sagips::sim::Proton, 63>::domain(), hi = DisNc::domain();
  CHECK(std::exp(lo.lower[0]) == doctest::Approx(1.69 / (0.95 * 63.0 * 63.0)));
  CHECK(lo.upper[0] == doctest::Approx(hi.upper[0]));
  CHECK(Dis<Deuteron, 89>::names()[4] == std::string("h_D"));
  CHECK(Dis<Deuteron, 89>::truth()[4] == 0.3);
}

TEST_CASE("dis: the deuteron's gradient, its correction included, matches finite differences") {
  using Theory = sagips::sim::Dis<sagips::sim::Deuteron, 89>;
  std::vector<std::array<double, 2>> points;
  for (double x : {0.002, 0.01, 0.05, 0.2, 0.5})
    for (double q2 : {3.0, 5.0, 30.0, 100.0, 200.0}) {
      const double y = q2 / (x * Theory::sqrt_s * Theory::sqrt_s);
      if (Theory::accepted(x, q2) && y > 0.011 && y < 0.94) points.push_back({std::log(x), std::log(q2)});
    }
  REQUIRE(points.size() >= 8);
  CHECK(sagips::testing::check_theory_gradient(Theory{}, Theory::truth(), points));
  CHECK(sagips::testing::check_theory_gradient(Theory{}, {0.5, 2.5, 0.9, 5.0, -0.3}, points));
}
