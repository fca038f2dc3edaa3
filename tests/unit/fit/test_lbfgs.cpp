// L-BFGS (optim/lbfgs.hpp) on objectives with known minima, its refusals, and the many-parameter
// Bernstein likelihood (fit/bernstein.hpp): its gradient, its normalisation, its sampler, and the
// L-BFGS fit against the Newton fit of the same events.
#include <doctest/doctest.h>

#include <cmath>
#include <sagips/fit.hpp>
#include <sagips/optim.hpp>
#include <string>
#include <vector>

namespace {

double rosenbrock(const Eigen::VectorXd& x, Eigen::VectorXd& g) {
  double f = 0;
  g = Eigen::VectorXd::Zero(x.size());
  for (int i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * a * x[i] - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const sagips::CollectiveError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a CollectiveError: ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("lbfgs finds the minimum of the 10-D Rosenbrock function") {
  Eigen::VectorXd x0 = Eigen::VectorXd::Constant(10, -1.2);
  const auto r = sagips::optim::lbfgs(rosenbrock, x0, MPI_COMM_SELF);
  CHECK(r.converged);
  CHECK(r.status == "converged");
  CHECK((r.x - Eigen::VectorXd::Ones(10)).cwiseAbs().maxCoeff() < 1e-6);
  CHECK(r.value < 1e-12);
  CHECK(r.gradient.size() == 10);
  CHECK(r.evaluations == static_cast<int>(r.values.size()));
  CHECK(r.iterations < 200);
}

TEST_CASE("lbfgs in a box stops on the bound the minimum lies beyond") {
  // (x - 3)^2 + (y + 1)^2 in [0, 2] x [-5, 5]: the minimum in the box is (2, -1).
  auto f = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g.resize(2);
    g << 2 * (x[0] - 3), 2 * (x[1] + 1);
    return (x[0] - 3) * (x[0] - 3) + (x[1] + 1) * (x[1] + 1);
  };
  Eigen::VectorXd x0(2), lo(2), hi(2);
  x0 << 0.5, 4;
  lo << 0, -5;
  hi << 2, 5;
  const auto r = sagips::optim::lbfgs(f, x0, MPI_COMM_SELF, {}, lo, hi);
  CHECK(r.converged);
  CHECK(r.x[0] == doctest::Approx(2).epsilon(1e-12));
  CHECK(r.x[1] == doctest::Approx(-1).epsilon(1e-8));
}

TEST_CASE("lbfgs stops at the evaluation budget with the best point and says so") {
  sagips::optim::LbfgsOptions o;
  o.max_evaluations = 7;
  const auto r = sagips::optim::lbfgs(rosenbrock, Eigen::VectorXd::Constant(4, -1.2), MPI_COMM_SELF, o);
  CHECK_FALSE(r.converged);
  CHECK(r.status == "stopped after 7 evaluations");
  CHECK(r.evaluations == 7);
  double best = r.values[0];
  for (double v : r.values) best = std::min(best, v);
  CHECK(r.value == best);
}

TEST_CASE("lbfgs refuses a value that is not finite, a gradient that lies and a bad box, clearly") {
  auto nan_at_start = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g = Eigen::VectorXd::Zero(x.size());
    return std::nan("");
  };
  const std::string a = error_of([&] { sagips::optim::lbfgs(nan_at_start, Eigen::VectorXd::Ones(3), MPI_COMM_SELF); });
  CHECK(a.find("lbfgs: the objective is not finite at evaluation 1 (value nan)") != std::string::npos);

  // -ln x - ln(0.5 - x), its domain (0, 0.5) left to the line search: L-BFGS-B's first trial step has
  // length 1 and leaves the domain; the evaluation there is reported.
  auto barrier = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g.resize(1);
    g[0] = -1 / x[0] + 1 / (0.5 - x[0]);
    return -std::log(x[0]) - std::log(0.5 - x[0]);
  };
  const std::string b = error_of([&] { sagips::optim::lbfgs(barrier, Eigen::VectorXd::Constant(1, 0.45), MPI_COMM_SELF); });
  CHECK(b.find("not finite at evaluation 2") != std::string::npos);
  CHECK(b.find("bound the parameters") != std::string::npos);

  // The gradient of -x^2 reported as that of x^2: the line search never finds a lower value.
  auto liar = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g = 2 * x;
    return -x.squaredNorm();
  };
  const std::string c = error_of([&] { sagips::optim::lbfgs(liar, Eigen::VectorXd::Constant(2, 1.0), MPI_COMM_SELF); });
  CHECK(c.find("lbfgs: the line search found no lower value after evaluation") != std::string::npos);
  CHECK(c.find("the last trial step had length") != std::string::npos);
  CHECK(c.find("check that the gradient is the value's derivative") != std::string::npos);

  Eigen::VectorXd lo = Eigen::VectorXd::Zero(2), hi = Eigen::VectorXd::Zero(2);
  CHECK_THROWS_WITH_AS(sagips::optim::lbfgs(rosenbrock, Eigen::VectorXd::Zero(2), MPI_COMM_SELF, {}, lo, hi),
                       "lbfgs: parameter 0 has an empty box [0, 0] or a start that is not finite (0)", sagips::Error);
}

namespace {
constexpr int kDegree = 8;
using Bern = sagips::fit::BernsteinNll<kDegree>;
Bern::Vec truth() {
  Bern::Vec t;
  for (int k = 1; k <= kDegree; ++k) {
    const double u = double(k) / kDegree;
    t[k - 1] = 0.6 * std::log((u + 0.3) / 0.3) + 2.5 * std::log((1.3 - u) / 1.3);  // w_k: (u + 0.3)^0.6 (1.3 - u)^2.5
  }
  return t;
}
}  // namespace

TEST_CASE("the Bernstein density integrates to one and its gradient is the value's derivative") {
  const Bern::Vec t = truth();
  const auto events = sagips::fit::bernstein_sample<kDegree>(t, 2000, -1.0, 3.0, 7);
  const Bern nll(events, -1.0, 3.0);
  // Midpoint rule over [-1, 3].
  double integral = 0;
  const int cells = 20000;
  for (int i = 0; i < cells; ++i) integral += nll.density(t, -1.0 + 4.0 * (i + 0.5) / cells) * 4.0 / cells;
  CHECK(integral == doctest::Approx(1).epsilon(1e-8));
  // -ln L is -sum ln density.
  double direct = 0;
  for (double x : events) direct -= std::log(nll.density(t, x));
  CHECK(nll.evaluate(t) == doctest::Approx(direct).epsilon(1e-12));
  Bern::Vec p = t * 0.7, g;
  nll.evaluate(p, &g);
  for (int j = 0; j < kDegree; ++j) {
    Bern::Vec a = p, b = p;
    a[j] += 1e-6;
    b[j] -= 1e-6;
    CHECK(g[j] == doctest::Approx((nll.evaluate(a) - nll.evaluate(b)) / 2e-6).epsilon(1e-6).scale(1));
  }
}

TEST_CASE("bernstein_sample draws the density: its mean and variance match the weights' Beta mixture") {
  const Bern::Vec t = truth();
  const long n = 200000;
  const auto ev = sagips::fit::bernstein_sample<kDegree>(t, n, 0.0, 1.0, 11);
  // Mixture of Beta(k+1, n-k+1) with weights w_k / sum w: E t = sum p_k (k+1)/(n+2), E t^2 likewise.
  double s = 1, m1 = 1.0 / (kDegree + 2), m2 = 2.0 / ((kDegree + 2) * (kDegree + 3));
  for (int k = 1; k <= kDegree; ++k) {
    const double w = std::exp(t[k - 1]);
    s += w;
    m1 += w * (k + 1.0) / (kDegree + 2);
    m2 += w * (k + 1.0) * (k + 2.0) / ((kDegree + 2.0) * (kDegree + 3.0));
  }
  m1 /= s;
  m2 /= s;
  double a = 0, b = 0;
  for (double x : ev) {
    a += x;
    b += x * x;
  }
  a /= n;
  b /= n;
  const double sd = std::sqrt(m2 - m1 * m1);
  CHECK(std::abs(a - m1) < 4 * sd / std::sqrt(double(n)));
  CHECK(std::abs(b - m2) < 4 * 2 * sd / std::sqrt(double(n)));
}

TEST_CASE("the L-BFGS fit of a Bernstein density equals the Newton fit, uncertainties included") {
  const Bern::Vec t = truth();
  const Bern nll(sagips::fit::bernstein_sample<kDegree>(t, 20000, 0.0, 1.0, 3), 0.0, 1.0);
  std::array<double, kDegree> flat{}, near{}, lo{}, hi{};
  lo.fill(-20);
  hi.fill(20);
  for (int j = 0; j < kDegree; ++j) near[j] = t[j];
  // Newton from the truth (from the flat start its projected steps carry two weights to the bound);
  // L-BFGS from the flat start.
  const auto newton = sagips::fit::minimize(nll, near, lo, hi);
  const auto lbfgs = sagips::fit::minimize_lbfgs(nll, flat, lo, hi);
  INFO("newton: " << newton.status << ", lbfgs: " << lbfgs.status);
  REQUIRE(newton.converged);
  REQUIRE(lbfgs.converged);
  CHECK(lbfgs.nll == doctest::Approx(newton.nll).epsilon(1e-10));
  for (int j = 0; j < kDegree; ++j) {
    CHECK(std::abs(lbfgs.value[j] - newton.value[j]) < 1e-3 * newton.sigma[j]);
    CHECK(lbfgs.sigma[j] == doctest::Approx(newton.sigma[j]).epsilon(1e-2));  // Hessians 1e-3 sigma apart
  }
}
