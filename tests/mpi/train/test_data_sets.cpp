// Several data sets in one fit (train/data_sets.hpp), on 3 ranks: data set A on ranks 0-1, data set B
// (another pipeline type, other events) on rank 2, one generator. After one step of plain SGD the
// generator moved by the data sets' gradients weighted by their shares -- by their real events, or by
// the plan's weights -- each gradient being what a run of that data set alone (the same ranks, the same
// draws) computes; each data set's discriminators, averaged, moved exactly as in that run alone (they
// are averaged inside the group, not over the model). A stopped and resumed joint run equals the
// uninterrupted one; data sets of different event dimensions train one generator. Plans that do not
// fit and ranks that disagree are refused on every rank with the reason.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "trainer_support.hpp"

using namespace trainer_support;
namespace train = sagips::train;

namespace {
using A = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing>;
using B = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<16>>;  // another pipeline type
using G = sagips::nn::Mlp<10, 5, sagips::nn::Hidden<16, 16>, sagips::nn::LeakyRelu, sagips::nn::Sigmoid, double>;
using D = sagips::nn::Mlp<2, 1, sagips::nn::Hidden<16, 16>, sagips::nn::LeakyRelu, sagips::nn::Identity, double>;

template <class Pipe>
sagips::HostMatrix<const double> events(long n, std::uint64_t seed, std::array<double, 5> at = sim::Proxy2D::truth()) {
  Pipe pipe;
  return sim::generate_events(pipe, at, n, seed);
}

std::vector<double> values(sagips::ConstVector<double> v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

train::TrainerConfig sgd_step(const fs::path& out) {
  train::TrainerConfig c;
  c.steps = 1;
  c.param_samples = 6;
  c.events_per_sample = 8;
  c.generator_noise = 1;
  c.average_discriminator = true;
  c.generator_optimizer = c.discriminator_optimizer = "sgd";
  c.momentum = 0;
  c.lr_generator = c.lr_discriminator = c.lr_final = 1;
  c.ema = 0;
  c.checkpoint_every = 0;
  c.eval_samples = 20;
  c.progress_every = 1000;
  c.output_dir = out.string();
  return c;
}

struct Moves {
  std::vector<double> gen, disc;  // parameter changes of one step (minus the gradients)
};

// A run of c of this rank's data set on comm with the plan's member: A's events on A's ranks, B's on
// B's; the parameters' changes.
Moves run_of(MPI_Comm comm, const train::DataSetMember& m, const train::TrainerConfig& c) {
  Moves r;
  auto diff = [](const std::vector<double>& after, const std::vector<double>& before) {
    std::vector<double> d(after.size());
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = before[i] - after[i];
    return d;
  };
  auto run = [&](auto&& t) {
    const auto g0 = values(t.generator().params()), d0 = values(t.discriminator().params());
    t.train();
    r.gen = diff(values(t.generator().params()), g0);
    r.disc = diff(values(t.discriminator().params()), d0);
  };
  const auto lo = sim::Proxy2D::lower_bounds(), hi = sim::Proxy2D::upper_bounds();
  if (m.index == 0)
    run(sagips::Trainer<A, G, D, sagips::loss::LeastSquares, ex::Allreduce>(comm, c, ex::Config{}, A(), events<A>(3000, 7), lo, hi, m));
  else
    run(sagips::Trainer<B, G, D, sagips::loss::LeastSquares, ex::Allreduce>(comm, c, ex::Config{}, B(), events<B>(1000, 8), lo, hi, m));
  return r;
}

// One step of plain SGD: the changes are minus the gradients.
Moves step(MPI_Comm comm, const train::DataSetMember& m, const fs::path& out) { return run_of(comm, m, sgd_step(out)); }

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]) / (1 + std::abs(b[i])));
  return d;
}

// Each rank's generator move, from rank 0 (A) and rank 2 (B), on every rank.
std::vector<double> from_rank(const std::vector<double>& mine, int root) {
  std::vector<double> v = mine;
  MPI_Bcast(v.data(), static_cast<int>(v.size()), MPI_DOUBLE, root, sagips::testing::comm());
  return v;
}

std::string error_of(MPI_Comm comm, const train::DataSetMember& m, const fs::path& out) {
  try {
    step(comm, m, out);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("data sets: the generator's step is the data sets' gradients weighted by their shares") {
  REQUIRE(sagips::testing::size() == 3);
  const int rank = sagips::testing::rank();
  const auto out = shared_tmp("data-sets");
  // Each data set alone: A on ranks 0-1 (plan 2, 0), B on rank 2 (plan 0, 1), at once.
  MPI_Comm alone = MPI_COMM_NULL;
  MPI_Comm_split(sagips::testing::comm(), rank < 2 ? 0 : 1, rank, &alone);
  const train::DataSetPlan alone_plan(alone, 1, rank < 2 ? std::vector<int>{2, 0} : std::vector<int>{0, 1});
  const Moves own = step(alone, alone_plan.member(), out / ("alone-" + std::to_string(rank < 2 ? 0 : 1)));
  MPI_Comm_free(&alone);
  const auto g_a = from_rank(own.gen, 0), g_b = from_rank(own.gen, 2);
  REQUIRE(largest_difference(g_a, g_b) > 1e-6);  // the two data sets pull differently

  for (bool by_events : {true, false}) {
    CAPTURE(by_events);
    const train::DataSetPlan plan(sagips::testing::comm(), 1, {2, 1},
                                  by_events ? std::vector<double>{} : std::vector<double>{1.0, 3.0});
    CHECK(plan.index() == (rank < 2 ? 0 : 1));
    const Moves joint = step(sagips::testing::comm(), plan.member(), out / (by_events ? "joint-events" : "joint-weights"));
    const double wa = by_events ? 0.75 : 0.25;  // 3000 and 1000 events; weights 1 and 3
    std::vector<double> expected(g_a.size());
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = wa * g_a[i] + (1 - wa) * g_b[i];
    CHECK(largest_difference(joint.gen, expected) < 1e-9);
    // The discriminators moved as in their data set's run alone: averaged within the group only.
    CHECK(largest_difference(joint.disc, own.disc) < 1e-9);
  }
}

TEST_CASE("data sets: plans that do not fit and ranks that disagree are refused on every rank") {
  const int rank = sagips::testing::rank();
  auto refused = [](auto&& make, const std::string& part) {
    std::string what;
    try {
      make();
    } catch (const std::exception& e) {
      what = e.what();
    }
    CAPTURE(what);
    CHECK(contains(what, part));
  };
  refused([] { train::DataSetPlan(sagips::testing::comm(), 1, {2, 2}); }, "do not fit");
  refused([] { train::DataSetPlan(sagips::testing::comm(), 1, {2, -1, 2}); }, "is given -1 ranks");
  refused([] { train::DataSetPlan(sagips::testing::comm(), 1, {2, 1}, {1.0}); }, "1 weights for 2 data sets");
  refused([] { train::DataSetPlan(sagips::testing::comm(), 1, {2, 1}, {1.0, 0.0}); }, "not a positive number");
  refused([] { train::DataSetPlan(sagips::testing::comm(), 2, {1, 1}); }, "does not divide");
  const auto out = shared_tmp("data-sets-refused");
  // Rank 2 names three data sets, the others two.
  train::DataSetMember m{rank < 2 ? 0 : 1, rank < 2 ? 2 : 3, 0};
  CHECK(contains(error_of(sagips::testing::comm(), m, out / "count"), "names 3 data sets, rank 0 2"));
  // The ranks of data set 0 give it different weights.
  m = {rank < 2 ? 0 : 1, 2, rank == 1 ? 2.0 : 1.0};
  CHECK(contains(error_of(sagips::testing::comm(), m, out / "weight"), "different weights"));
  // A data set's ranks train on different events.
  m = {0, 2, 0};  // every rank claims data set 0, but rank 2 brings B's events... as data set 0's pipeline A:
  std::string what;
  try {
    auto c = sgd_step(out / "data");
    sagips::Trainer<A, G, D, sagips::loss::LeastSquares, ex::Allreduce>(
        sagips::testing::comm(), c, ex::Config{}, A(), events<A>(3000, rank == 2 ? 9 : 7), sim::Proxy2D::lower_bounds(),
        sim::Proxy2D::upper_bounds(), m);
  } catch (const std::exception& e) {
    what = e.what();
  }
  CAPTURE(what);
  CHECK(contains(what, "real data"));
}

TEST_CASE("data sets: ranks by cost give each data set one rank and share the rest by cost") {
  CHECK(train::ranks_by_cost(3, {1, 1, 1}) == std::vector<int>{1, 1, 1});
  CHECK(train::ranks_by_cost(8, {1, 1, 2}) == std::vector<int>{2, 2, 4});   // 5 spare: 1.25, 1.25, 2.5
  CHECK(train::ranks_by_cost(10, {3, 1}) == std::vector<int>{7, 3});       // 8 spare: 6, 2
  CHECK(train::ranks_by_cost(4, {100, 1, 1}) == std::vector<int>{2, 1, 1});
  CHECK_THROWS_WITH_AS(train::ranks_by_cost(2, {1, 1, 1}), doctest::Contains("cannot give each"), sagips::Error);
  CHECK_THROWS_WITH_AS(train::ranks_by_cost(4, {1, 0}), doctest::Contains("costs must be positive"), sagips::Error);
}

TEST_CASE("data sets: a joint run stopped and resumed equals the uninterrupted one; another plan cannot resume it") {
  const auto out = shared_tmp("data-sets-resume");
  const train::DataSetPlan plan(sagips::testing::comm(), 1, {2, 1});
  auto c = sgd_step(out / "whole");
  const train::TrainerConfig defaults;
  c.steps = 6;
  c.checkpoint_every = 3;
  c.generator_optimizer = c.discriminator_optimizer = "adam";
  c.lr_generator = c.lr_discriminator = 1e-3;
  c.lr_final = defaults.lr_final;
  const Moves whole = run_of(sagips::testing::comm(), plan.member(), c);
  c.output_dir = (out / "resumed").string();
  c.stop_at = 3;
  run_of(sagips::testing::comm(), plan.member(), c);
  c.stop_at = 0;
  c.resume = true;
  const Moves resumed = run_of(sagips::testing::comm(), plan.member(), c);
  CHECK(resumed.gen == whole.gen);  // bit for bit
  CHECK(resumed.disc == whole.disc);
  // The same folder with other weights: a different run, refused, naming what differs.
  const train::DataSetPlan weighted(sagips::testing::comm(), 1, {2, 1}, {1.0, 3.0});
  std::string what;
  try {
    run_of(sagips::testing::comm(), weighted.member(), c);
  } catch (const std::exception& e) {
    what = e.what();
  }
  CAPTURE(what);
  CHECK(contains(what, "data_set"));
}

namespace {
// A data set of another event dimension: the x-marginal of the proxy, x^p0 (1 - x)^p1, over the
// proxy's five parameters (it sees two of them).
struct Marginal {
  static constexpr int num_params = 5;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return sagips::math::pow(S(x[0]), p[0]) * sagips::math::pow(S(X(1) - x[0]), p[1]);
  }
  static sim::Box<1> domain() { return {{0.0}, {1.0}}; }
};
using M = sim::BasicPipeline<double, Marginal, sim::InverseCdf1D<32>>;
using D1 = sagips::nn::Mlp<1, 1, sagips::nn::Hidden<16, 16>, sagips::nn::LeakyRelu, sagips::nn::Identity, double>;
}  // namespace

TEST_CASE("data sets of different event dimensions train one generator") {
  const auto out = shared_tmp("data-sets-dimensions");
  const train::DataSetPlan plan(sagips::testing::comm(), 1, {2, 1});
  auto c = sgd_step(out);
  c.steps = 3;
  c.generator_optimizer = c.discriminator_optimizer = "adam";
  c.lr_generator = c.lr_discriminator = 1e-3;
  const auto lo = sim::Proxy2D::lower_bounds(), hi = sim::Proxy2D::upper_bounds();
  std::vector<double> gen;
  if (plan.index() == 0) {
    sagips::Trainer<A, G, D, sagips::loss::LeastSquares, ex::Allreduce> t(sagips::testing::comm(), c, ex::Config{}, A(),
                                                                         events<A>(3000, 7), lo, hi, plan.member());
    t.train();
    gen = values(t.generator().params());
  } else {
    M pipe;
    const auto marginal = sim::generate_events(pipe, sim::Proxy2D::truth(), 1000, 8);
    sagips::Trainer<M, G, D1, sagips::loss::LeastSquares, ex::Allreduce> t(sagips::testing::comm(), c, ex::Config{}, M(),
                                                                          marginal, lo, hi, plan.member());
    t.train();
    gen = values(t.generator().params());
  }
  const auto first = from_rank(gen, 0);
  CHECK(gen == first);  // one generator on every rank, bit for bit
  CHECK(std::all_of(gen.begin(), gen.end(), [](double v) { return std::isfinite(v); }));
}
