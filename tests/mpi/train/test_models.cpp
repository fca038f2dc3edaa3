// Independent models beside any exchange strategy (TrainerConfig::models, train/partition.hpp), on 4
// real ranks: 2 models of 2 ranks each train apart (a synchronous strategy keeps a model's ranks
// equal, the models differ), the answer is the models' mean +- spread, a strategy inside one-rank
// models changes nothing, a parameter server runs inside each model, and a count that does not fit
// is refused on every rank; with --start-spread each model starts at a point of its own, and a run
// stopped and resumed equals the uninterrupted one.
#include <mpi.h>

#include <cmath>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "mpi_test.hpp"
#include "trainer_support.hpp"

using namespace trainer_support;

namespace {

std::vector<double> rank_row(const sagips::train::TrainingResult& r, int rank) {
  return {r.rank_estimates.begin() + rank * 5, r.rank_estimates.begin() + (rank + 1) * 5};
}

sagips::train::TrainerConfig two_models(const char* name) {
  auto c = small(shared_tmp(name));
  c.steps = 6;
  c.checkpoint_every = 0;
  c.models = 2;
  return c;
}

void clean(const sagips::train::TrainerConfig& c) {
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}

}  // namespace

TEST_CASE("2 models of 2 ranks: each model's ranks agree, the models differ, the answer is their mean +- spread") {
  if (sagips::testing::size() != 4) return;
  const auto c = two_models("two-models");
  for (bool async : {false, true}) {
    CAPTURE(async);
    ex::Config x;
    const auto r = async ? run<ex::AsyncRing>(c, x) : run<ex::Allreduce>(c, x);
    REQUIRE(r.rank_estimates.size() == 20);
    CHECK(r.members == 2);
    CHECK(r.training_ranks == 4);
    if (!async) {  // a synchronous all-reduce: a model's ranks hold the same weights
      CHECK(rank_row(r, 0) == rank_row(r, 1));
      CHECK(rank_row(r, 2) == rank_row(r, 3));
    }
    CHECK(rank_row(r, 0) != rank_row(r, 2));  // own weights, own resample: another model
    REQUIRE(r.member_estimates.size() == 2);
    for (int j = 0; j < 5; ++j) {
      const double a = r.member_estimates[0][j], b = r.member_estimates[1][j];
      CHECK(r.parameters[j].estimate == doctest::Approx(0.5 * (a + b)));
      REQUIRE(r.parameters[j].sigma.has_value());
      CHECK(*r.parameters[j].sigma == doctest::Approx(std::abs(a - b) / std::sqrt(2.0)));
    }
    CHECK(r.configuration["models"] == 2);
  }
  clean(c);
}

TEST_CASE("one model per rank: the strategy inside changes nothing (async ring = local, bit for bit)") {
  if (sagips::testing::size() != 4) return;
  auto c = two_models("per-rank");
  c.models = 0;
  const auto ring = run<ex::AsyncRing>(c, ex::Config{});
  const auto alone = run<ex::Local>(c, ex::Config{});
  CHECK(ring.members == 4);
  CHECK(ring.rank_estimates == alone.rank_estimates);
  clean(c);
}

TEST_CASE("a parameter server inside each of 2 models: one master and one worker each") {
  if (sagips::testing::size() != 4) return;
  const auto c = two_models("ps-models");
  const auto r = run<ex::ParameterServer>(c, ex::Config{});
  CHECK(r.training_ranks == 2);  // ranks 1 and 3; ranks 0 and 2 serve their models
  CHECK(r.members == 2);
  CHECK(r.parameters[0].sigma.has_value());
  clean(c);
}

TEST_CASE("--start-spread: each model starts at its own point; stopped and resumed equals uninterrupted") {
  if (sagips::testing::size() != 4) return;
  auto c = two_models("start-spread");
  c.start_spread = 0.8;
  c.ema = 0;  // the estimates read the weights themselves
  const auto r = run<ex::Allreduce>(c, ex::Config{});
  // Six steps at lr 2e-4 barely move a model from its start: each member is near its own point, and
  // the two members are as far apart as their points (in the plain run they differ by far less).
  const auto lo = sim::Proxy2D::lower_bounds(), hi = sim::Proxy2D::upper_bounds();
  double apart = 0;
  for (int m = 0; m < 2; ++m) {
    const std::uint64_t seed = c.seed + 1000003ull * static_cast<std::uint64_t>(m);
    const auto t = sagips::train::start_point<5>(seed, c.start_spread);
    for (int j = 0; j < 5; ++j) {
      CAPTURE(m);
      CAPTURE(j);
      CHECK(std::abs(r.member_estimates[m][j] - (lo[j] + (hi[j] - lo[j]) * t[j])) < 0.02 * (hi[j] - lo[j]));
    }
  }
  for (int j = 0; j < 5; ++j) apart += std::abs(r.member_estimates[0][j] - r.member_estimates[1][j]) / (hi[j] - lo[j]);
  CHECK(r.configuration["start_spread"] == 0.8);
  clean(c);
  c.start_spread = 0;
  c.output_dir = shared_tmp("start-centre").string();
  const auto plain = run<ex::Allreduce>(c, ex::Config{});
  double plain_apart = 0;
  for (int j = 0; j < 5; ++j)
    plain_apart += std::abs(plain.member_estimates[0][j] - plain.member_estimates[1][j]) / (hi[j] - lo[j]);
  MESSAGE("models apart (sum over parameters, in box widths): " << apart << " with --start-spread, " << plain_apart
                                                                 << " without");
  CHECK(apart > 2 * plain_apart);
  clean(c);

  // Resume: the start is made once, at construction; a resumed run reads the checkpoint's weights.
  auto w = small(shared_tmp("start-whole"));
  w.models = 2;
  w.start_spread = 0.8;
  auto s = w;
  s.output_dir = shared_tmp("start-resumed").string();
  std::vector<float> gw, gs;
  run<ex::AsyncRing>(w, ex::Config{}, &gw);
  s.stop_at = 12;
  run<ex::AsyncRing>(s, ex::Config{});
  s.stop_at = 0;
  s.resume = true;
  run<ex::AsyncRing>(s, ex::Config{}, &gs);
  CHECK(gw == gs);
  clean(w);
  clean(s);
}

TEST_CASE("a model count that does not fit the ranks is refused on every rank") {
  const int size = sagips::testing::size();
  auto c = two_models("refused-models");
  c.models = size + 1;
  const std::string too_many = "--models " + std::to_string(size + 1) + " asks for more models than the " +
                               std::to_string(size) + " rank(s) of the run";
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}), doctest::Contains(too_many.c_str()), sagips::CollectiveError);
  if (size == 4) {
    c.models = 3;
    CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}), doctest::Contains("--models 3 does not divide the 4 ranks"),
                         sagips::CollectiveError);
  }
  c.models = -1;
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}), doctest::Contains("models: "), sagips::CollectiveError);
  clean(c);
}
