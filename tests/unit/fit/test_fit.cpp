// The maximum-likelihood baseline: quadrature accuracy, the likelihood's gradient against finite
// differences, and fits that recover the truth within 3 sigma with sigma shrinking as 1/sqrt(N).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <sagips/app/fit.hpp>
#include <sagips/core/views.hpp>
#include <sagips/fit.hpp>
#include <vector>

namespace m = sagips::math;

namespace {

// x^a (1-x)^b on [0.001, 0.999].
struct Beta1 {
  static constexpr int num_params = 2;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return m::pow(x[0], p[0]) * m::pow(1 - x[0], p[1]);
  }
};

// The SAGIPS 2-D proxy: x^p0 (1-x)^p1 y^p2 (1-y)^p3 (1 + p4 x y).
struct Proxy {
  static constexpr int num_params = 5;
  static constexpr int dim = 2;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return m::pow(x[0], p[0]) * m::pow(1 - x[0], p[1]) * m::pow(x[1], p[2]) * m::pow(1 - x[1], p[3]) *
           (1 + p[4] * x[0] * x[1]);
  }
};

// Events by rejection sampling (std::mt19937 with a fixed seed: test data only).
template <class Theory>
std::vector<double> sample(const Theory& t, const std::vector<double>& p, long n, unsigned seed) {
  constexpr int D = Theory::dim;
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.001, 0.999);
  double fmax = 0;
  for (int i = 0; i < 200000; ++i) {
    double x[D];
    for (int d = 0; d < D; ++d) x[d] = u(gen);
    fmax = std::max(fmax, t(p.data(), x));
  }
  fmax *= 1.5;
  std::uniform_real_distribution<double> v(0.0, fmax);
  std::vector<double> out;
  while (static_cast<long>(out.size()) < n * D) {
    double x[D];
    for (int d = 0; d < D; ++d) x[d] = u(gen);
    const double f = t(p.data(), x);
    REQUIRE(f < fmax);
    if (v(gen) < f) out.insert(out.end(), x, x + D);
  }
  return out;
}

}  // namespace

TEST_CASE("Gauss-Legendre is exact for polynomials of degree 2Q-1") {
  for (int q : {1, 2, 5, 8, 16}) {
    std::vector<double> x, w;
    sagips::fit::gauss_legendre(q, x, w);
    for (int deg = 0; deg <= 2 * q - 1; ++deg) {
      double s = 0;
      for (int i = 0; i < q; ++i) s += w[i] * std::pow(x[i], deg);
      const double exact = deg % 2 ? 0.0 : 2.0 / (deg + 1);
      CHECK(s == doctest::Approx(exact).epsilon(1e-13));
    }
  }
}

TEST_CASE("the composite rule integrates near-singular densities to rounding") {
  // x^-0.5 (1-x)^4.5 on [0.001, 0.999]: compare the default rule with a far finer one.
  auto integrate = [](int s, int q) {
    const auto r = sagips::fit::composite_rule(0.001, 0.999, s, q);
    double sum = 0;
    for (std::size_t i = 0; i < r.x.size(); ++i) sum += r.w[i] * std::pow(r.x[i], -0.5) * std::pow(1 - r.x[i], 4.5);
    return sum;
  };
  const double fine = integrate(400, 16);
  CHECK(integrate(48, 8) == doctest::Approx(fine).epsilon(1e-11));
  // Polynomial check: x^2 (1-x)^3 integrates exactly.
  const auto r = sagips::fit::composite_rule(0.0, 1.0, 7, 4);
  double s = 0;
  for (std::size_t i = 0; i < r.x.size(); ++i) s += r.w[i] * r.x[i] * r.x[i] * std::pow(1 - r.x[i], 3);
  CHECK(s == doctest::Approx(1.0 / 60).epsilon(1e-14));
  CHECK_THROWS_AS(sagips::fit::composite_rule(1.0, 1.0, 4, 4), sagips::Error);
}

TEST_CASE("the likelihood's gradient matches central differences") {
  const Proxy theory;
  const auto events = sample(theory, {0.5, 3.0, 0.3, 4.0, 0.75}, 2000, 7);
  const sagips::fit::UnbinnedNll<Proxy> nll(theory, events, {0.001, 0.001}, {0.999, 0.999});
  CHECK(nll.events() == 2000);
  Eigen::Matrix<double, 5, 1> p, g;
  p << 0.4, 2.9, 0.35, 4.2, 0.6;
  nll.evaluate(p, &g);
  for (int j = 0; j < 5; ++j) {
    const double h = 1e-5;  // -ln L is ~1e4 here: smaller steps drown in rounding
    auto a = p, b = p;
    a[j] += h;
    b[j] -= h;
    const double fd = (nll.evaluate(a) - nll.evaluate(b)) / (2 * h);
    CHECK(g[j] == doctest::Approx(fd).epsilon(1e-6).scale(1.0));
  }
}

TEST_CASE("events outside the domain are refused with the culprit named") {
  const std::vector<double> events = {0.5, 1.2};
  CHECK_THROWS_WITH_AS(sagips::fit::UnbinnedNll<Beta1>(Beta1{}, events, {0.001}, {0.999}),
                       "event 1 has coordinate 0 = 1.2, outside the domain [0.001, 0.999]", sagips::CollectiveError);
}

TEST_CASE("the 1-D fit recovers the truth within 3 sigma, and sigma scales as 1/sqrt(N)") {
  const Beta1 theory;
  const std::vector<double> truth = {0.7, 2.5};
  std::vector<double> sigma_small;
  for (long n : {20000L, 80000L}) {
    const auto events = sample(theory, truth, n, 11 + static_cast<unsigned>(n));
    const sagips::fit::UnbinnedNll<Beta1> nll(theory, events, {0.001}, {0.999});
    const auto r = sagips::fit::minimize(nll, {0.0, 1.0}, {-0.9, 0.0}, {3.0, 6.0});
    CAPTURE(n);
    CHECK(r.converged);
    for (int j = 0; j < 2; ++j) {
      CAPTURE(j);
      CHECK(r.sigma[j] > 0);
      CHECK(std::abs(r.value[j] - truth[j]) < 3 * r.sigma[j]);
    }
    if (sigma_small.empty()) {
      sigma_small = r.sigma;
    } else {
      for (int j = 0; j < 2; ++j) CHECK(sigma_small[j] / r.sigma[j] == doctest::Approx(2.0).epsilon(0.1));
    }
  }
}

TEST_CASE("the 2-D proxy fit recovers the truth within 3 sigma") {
  const Proxy theory;
  const std::vector<double> truth = {0.5, 3.0, 0.3, 4.0, 0.75};
  const auto events = sample(theory, truth, 50000, 5);
  const sagips::fit::UnbinnedNll<Proxy> nll(theory, events, {0.001, 0.001}, {0.999, 0.999});
  const auto r = sagips::fit::minimize(nll, {0.25, 3.4, 0.65, 3.75, 0.75}, {-0.5, 2.75, 0.0, 3.0, 0.0},
                                       {1.0, 4.0, 1.3, 4.5, 1.5});
  CHECK(r.converged);
  for (int j = 0; j < 5; ++j) {
    CAPTURE(j);
    CHECK(std::abs(r.value[j] - truth[j]) < 3 * r.sigma[j]);
  }
}

TEST_CASE("a parameter pinned at its bound has no sigma and is reported as such") {
  const Beta1 theory;
  const auto events = sample(theory, {0.7, 2.5}, 5000, 3);
  const sagips::fit::UnbinnedNll<Beta1> nll(theory, events, {0.001}, {0.999});
  // The true a = 0.7 lies above the box [-0.9, 0.2]: the fit must stop at a = 0.2.
  const auto r = sagips::fit::minimize(nll, {0.0, 1.0}, {-0.9, 0.0}, {0.2, 6.0});
  CHECK(r.value[0] == doctest::Approx(0.2));
  CHECK(r.at_bound[0]);
  CHECK(r.sigma[0] == 0.0);
  CHECK_FALSE(r.at_bound[1]);
  CHECK(r.sigma[1] > 0);
  CHECK_FALSE(r.converged);  // a minimum pinned at a bound is not a measurement
  CHECK(r.status == "at a bound: p0");
}

TEST_CASE("a fit of zero events says so instead of reporting a converged flat likelihood") {
  const sagips::fit::UnbinnedNll<Beta1> nll(Beta1{}, {}, {0.001}, {0.999});
  const auto r = sagips::fit::minimize(nll, {0.0, 1.0}, {-0.9, 0.0}, {3.0, 6.0});
  CHECK(r.events == 0);
  CHECK_FALSE(r.converged);
  CHECK(r.status == "no events");
}

TEST_CASE("an interior minimum reports converged") {
  const Beta1 theory;
  const auto events = sample(theory, {0.7, 2.5}, 5000, 3);
  const sagips::fit::UnbinnedNll<Beta1> nll(theory, events, {0.001}, {0.999});
  const auto r = sagips::fit::minimize(nll, {0.0, 1.0}, {-0.9, 0.0}, {3.0, 6.0});
  CHECK(r.converged);
  CHECK(r.status == "converged");
}

// x^(a + b): two parameters the data cannot tell apart.
struct Sum {
  static constexpr int num_params = 2;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return m::pow(x[0], p[0] + p[1]);
  }
};

TEST_CASE("parameters the data cannot tell apart are reported as not determined, not as converged") {
  // The density depends on a + b only: every point of a line is a minimum, the Hessian is singular.
  const auto events = sample(Beta1{}, {0.7, 0.0}, 5000, 3);  // x^0.7
  const sagips::fit::UnbinnedNll<Sum> nll(Sum{}, events, {0.001}, {0.999});
  const auto r = sagips::fit::minimize(nll, {0.2, 0.2}, {-0.9, -0.9}, {2.0, 2.0});
  CHECK(r.value[0] + r.value[1] == doctest::Approx(0.7).epsilon(0.05));
  CHECK_FALSE(r.converged);
  CHECK(r.undetermined == "p0, p1");
  CHECK(r.sigma[0] == 0.0);
  CHECK(r.status.find("not determined: p0, p1") != std::string::npos);
}

// A surface with a saddle where Newton's method stops: (x^2 - 1)^2 + (y - 0.3)^2, whose gradient
// vanishes at (0, 0.3) (a maximum in x) and whose minima are (+-1, 0.3).
struct DoubleWell {
  static constexpr int P = 2;
  using Vec = Eigen::Matrix<double, 2, 1>;
  long events() const { return 1; }
  double evaluate(const Vec& p, Vec* g) const {
    const double x = p[0], y = p[1] - 0.3;
    if (g) *g = Vec(4 * x * (x * x - 1), 2 * y);
    return (x * x - 1) * (x * x - 1) + y * y;
  }
};

TEST_CASE("a saddle where the gradient vanishes is left downhill: the fit ends at a minimum") {
  // From x = 0 exactly Newton's step in x is zero and it stops at the saddle (0, 0.3).
  const auto r = sagips::fit::minimize(DoubleWell{}, {0.0, 0.9}, {-2.0, -2.0}, {2.0, 2.0});
  CHECK(r.converged);
  CHECK(r.status == "converged");
  CHECK(std::abs(r.value[0]) == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(r.value[1] == doctest::Approx(0.3).epsilon(1e-6));
  CHECK(r.nll == doctest::Approx(0.0).epsilon(1e-9));
  // sigma from the Hessian at the minimum: d2f/dx2 = 8 at x = +-1, d2f/dy2 = 2.
  CHECK(r.sigma[0] == doctest::Approx(std::sqrt(1.0 / 8)).epsilon(1e-4));
  CHECK(r.sigma[1] == doctest::Approx(std::sqrt(1.0 / 2)).epsilon(1e-4));
}

TEST_CASE("the chi-squared quantiles behind the likelihood regions match their closed forms") {
  using sagips::fit::chi2_quantile;
  const double c68 = 0.682689492137086;
  // k = 1: P = erf(sqrt(x/2)); k = 2: 1 - exp(-x/2); k = 4: 1 - exp(-t)(1 + t); k = 6: 1 - exp(-t)(1 + t + t^2/2), t = x/2.
  for (double c : {c68, 0.95, 0.99}) {
    CAPTURE(c);
    const double x1 = chi2_quantile(1, c), t2 = chi2_quantile(2, c) / 2, t4 = chi2_quantile(4, c) / 2,
                 t6 = chi2_quantile(6, c) / 2;
    CHECK(std::erf(std::sqrt(x1 / 2)) == doctest::Approx(c).epsilon(1e-10));
    CHECK(1 - std::exp(-t2) == doctest::Approx(c).epsilon(1e-10));
    CHECK(1 - std::exp(-t4) * (1 + t4) == doctest::Approx(c).epsilon(1e-10));
    CHECK(1 - std::exp(-t6) * (1 + t6 + t6 * t6 / 2) == doctest::Approx(c).epsilon(1e-10));
  }
  CHECK(chi2_quantile(1, c68) == doctest::Approx(1.0).epsilon(1e-9));  // one sigma: -ln L up by 1/2
  const auto r4 = sagips::fit::likelihood_regions(4);
  CHECK(r4.delta68 == doctest::Approx(2.35974).epsilon(1e-5));  // half of 4.7195
  CHECK(r4.delta95 == doctest::Approx(9.487729036781154 / 2).epsilon(1e-9));
  CHECK_THROWS_WITH_AS(chi2_quantile(0, 0.5), doctest::Contains("at least one degree of freedom"), sagips::Error);
  CHECK_THROWS_WITH_AS(chi2_quantile(2, 1.0), doctest::Contains("a probability in (0, 1)"), sagips::Error);
}

TEST_CASE("-ln L rises by 1/2 one profiled sigma from the fit's minimum, and is 0 at it") {
  const Beta1 theory;
  const auto events = sample(theory, {0.7, 2.5}, 80000, 91);
  const sagips::fit::UnbinnedNll<Beta1> nll(theory, events, {0.001}, {0.999});
  const std::array<double, 2> lo{-0.9, 0.0}, hi{3.0, 6.0};
  const auto r = sagips::fit::minimize(nll, {0.0, 1.0}, lo, hi);
  REQUIRE(r.converged);
  const std::array<double, 2> at{r.value[0], r.value[1]};
  CHECK(std::abs(sagips::fit::above_minimum(nll, r, at, lo, hi)) < 1e-6);
  // One sigma of parameter j with the other profiled: the step covariance.col(j) / sigma_j.
  for (int j = 0; j < 2; ++j) {
    CAPTURE(j);
    for (double sign : {-1.0, 1.0}) {
      std::array<double, 2> p = at;
      for (int i = 0; i < 2; ++i) p[i] += sign * r.covariance(i, j) / r.sigma[j];
      CHECK(sagips::fit::above_minimum(nll, r, p, lo, hi) == doctest::Approx(0.5).epsilon(0.03));
    }
  }
  CHECK_THROWS_WITH_AS(sagips::fit::above_minimum(nll, r, std::array<double, 2>{3.5, 2.0}, lo, hi),
                       doctest::Contains("outside the fit's box"), sagips::Error);
}

// ---- the App's baseline (app/fit.hpp) -----------------------------------------------------------

namespace {
// Beta1 with a domain and a cut, as an App's theory states them.
struct Beta1Cut : Beta1 {
  static sagips::sim::Box<1> domain() { return {{0.001}, {0.999}}; }
  static bool in_region(const double* event) { return event[0] < 0.9; }
};
}  // namespace

TEST_CASE("the App's fit reads each event inside the domain and the cuts once, over the ranks") {
  const std::vector<double> values{0.5, std::nan(""), 1.2, 0.95, 0.2, 0.0005, 0.7, 0.3};
  sagips::HostMatrix<double> events("events", values.size(), 1);
  for (std::size_t i = 0; i < values.size(); ++i) events(i, 0) = values[i];
  for (int size : {1, 3}) {
    CAPTURE(size);
    std::vector<double> all;
    for (int rank = 0; rank < size; ++rank) {
      const auto mine = sagips::app::events_for_fit<Beta1Cut, 1>(events, rank, size);
      all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<double>{0.2, 0.3, 0.5, 0.7});
  }
}

TEST_CASE("the App places the estimate and the truth in the likelihood, and skips what it cannot place") {
  const Beta1 theory;
  const auto events = sample(theory, {0.7, 2.5}, 20000, 92);
  const sagips::fit::UnbinnedNll<Beta1> nll(theory, events, {0.001}, {0.999});
  const std::array<double, 2> lo{-0.9, 0.0}, hi{3.0, 6.0};
  sagips::app::Result r;
  r.mle = sagips::fit::minimize(nll, {0.0, 1.0}, lo, hi);
  REQUIRE(r.mle->converged);
  auto answer = [&](double e0, double e1, std::optional<double> t0) {
    sagips::app::Result out = r;
    out.gan.parameters.resize(2);
    out.gan.parameters[0].estimate = e0;
    out.gan.parameters[1].estimate = e1;
    out.gan.parameters[0].truth = t0;
    out.gan.parameters[1].truth = 2.5;
    sagips::app::place_in_likelihood(nll, out, lo, hi);
    return out;
  };
  const auto at_fit = answer(r.mle->value[0], r.mle->value[1], 0.7);
  REQUIRE(at_fit.delta_estimate);
  CHECK(std::abs(*at_fit.delta_estimate) < 1e-6);
  REQUIRE(at_fit.delta_truth);
  CHECK(*at_fit.delta_truth == doctest::Approx(sagips::fit::above_minimum(nll, *r.mle, std::array<double, 2>{0.7, 2.5}, lo, hi)));
  CHECK(at_fit.regions.parameters == 2);
  // An estimate outside the box is placed at the box's edge; a truth outside it is not placed.
  const auto clamped = answer(-5.0, 2.5, -5.0);
  REQUIRE(clamped.delta_estimate);
  CHECK(*clamped.delta_estimate == doctest::Approx(sagips::fit::above_minimum(nll, *r.mle, std::array<double, 2>{-0.9, 2.5}, lo, hi)));
  CHECK_FALSE(clamped.delta_truth);
  // No truth: the estimate alone. A non-finite estimate: nothing (the report still comes).
  const auto no_truth = answer(0.7, 2.5, std::nullopt);
  CHECK(no_truth.delta_estimate);
  CHECK_FALSE(no_truth.delta_truth);
  const auto nan = answer(std::nan(""), 2.5, 0.7);
  CHECK_FALSE(nan.delta_estimate);
  CHECK_FALSE(nan.delta_truth);
}
