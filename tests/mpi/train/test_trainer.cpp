// The trainer under real ranks: a resumed run is the uninterrupted run bit for bit, every exchange
// strategy trains, outputs are written, and bad setups are refused on every rank (a non-finite
// gradient: test_nonfinite.cpp).
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sagips/sagips.hpp>
#include <sstream>
#include <string>
#include <type_traits>

#include "mpi_test.hpp"
#include "trainer_support.hpp"
#include "user_loss.hpp"

using namespace trainer_support;

namespace {
// A policy bundle that names the user's loss (user_loss.hpp) beside the built-in one.
struct Mine : sagips::Defaults<Pipe> {
  using generator = Gen;
  using discriminator = Disc;
  using losses = sagips::loss::Choice<sagips::loss::LeastSquares, user::PseudoHuber>;
  using strategies = ex::AsyncRing;
};
static_assert(std::is_same_v<sagips::AppFor<Mine>, sagips::App<Pipe, Gen, Disc, ex::AsyncRing, Mine::losses>>);
static_assert(std::is_same_v<sagips::TrainerFor<Mine>,
                             sagips::Trainer<Pipe, Gen, Disc, Mine::losses, ex::AsyncRing, sagips::optim::Builtin>>);
}  // namespace

TEST_CASE("a policy bundle: TrainerFor<Mine> trains with the user's loss it names, chosen at run time") {
  auto c = small(shared_tmp("policies"));
  c.steps = 3;
  c.checkpoint_every = 0;
  c.loss = "pseudo-huber";
  sagips::TrainerFor<Mine> t(sagips::testing::comm(), c, ex::Config{}, Pipe(), real_data());
  const auto r = t.run();
  CHECK(r.configuration["loss"] == "pseudo-huber");
  CHECK(r.strategy == "async-ring");
  CHECK(std::isfinite(r.parameters[0].estimate));
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}

TEST_CASE("a run interrupted and resumed equals the uninterrupted run, bit for bit") {
  ex::Config x;
  x.group_size = 1;  // every rank its own group: inner and outer rings on every step mix
  const fs::path a = shared_tmp("whole"), b = shared_tmp("resumed");
  std::vector<float> ga, da, gb, db;
  run<ex::AsyncRing>(small(a), x, &ga, &da);
  auto c = small(b);
  c.stop_at = 12;  // "interrupted" after the checkpoint at step 12
  run<ex::AsyncRing>(c, x);
  c.stop_at = 0;
  c.resume = true;
  run<ex::AsyncRing>(c, x, &gb, &db);
  REQUIRE(ga.size() == gb.size());
  CHECK(ga == gb);
  CHECK(da == db);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) {
    const std::string whole = read_metrics(a / "metrics.csv"), resumed = read_metrics(b / "metrics.csv");
    CHECK(std::count(whole.begin(), whole.end(), '\n') == 1 + 24 / 4);
    CHECK(whole == resumed);  // the same rows, none lost or duplicated
    CHECK(fs::exists(b / "checkpoints" / "latest"));
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST_CASE("with wire compression, a resumed run equals the uninterrupted run bit for bit (the residual is restored)") {
  struct Case {
    ex::Compression compression;
    std::size_t chunk_threshold;  // 1: the chunked ring, whose hops feed the residual too
    bool sync;                    // SyncRing, or AsyncRing with every rank its own group
  };
  for (const Case& k : {Case{ex::Compression::bf16, 1, true}, Case{ex::Compression::fp16, std::size_t(1) << 40, false}}) {
    CAPTURE(ex::to_string(k.compression));
    ex::Config x;
    x.group_size = 1;
    x.compression = k.compression;
    x.chunk_threshold = k.chunk_threshold;
    const fs::path a = shared_tmp("compressed-whole"), b = shared_tmp("compressed-resumed");
    std::vector<float> ga, da, gb, db, gp;
    auto train = [&](const sagips::train::TrainerConfig& c, const ex::Config& xc, std::vector<float>* gen,
                     std::vector<float>* disc) {
      return k.sync ? run<ex::SyncRing>(c, xc, gen, disc) : run<ex::AsyncRing>(c, xc, gen, disc);
    };
    train(small(a), x, &ga, &da);
    auto c = small(b);
    c.stop_at = 12;
    train(c, x, nullptr, nullptr);
    c.stop_at = 0;
    c.resume = true;
    train(c, x, &gb, &db);
    REQUIRE(ga.size() == gb.size());
    CHECK(ga == gb);
    CHECK(da == db);
    MPI_Barrier(sagips::testing::comm());
    if (sagips::testing::rank() == 0) CHECK(read_metrics(a / "metrics.csv") == read_metrics(b / "metrics.csv"));
    // Compression changes what is computed: the same run without it ends elsewhere ...
    ex::Config plain = x;
    plain.compression = ex::Compression::none;
    auto cp = small(a);
    cp.checkpoint_every = 0;
    train(cp, plain, &gp, nullptr);
    CHECK(gp != ga);
    // ... so it is part of the configuration a resume must share.
    c.steps = 30;
    CHECK_THROWS_WITH_AS(train(c, plain, nullptr, nullptr),
                         doctest::Contains((std::string("exchange.compression: checkpoint \"") +
                                            ex::to_string(k.compression) + "\", this run \"none\"")
                                               .c_str()),
                         sagips::CollectiveError);
    MPI_Barrier(sagips::testing::comm());
    if (sagips::testing::rank() == 0) {
      fs::remove_all(a);
      fs::remove_all(b);
    }
  }
}

TEST_CASE("a checkpoint between two metrics rows: the resumed metrics equal the uninterrupted ones") {
  const fs::path a = shared_tmp("between-whole"), b = shared_tmp("between-resumed");
  auto ca = small(a);
  ca.checkpoint_every = 6;  // metrics every 4: the checkpoint at 6 holds the loss sums of steps 5-6
  run<ex::Allreduce>(ca, ex::Config{});
  auto cb = small(b);
  cb.checkpoint_every = 6;
  cb.stop_at = 6;
  run<ex::Allreduce>(cb, ex::Config{});
  cb.stop_at = 0;
  cb.resume = true;
  run<ex::Allreduce>(cb, ex::Config{});
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) {
    CHECK(read_metrics(a / "metrics.csv") == read_metrics(b / "metrics.csv"));
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST_CASE("resuming with a different configuration is refused on every rank") {
  const fs::path out = shared_tmp("mismatch");
  auto c = small(out);
  c.stop_at = 12;
  run<ex::Allreduce>(c, ex::Config{});
  c.stop_at = 0;
  c.resume = true;
  c.lr_generator *= 2;
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}), doctest::Contains("lr_generator: checkpoint"),
                       sagips::CollectiveError);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) {
    CHECK(fs::exists(out / "checkpoints" / "step-00000012"));  // the earlier checkpoint is intact
    fs::remove_all(out);
  }
}

TEST_CASE("every exchange strategy trains a few steps and writes its outputs") {
  const int size = sagips::testing::size();
  ex::Config x;
  x.group_size = 1;
  auto check = [&](const sagips::train::TrainingResult& s, const fs::path& out, const char* name) {
    CAPTURE(name);
    CHECK(s.strategy == name);
    CHECK(s.parameters.size() == 5);
    CHECK(fs::exists(out / "metrics.csv"));
    CHECK(fs::exists(out / "samples.csv"));
    for (int j = 0; j < 5; ++j) {
      const double m = s.parameters[j].estimate;
      CHECK(m >= sim::Proxy2D::lower_bounds()[j]);
      CHECK(m <= sim::Proxy2D::upper_bounds()[j]);
    }
  };
  auto c = small(shared_tmp("strategies"));
  c.steps = 6;
  c.checkpoint_every = 0;
  auto per_rank = c;
  per_rank.models = 0;  // one model per rank: local has nothing to exchange
  check(run<ex::Local>(per_rank, x), c.output_dir, "local");
  check(run<ex::Allreduce>(c, x), c.output_dir, "allreduce");
  check(run<ex::Iallreduce>(c, x), c.output_dir, "iallreduce");
  check(run<ex::SyncRing>(c, x), c.output_dir, "sync-ring");
  check(run<ex::AsyncRing>(c, x), c.output_dir, "async-ring");
  x.mode = ex::Mode::strong;
  check(run<ex::AsyncRing>(c, x), c.output_dir, "async-ring");
  const auto ens = run<ex::AsyncRing>(per_rank, x);  // independent models with a strategy inside each
  check(ens, c.output_dir, "async-ring");
  CHECK(ens.members == size);
  CHECK(ens.parameters[0].sigma.has_value() == (size > 1));
  if (size >= 2) check(run<ex::ParameterServer>(c, x), c.output_dir, "parameter-server");
  auto avg = c;
  avg.average_discriminator = true;
  check(run<ex::Allreduce>(avg, x), c.output_dir, "allreduce");
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}

TEST_CASE("bad setups fail on every rank with a clear message") {
  auto c = small(shared_tmp("bad"));
  sagips::HostMatrix<float> three("three", 100, 3);
  CHECK_THROWS_WITH_AS((sagips::Trainer<Pipe, Gen, Disc>(sagips::testing::comm(), c, ex::Config{}, Pipe(), three,
                                                          sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds())),
                       doctest::Contains("the real data have 3 columns per event; the pipeline makes events of 2"),
                       sagips::CollectiveError);
  c.output_dir = "/proc/sagips-cannot-write-here";
  c.steps = 2;
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}), doctest::Contains("cannot write to the output folder"),
                       sagips::CollectiveError);
}

TEST_CASE("each network's optimizer is chosen by name: sgd resumes bit for bit, and the choice is part of the run") {
  ex::Config x;
  x.group_size = 1;
  auto with_sgd = [](sagips::train::TrainerConfig c) {
    c.generator_optimizer = "sgd";
    c.momentum = 0.8;
    c.lr_generator = 1e-3;
    return c;
  };
  const fs::path a = shared_tmp("sgd-whole"), b = shared_tmp("sgd-resumed"), adam = shared_tmp("sgd-adam");
  std::vector<float> ga, da, gb, db, g_adam;
  const auto whole = run<ex::AsyncRing>(with_sgd(small(a)), x, &ga, &da);
  CHECK(whole.configuration["generator_optimizer"] == "sgd");
  CHECK(whole.configuration["discriminator_optimizer"] == "adam");
  auto c = with_sgd(small(b));
  c.stop_at = 12;
  run<ex::AsyncRing>(c, x);
  c.stop_at = 0;
  c.resume = true;
  run<ex::AsyncRing>(c, x, &gb, &db);
  CHECK(ga == gb);
  CHECK(da == db);
  auto ca = small(adam);
  ca.lr_generator = 1e-3;
  run<ex::AsyncRing>(ca, x, &g_adam);
  CHECK(ga != g_adam);  // the name chose another optimizer
  // The checkpoint holds the chosen optimizer's state under its name; resuming with another is refused.
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) {
    bool found = false;
    for (const auto& e : fs::recursive_directory_iterator(b / "checkpoints")) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      found = found || bytes.find("generator.sgd.momentum") != std::string::npos;
    }
    CHECK(found);
  }
  auto other = small(b);
  other.lr_generator = 1e-3;
  other.resume = true;
  other.momentum = 0.8;
  CHECK_THROWS_WITH_AS(run<ex::AsyncRing>(other, x), doctest::Contains("generator_optimizer: checkpoint"),
                       sagips::CollectiveError);
  const fs::path unknown_dir = shared_tmp("sgd-unknown");  // collective: every rank asks
  auto unknown = small(unknown_dir);
  unknown.discriminator_optimizer = "lbfgs";
  CHECK_THROWS_WITH_AS(run<ex::AsyncRing>(unknown, x),
                       doctest::Contains("discriminator_optimizer: unknown optimizer 'lbfgs' (choose adam, sgd)"),
                       sagips::CollectiveError);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) {
    fs::remove_all(a);
    fs::remove_all(b);
    fs::remove_all(adam);
    fs::remove_all(unknown_dir);
  }
}

TEST_CASE("Adam's betas come from the configuration: other betas give another run") {
  const fs::path a = shared_tmp("beta-a"), b = shared_tmp("beta-b");
  auto ca = small(a);
  ca.steps = 4;
  ca.checkpoint_every = 0;
  auto cb = small(b);
  cb.steps = 4;
  cb.checkpoint_every = 0;
  cb.beta1 = 0.9;
  cb.beta2 = 0.99;
  std::vector<float> ga, gb, da, db;
  run<ex::Allreduce>(ca, ex::Config{}, &ga, &da);
  run<ex::Allreduce>(cb, ex::Config{}, &gb, &db);
  CHECK(ga != gb);
  CHECK(da != db);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) {
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST_CASE("every rank gets the same typed result, and independent models' estimate is their mean +- spread") {
  const int size = sagips::testing::size();
  auto c = small(shared_tmp("result"));
  c.steps = 4;
  c.checkpoint_every = 0;
  c.models = 0;  // every rank its own model
  ex::Config x;
  const auto r = run<ex::Allreduce>(c, x);
  std::string mine = r.to_json().dump();
  long len = static_cast<long>(mine.size());
  MPI_Bcast(&len, 1, MPI_LONG, 0, sagips::testing::comm());
  std::string root(static_cast<std::size_t>(len), ' ');
  if (sagips::testing::rank() == 0) root = mine;
  MPI_Bcast(root.data(), static_cast<int>(len), MPI_CHAR, 0, sagips::testing::comm());
  CHECK(mine == root);
  REQUIRE(r.members == size);
  REQUIRE(r.member_estimates.size() == static_cast<std::size_t>(size));
  for (int j = 0; j < 5; ++j) {
    double m = 0, v = 0;
    for (const auto& e : r.member_estimates) m += e[j] / size;
    for (const auto& e : r.member_estimates) v += (e[j] - m) * (e[j] - m) / std::max(1, size - 1);
    CHECK(r.parameters[j].estimate == doctest::Approx(m));
    if (size > 1) CHECK(*r.parameters[j].sigma == doctest::Approx(std::sqrt(v)));
    CHECK(r.parameters[j].truth.has_value());
    CHECK(r["p" + std::to_string(j)].name == "p" + std::to_string(j));
  }
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}

TEST_CASE("the run-time choice of strategy and loss trains with each name it is given") {
  using Chosen = sagips::Trainer<Pipe, Gen, Disc, sagips::loss::Builtin, ex::Builtin>;
  auto c = small(shared_tmp("choice"));
  c.steps = 3;
  c.checkpoint_every = 0;
  ex::Config x;
  x.group_size = 1;
  for (const char* strategy : {"allreduce", "sync-ring", "async-ring", "local"})
    for (const char* loss : {"least-squares", "bce"}) {
      CAPTURE(strategy);
      CAPTURE(loss);
      x.strategy = strategy;
      c.models = x.strategy == "local" ? 0 : 1;
      c.loss = loss;
      Chosen t(sagips::testing::comm(), c, x, Pipe(), real_data());
      const auto r = t.run();
      CHECK(r.strategy == strategy);
      CHECK(r.configuration["loss"] == loss);
    }
  c.models = 1;
  x.strategy = "ensemble";  // independent models were once this strategy: the refusal says where they went
  CHECK_THROWS_WITH_AS(Chosen(sagips::testing::comm(), c, x, Pipe(), real_data()),
                       doctest::Contains("'ensemble' is no longer a strategy: independent models are --models N"),
                       sagips::CollectiveError);
  x.strategy = "allreduce";
  c.loss = "wasserstein";
  CHECK_THROWS_WITH_AS(Chosen(sagips::testing::comm(), c, x, Pipe(), real_data()),
                       doctest::Contains("unknown loss 'wasserstein'"), sagips::CollectiveError);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}

TEST_CASE("bootstrap: independent models train on different resamples of the data") {
  if (sagips::testing::size() < 2) return;
  auto c = small(shared_tmp("bootstrap"));
  c.steps = 6;
  c.checkpoint_every = 0;
  c.seed = 3;
  c.models = 0;
  ex::Config x;
  c.bootstrap = false;
  const auto plain = run<ex::Allreduce>(c, x);
  c.bootstrap = true;
  const auto boot = run<ex::Allreduce>(c, x);
  CHECK(plain.member_estimates != boot.member_estimates);
  CHECK(plain.member_estimates[0] != boot.member_estimates[0]);  // model 0 too: its own resample
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}
