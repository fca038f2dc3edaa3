// Profile-likelihood intervals (sagips/fit/profile.hpp): against closed forms where -ln L is a
// parabola, against a direct scan where it is not, and in the cases the Hessian cannot answer.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <vector>
#include <sagips/app/fit.hpp>
#include <sagips/fit.hpp>

namespace {

// -ln L = 1/2 (p - m)' H (p - m) + c: the profile of p_j is a parabola whose 68% interval is
// m_j +- sqrt(2 delta C_jj), C = H^-1 (the marginal, not the conditional, sigma).
template <int N>
struct Parabola {
  static constexpr int P = N;
  using Vec = Eigen::Matrix<double, N, 1>;
  Eigen::Matrix<double, N, N> h;
  Vec m;
  long events() const { return 1; }
  double evaluate(const Vec& p, Vec* g = nullptr) const {
    const Vec d = p - m;
    if (g) *g = h * d;
    return 0.5 * d.dot(h * d) + 7.0;
  }
};

// -ln L that depends on p0 only: the data say nothing about p1.
struct FlatInP1 {
  static constexpr int P = 2;
  using Vec = Eigen::Matrix<double, 2, 1>;
  long events() const { return 1; }
  double evaluate(const Vec& p, Vec* g = nullptr) const {
    if (g) *g = Vec(4 * (p[0] - 1), 0);
    return 2 * (p[0] - 1) * (p[0] - 1);
  }
};

// x^a on [0.001, 0.999] from events of x^0.3 (a skewed likelihood: its profile is no parabola).
struct Power {
  static constexpr int num_params = 1;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return sagips::math::pow(x[0], p[0]);
  }
};

// A two-minimum surface: (x^2 - 1)^2 + 0.3 x + (y - x)^2, deeper at x = -1 than at x = +1.
struct Tilted {
  static constexpr int P = 2;
  using Vec = Eigen::Matrix<double, 2, 1>;
  long events() const { return 1; }
  double evaluate(const Vec& p, Vec* g = nullptr) const {
    const double x = p[0], y = p[1];
    if (g) *g = Vec(4 * x * (x * x - 1) + 0.3 - 2 * (y - x), 2 * (y - x));
    return (x * x - 1) * (x * x - 1) + 0.3 * x + (y - x) * (y - x);
  }
};

}  // namespace

TEST_CASE("where -ln L is a parabola, the profile interval is the estimate +- sqrt(2 delta) marginal sigma") {
  Parabola<3> nll;
  nll.h << 4, 1.5, 0.5, 1.5, 2, -0.3, 0.5, -0.3, 1;  // correlated: conditional and marginal sigma differ
  nll.m << 0.4, -0.2, 1.1;
  const std::array<double, 3> lo{-5, -5, -5}, hi{5, 5, 5};
  const auto fit = sagips::fit::minimize(nll, {0, 0, 0}, lo, hi);
  REQUIRE(fit.converged);
  const Eigen::Matrix3d c = nll.h.inverse();
  for (int j = 0; j < 3; ++j)
    for (double delta : {0.5, 2.0}) {
      CAPTURE(j);
      CAPTURE(delta);
      const auto i = sagips::fit::profile_interval(nll, fit, j, lo, hi, delta, 1e-6);
      const double half = std::sqrt(2 * delta * c(j, j));
      CHECK(i.lower == doctest::Approx(nll.m[j] - half).epsilon(1e-5));
      CHECK(i.upper == doctest::Approx(nll.m[j] + half).epsilon(1e-5));
      CHECK_FALSE(i.lower_at_box);
      CHECK_FALSE(i.upper_at_box);
      CHECK(i.lowest > -1e-9);
      CHECK(i.fits < 40);
      // delta 1/2 is one Hessian sigma of the fit
      if (delta == 0.5) CHECK(i.upper - nll.m[j] == doctest::Approx(fit.sigma[j]).epsilon(1e-4));
      // and the profile at the interval's end is delta
      CHECK(sagips::fit::profile_above_minimum(nll, fit, j, i.upper, lo, hi) == doctest::Approx(delta).epsilon(1e-5));
    }
}

TEST_CASE("a parameter the data do not fix has the box for its interval, said so; the other keeps its own") {
  const FlatInP1 nll;
  const std::array<double, 2> lo{-3, -2}, hi{3, 4};
  const auto fit = sagips::fit::minimize(nll, {0, 1}, lo, hi);
  CHECK(fit.sigma[1] == 0.0);  // the Hessian gives no sigma ...
  const auto i1 = sagips::fit::profile_interval(nll, fit, 1, lo, hi);
  CHECK(i1.lower == -2.0);  // ... and the profile says the box is all there is
  CHECK(i1.upper == 4.0);
  CHECK(i1.lower_at_box);
  CHECK(i1.upper_at_box);
  const auto i0 = sagips::fit::profile_interval(nll, fit, 0, lo, hi, 0.5, 1e-7);
  CHECK(i0.lower == doctest::Approx(0.5).epsilon(1e-5));  // 2 (p0 - 1)^2 = 1/2 at 1 -+ 1/2
  CHECK(i0.upper == doctest::Approx(1.5).epsilon(1e-5));
  CHECK_FALSE(i0.lower_at_box);
  CHECK_FALSE(i0.upper_at_box);
}

TEST_CASE("a parameter held at a bound gets a one-sided interval from the profile") {
  Parabola<2> nll;
  nll.h << 2, 0.5, 0.5, 1;
  nll.m << 0.8, 0.0;  // the minimum lies above the box's p0 <= 0.5
  const std::array<double, 2> lo{-2, -3}, hi{0.5, 3};
  const auto fit = sagips::fit::minimize(nll, {0, 0}, lo, hi);
  REQUIRE(fit.at_bound[0]);
  const auto i = sagips::fit::profile_interval(nll, fit, 0, lo, hi, 0.5, 1e-7);
  CHECK(i.upper == 0.5);
  CHECK(i.upper_at_box);
  CHECK_FALSE(i.lower_at_box);
  // The profile of p0 is 1/2 (p0 - 0.8)^2 / C00; its value at the bound is the fit's minimum.
  const double c00 = nll.h.inverse()(0, 0);
  const double at_bound = 0.5 * 0.09 / c00;
  CHECK(i.lower == doctest::Approx(0.8 - std::sqrt(2 * c00 * (0.5 + at_bound))).epsilon(1e-5));
}

TEST_CASE("a skewed likelihood's interval matches a direct scan, not the Hessian's symmetric sigma") {
  std::mt19937_64 gen(17);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> events;
  while (events.size() < 200) {  // x^0.3 on [0.001, 0.999] by inversion: x = u^(1/1.3)
    const double x = std::pow(u(gen), 1 / 1.3);
    if (x > 0.001 && x < 0.999) events.push_back(x);
  }
  const sagips::fit::UnbinnedNll<Power> nll(Power{}, events, {0.001}, {0.999});
  const std::array<double, 1> lo{-0.95}, hi{4.0};
  const auto fit = sagips::fit::minimize(nll, {1.0}, lo, hi);
  REQUIRE(fit.converged);
  const auto i = sagips::fit::profile_interval(nll, fit, 0, lo, hi, 2.0, 1e-6);
  // A scan of -ln L on a fine grid: the points where it crosses minimum + 2.
  double scan_lo = NAN, scan_hi = NAN;
  Eigen::Matrix<double, 1, 1> p;
  for (double t = lo[0]; t <= hi[0]; t += 1e-4) {
    p[0] = t;
    const bool inside = nll.evaluate(p) - fit.nll <= 2.0;
    if (inside && std::isnan(scan_lo)) scan_lo = t;
    if (inside) scan_hi = t;
  }
  CHECK(std::abs(i.lower - scan_lo) < 2e-4);
  CHECK(std::abs(i.upper - scan_hi) < 2e-4);
  // 200 events: the interval is visibly asymmetric about the estimate.
  const double below = fit.value[0] - i.lower, above = i.upper - fit.value[0];
  CHECK(std::abs(above - below) > 0.02 * (above + below));
}

TEST_CASE("a profile that finds lower ground than the fit's minimum says so") {
  const Tilted nll;
  const std::array<double, 2> lo{-2, -2}, hi{2, 2};
  const auto fit = sagips::fit::minimize(nll, {0.9, 0.9}, lo, hi);  // the upper well, not the deepest
  REQUIRE(fit.value[0] > 0);
  const auto i = sagips::fit::profile_interval(nll, fit, 0, lo, hi, 2.0);
  CHECK(i.lowest < -0.1);  // the lower well is about 0.6 deeper than the fit's; the steps out meet part of that
}

// p0^2 + p1^2 where p0 < 1, a likelihood of zero (-ln L infinite) beyond.
struct Walled {
  static constexpr int P = 2;
  using Vec = Eigen::Matrix<double, 2, 1>;
  long events() const { return 1; }
  double evaluate(const Vec& p, Vec* g = nullptr) const {
    if (g) *g = Vec(2 * p[0], 2 * p[1]);
    return p[0] < 1 ? p[0] * p[0] + p[1] * p[1] : std::numeric_limits<double>::infinity();
  }
};

TEST_CASE("where the likelihood is zero the profile counts it as outside: the interval ends at the wall") {
  const Walled nll;
  const std::array<double, 2> lo{-3, -3}, hi{3, 3};
  const auto fit = sagips::fit::minimize(nll, {0.2, 0.2}, lo, hi);
  REQUIRE(fit.converged);
  const auto i = sagips::fit::profile_interval(nll, fit, 0, lo, hi, 2.0);  // sqrt(2) would lie beyond the wall
  CHECK(i.lower == doctest::Approx(-std::sqrt(2.0)).epsilon(1e-3));
  CHECK(i.upper == doctest::Approx(1.0).epsilon(1e-6));
  CHECK_FALSE(i.upper_at_box);
  CHECK(i.upper_at_wall);  // said so: the end is the wall, not a crossing of delta
  CHECK_FALSE(i.lower_at_wall);
  CHECK(std::isnan(sagips::fit::profile_above_minimum(nll, fit, 0, 2.0, lo, hi)));
}

TEST_CASE("profile arguments outside their range are refused with the reason") {
  FlatInP1 nll;
  const std::array<double, 2> lo{-3, -2}, hi{3, 4};
  const auto fit = sagips::fit::minimize(nll, {0, 1}, lo, hi);
  CHECK_THROWS_WITH_AS(sagips::fit::profile_interval(nll, fit, 2, lo, hi), doctest::Contains("parameter 2 of a fit of 2"),
                       sagips::Error);
  CHECK_THROWS_WITH_AS(sagips::fit::profile_interval(nll, fit, 0, lo, hi, 0.0), doctest::Contains("delta must be"),
                       sagips::Error);
  CHECK_THROWS_WITH_AS(sagips::fit::profile_interval(nll, fit, 0, lo, hi, NAN), doctest::Contains("delta must be"),
                       sagips::Error);
  CHECK_THROWS_WITH_AS(sagips::fit::profile_above_minimum(nll, fit, 0, 3.5, lo, hi),
                       doctest::Contains("outside the fit's box"), sagips::Error);
  sagips::fit::FitResult none = fit;
  none.events = 0;
  CHECK_THROWS_WITH_AS(sagips::fit::profile_interval(nll, none, 0, lo, hi), doctest::Contains("no minimum to profile"),
                       sagips::Error);
}

TEST_CASE("the App's --fit-profile places the estimate in each parameter's profile, in sigmas") {
  Parabola<2> nll;
  nll.h << 3, -1, -1, 2;
  nll.m << 0.5, 1.5;
  const std::array<double, 2> lo{-4, -4}, hi{4, 4};
  sagips::app::Result r;
  r.mle = sagips::fit::minimize(nll, {0, 0}, lo, hi);
  REQUIRE(r.mle->converged);
  const Eigen::Matrix2d c = nll.h.inverse();
  r.gan.parameters.resize(2);
  r.gan.parameters[0].estimate = 0.5 + 2 * std::sqrt(c(0, 0));  // two marginal sigma above
  r.gan.parameters[1].estimate = 1.5 - 0.5 * std::sqrt(c(1, 1));
  sagips::app::profile_parameters(nll, r, lo, hi);
  REQUIRE(r.profile.size() == 2);
  CHECK(r.profile[0].estimate_sigmas == doctest::Approx(2.0).epsilon(1e-6));
  CHECK(r.profile[1].estimate_sigmas == doctest::Approx(-0.5).epsilon(1e-6));
  CHECK(r.profile[0].sigma68.upper == doctest::Approx(0.5 + std::sqrt(c(0, 0))).epsilon(1e-3));
  CHECK(r.profile[0].sigma95.upper == doctest::Approx(0.5 + 2 * std::sqrt(c(0, 0))).epsilon(1e-3));
  const auto json = sagips::app::mle_json(r);
  REQUIRE(json["profile"].is_array());
  CHECK(json["profile"][1]["estimate_sigmas"].get<double>() == doctest::Approx(-0.5).epsilon(1e-6));
  CHECK(json["profile"][0]["interval95"]["upper_at_box"].get<bool>() == false);
  // Without a finite estimate there is nothing to place: no profile (the report still comes).
  sagips::app::Result nan = r;
  nan.profile.clear();
  nan.gan.parameters[0].estimate = NAN;
  sagips::app::profile_parameters(nll, nan, lo, hi);
  CHECK(nan.profile.empty());
  CHECK(sagips::app::mle_json(nan)["profile"].is_null());
}

// The two-well surface in one parameter: (x^2 - 1)^2 + 0.3 x.
struct Tilted1 {
  static constexpr int P = 1;
  using Vec = Eigen::Matrix<double, 1, 1>;
  long events() const { return 1; }
  double evaluate(const Vec& p, Vec* g = nullptr) const {
    const double x = p[0];
    if (g) (*g)[0] = 4 * x * (x * x - 1) + 0.3;
    return (x * x - 1) * (x * x - 1) + 0.3 * x;
  }
};

TEST_CASE("one parameter: the lower ground a profile meets is where it met it, and the App refits there") {
  const Tilted1 nll;
  const std::array<double, 1> lo{-2}, hi{2};
  sagips::app::Result r;
  r.mle = sagips::fit::minimize(nll, {0.9}, lo, hi);  // the upper well
  REQUIRE(r.mle->value[0] > 0);
  const auto i = sagips::fit::profile_interval(nll, *r.mle, 0, lo, hi, 2.0);
  REQUIRE(i.lowest < -0.1);
  REQUIRE(i.lowest_at.size() == 1);
  CHECK(i.lowest_at[0] < 0);  // in the deeper well, not the fit's own point
  Eigen::Matrix<double, 1, 1> at;
  at[0] = i.lowest_at[0];
  CHECK(nll.evaluate(at) - r.mle->nll == doctest::Approx(i.lowest));
  r.gan.parameters.resize(1);
  r.gan.parameters[0].estimate = -1.0;
  sagips::app::profile_parameters(nll, r, lo, hi);
  CHECK(r.refits == 1);
  CHECK(r.mle->value[0] < -0.9);
}

TEST_CASE("when a profile meets lower ground, the App fits again from there and profiles once more") {
  const Tilted nll;
  const std::array<double, 2> lo{-2, -2}, hi{2, 2};
  sagips::app::Result r;
  r.mle = sagips::fit::minimize(nll, {0.9, 0.9}, lo, hi);  // the upper well
  REQUIRE(r.mle->value[0] > 0);
  r.gan.parameters.resize(2);
  r.gan.parameters[0].estimate = -1.0;
  r.gan.parameters[1].estimate = -1.0;
  sagips::app::profile_parameters(nll, r, lo, hi);
  CHECK(r.refits == 1);
  CHECK(r.mle->value[0] < -0.9);  // now the deeper well
  REQUIRE(r.profile.size() == 2);
  CHECK(r.profile[0].lowest > -1e-3);  // and no profile goes below it
  CHECK(r.profile[1].lowest > -1e-3);
  REQUIRE(r.delta_estimate);  // placed again against the new minimum
  CHECK(*r.delta_estimate == doctest::Approx(nll.evaluate(Eigen::Vector2d(-1, -1)) - r.mle->nll));
}
