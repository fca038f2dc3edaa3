// The search's parts without MPI: the space and its refusals, the Gaussian process and expected
// improvement, successive halving's promotions, a saved state resumed, options set by key, and the
// energy-distance score against its closed form.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sagips/hpo.hpp>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

namespace hpo = sagips::hpo;
using nlohmann::json;

TEST_CASE("a search space from JSON: draws inside it, the unit cube and back, clear refusals") {
  const auto s = hpo::Space::from_json(json::parse(
      R"({"lr": {"log": [1e-4, 1e-2]}, "beta": {"real": [0, 0.9]}, "k": {"int": [1, 4]}, "o": {"choice": ["gan", "mmd"]}})"));
  CHECK(s.size() == 4);
  std::vector<int> ks(5, 0);
  for (std::uint64_t i = 0; i < 400; ++i) {
    const json p = s.sample(9, i);
    CHECK(p["lr"].get<double>() >= 1e-4);
    CHECK(p["lr"].get<double>() <= 1e-2);
    CHECK(p["beta"].get<double>() <= 0.9);
    ++ks[p["k"].get<int>()];
    CHECK((p["o"] == "gan" || p["o"] == "mmd"));
    CHECK(s.from_unit(s.to_unit(p)) == p);  // bins and logs round-trip
  }
  CHECK(ks[0] == 0);
  for (int k = 1; k <= 4; ++k) CHECK(ks[k] > 60);  // each whole number about a quarter of the time
  auto refused = [](const char* text, const char* why) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(hpo::Space::from_json(json::parse(text)), doctest::Contains(why), sagips::Error);
  };
  refused("{}", "empty");
  refused(R"({"lr": {"log": [0, 1]}})", "above 0");
  refused(R"({"lr": {"real": [1, 1]}})", "empty or not finite");
  refused(R"({"lr": {"cubic": [1, 2]}})", "unknown kind 'cubic'");
  refused(R"({"k": {"int": [1, 2.5]}})", "not whole numbers");
  refused(R"({"o": {"choice": []}})", "choices are empty");
  CHECK_THROWS_WITH_AS(s.to_unit(json::parse(R"({"lr": 1, "beta": 0, "k": 1, "o": "gan"})")),
                       doctest::Contains("outside lr's range"), sagips::Error);
}

TEST_CASE("the Gaussian process interpolates what it saw, is unsure away from it; expected improvement") {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i <= 6; ++i) {
    x.push_back({i / 6.0});
    y.push_back(std::sin(6 * i / 6.0));
  }
  const hpo::GaussianProcess gp(x, y);
  for (std::size_t i = 0; i < x.size(); ++i) {
    double mu = 0, sigma = 0;
    gp.predict(x[i], mu, sigma);
    CHECK(mu == doctest::Approx(y[i]).epsilon(1e-3).scale(1));
    CHECK(sigma < 0.05);
  }
  double mu = 0, near = 0, far = 0;
  gp.predict({1.0 / 12}, mu, near);
  CHECK(mu == doctest::Approx(std::sin(0.5)).epsilon(0.05).scale(1));  // between two points
  const hpo::GaussianProcess one({{0.1}}, {1.0});
  one.predict({0.9}, mu, far);
  CHECK(far > 0.5 * 1.0);  // (a single score: the scale falls back to 1)
  // EI at the best score with sigma 1 is phi(0); no spread, no improvement unless below the best.
  CHECK(hpo::GaussianProcess::expected_improvement(0, 1, 0) == doctest::Approx(1 / std::sqrt(2 * M_PI)));
  CHECK(hpo::GaussianProcess::expected_improvement(1, 0, 0) == 0);
  CHECK(hpo::GaussianProcess::expected_improvement(-1, 0, 0) == 1);
}

namespace {
// A search of a 2-D bowl with its minimum at (0.3, 0.7); the best score after `trials` trials.
double bowl_search(const std::string& method, std::uint64_t seed, int trials) {
  hpo::Settings s;
  s.method = method;
  s.seed = seed;
  s.trials = trials;
  s.initial_random = 4;
  hpo::Scheduler sched(hpo::Space::from_json(json::parse(R"({"a": {"real": [0, 1]}, "b": {"real": [0, 1]}})")), s);
  double best = 1e300;
  while (auto job = sched.next()) {
    hpo::Result r;
    const double a = job->point["a"], b = job->point["b"];
    r.score = (a - 0.3) * (a - 0.3) + (b - 0.7) * (b - 0.7);
    best = std::min(best, r.score);
    sched.record(*job, r);
  }
  return best;
}
}  // namespace

TEST_CASE("the model-based proposals find a bowl's minimum closer than uniform draws at the same budget") {
  std::vector<double> gp, uniform;
  for (std::uint64_t seed = 1; seed <= 9; ++seed) {
    gp.push_back(bowl_search("gp", seed, 16));
    uniform.push_back(bowl_search("random", seed, 16));
  }
  std::sort(gp.begin(), gp.end());
  std::sort(uniform.begin(), uniform.end());
  CAPTURE(gp[4]);
  CAPTURE(uniform[4]);
  CHECK(gp[4] < 0.2 * uniform[4]);  // the medians over nine searches
  CHECK(gp[4] < 1e-3);
}

TEST_CASE("successive halving: budgets, the best third goes on, failures never; a saved state resumes") {
  hpo::Settings s;
  s.method = "random";
  s.trials = 9;
  s.min_budget = 10;
  s.max_budget = 90;
  s.eta = 3;
  const auto space = hpo::Space::from_json(json::parse(R"({"a": {"real": [0, 1]}})"));
  hpo::Scheduler sched(space, s);
  CHECK(sched.budgets() == std::vector<long>{10, 30, 90});
  // Run every rung-0 job first (nine blocks), then whatever comes.
  std::vector<hpo::Job> first;
  while (auto job = sched.next()) {
    CHECK(job->rung == 0);
    CHECK(job->budget == 10);
    first.push_back(*job);
    if (first.size() == 9) break;
  }
  REQUIRE(first.size() == 9);
  CHECK_FALSE(sched.next().has_value());  // all started, none finished: nothing to do yet
  const auto saved = sched.to_json();       // a search killed here resumes with every job again
  for (const auto& job : first) {
    hpo::Result r;
    r.score = job.point["a"].get<double>();
    if (job.trial == 0) r.status = "failed", r.score = NAN;
    sched.record(job, r);
  }
  std::vector<double> rung0;
  for (const auto& job : first)
    if (job.trial != 0) rung0.push_back(job.point["a"].get<double>());
  std::sort(rung0.begin(), rung0.end());
  // floor(9 / 3) = 3 go on, the three lowest scores, each resuming its checkpoint with 30 steps.
  for (int k = 0; k < 3; ++k) {
    auto job = sched.next();
    REQUIRE(job.has_value());
    CHECK(job->rung == 1);
    CHECK(job->budget == 30);
    CHECK(job->resume);
    CHECK(job->point["a"].get<double>() == rung0[static_cast<std::size_t>(k)]);
    hpo::Result r;
    r.score = job->point["a"].get<double>();
    sched.record(*job, r);
  }
  auto top = sched.next();  // floor(3 / 3) = 1 of rung 1 goes to 90 steps
  REQUIRE(top.has_value());
  CHECK(top->rung == 2);
  CHECK(top->point["a"].get<double>() == rung0[0]);
  CHECK(top->folder == s.folder + "/trial-" + std::to_string(top->trial));

  hpo::Scheduler resumed(space, s);
  resumed.restore(saved);
  std::vector<long> again;
  while (auto job = resumed.next()) {
    again.push_back(job->trial);
    if (again.size() == 9) break;
  }
  CHECK(again == std::vector<long>{0, 1, 2, 3, 4, 5, 6, 7, 8});  // what was running runs again
  hpo::Settings other = s;
  other.seed = 2;
  hpo::Scheduler wrong(space, other);
  CHECK_THROWS_WITH_AS(wrong.restore(saved), doctest::Contains("another search's"), sagips::Error);
}

TEST_CASE("options set by key from a search point: types, ranges and names checked, the value kept when refused") {
  sagips::train::TrainerConfig c;
  sagips::exchange::Config x;
  sagips::options::assign_all(json::parse(R"({"lr_generator": 3e-4, "disc_steps": 2, "shard_layout": "strata",
                                               "objective": "energy", "outer_period": 4})"),
                              c, x);
  CHECK(c.lr_generator == 3e-4);
  CHECK(c.disc_steps == 2);
  CHECK(c.shard_layout == sagips::sim::ShardLayout::strata);
  CHECK(c.objective == "energy");
  CHECK(x.outer_period == 4);
  CHECK(sagips::options::assign(c, "beta1", 1.5).find("out of range") != std::string::npos);
  CHECK(c.beta1 == 0.5);
  CHECK(sagips::options::assign(c, "disc_steps", 1.5).find("whole number") != std::string::npos);
  CHECK(sagips::options::assign(c, "shard_layout", "rows").find("choose split or strata") != std::string::npos);
  CHECK_THROWS_WITH_AS(sagips::options::assign_all(json::parse(R"({"learning_rate": 1})"), c, x),
                       doctest::Contains("no option 'learning_rate'"), sagips::Error);
}

TEST_CASE("the energy distance: zero for one distribution, the closed form for two normals") {
  const long n = 3000;
  sagips::HostMatrix<double> a("a", n, 1), b("b", n, 1), c("c", n, 1);
  const sagips::random::CounterRng rng(5);
  for (long i = 0; i < n; ++i) {
    double z[4];
    rng.normal4(static_cast<std::uint64_t>(i), z);
    a(i, 0) = z[0];
    b(i, 0) = z[1];
    c(i, 0) = z[2] + 1;
  }
  CHECK(std::abs(hpo::energy_distance(a, b)) < 0.01);
  // X ~ N(0,1), Y ~ N(1,1): E|X-Y| = E|N(1,2)|, E|X-X'| = E|Y-Y'| = 2/sqrt(pi).
  const double s = std::sqrt(2.0), m = 1;
  const double cross = s * std::sqrt(2 / M_PI) * std::exp(-m * m / (2 * s * s)) + m * std::erf(m / (s * std::sqrt(2.0)));
  const double exact = 2 * cross - 2 * 2 / std::sqrt(M_PI);
  CHECK(hpo::energy_distance(a, c) == doctest::Approx(exact).epsilon(0.1));
  sagips::HostMatrix<double> one("one", 1, 1);
  CHECK_THROWS_AS(hpo::energy_distance(one, a), sagips::Error);
}

TEST_CASE("a space's ends map inside it: a log range's top is not rounded above it") {
  const auto s = hpo::Space::from_json(json::parse(R"({"lr": {"log": [1e-4, 1e-2]}, "x": {"real": [0.1, 0.3]}})"));
  for (double u : {0.0, 1.0}) {
    const json p = s.from_unit({u, u});
    CHECK(p["lr"].get<double>() >= 1e-4);
    CHECK(p["lr"].get<double>() <= 1e-2);
    CHECK(p["x"].get<double>() <= 0.3);
    CHECK_NOTHROW(s.to_unit(p));
  }
}
