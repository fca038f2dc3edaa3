// Faults a cluster user meets, under real ranks: a stop signal (a scheduler's time limit) ends every
// rank after the same step with a checkpoint and a resume equals the uninterrupted run; a generator
// whose weights diverged, too many skipped steps, a resume past --steps, ranks given different data
// and a resume on other data or another program setting are each refused on every rank, saying why.
#include <mpi.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <limits>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "mpi_test.hpp"
#include "trainer_support.hpp"

using namespace trainer_support;

namespace {
using Hook = std::function<void(sagips::Trainer<Pipe, Gen, Disc, sagips::loss::LeastSquares, ex::AsyncRing>&, long)>;

// A run of the small problem (AsyncRing, every rank its own group) with a hook before each step and
// the data given; the generator's weights afterwards in *gen.
sagips::train::TrainingResult run_hooked(const sagips::train::TrainerConfig& c, Hook hook = nullptr,
                                         std::vector<float>* gen = nullptr,
                                         sagips::HostMatrix<const float> data = real_data()) {
  ex::Config x;
  x.group_size = 1;
  sagips::Trainer<Pipe, Gen, Disc, sagips::loss::LeastSquares, ex::AsyncRing> t(
      sagips::testing::comm(), c, x, Pipe(), data, sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds());
  if (hook) t.before_each_step(hook);
  auto r = t.run();
  if (gen) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t.generator().params());
    gen->assign(h.data(), h.data() + h.extent(0));
  }
  return r;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

void clean(const fs::path& p) {
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(p);
}
}  // namespace

TEST_CASE("a stop signal on one rank stops every rank after the next step, checkpointed; --resume equals the whole run") {
  const int last = sagips::testing::size() - 1;
  const fs::path a = shared_tmp("signal-whole"), b = shared_tmp("signal-stopped");
  std::vector<float> whole, resumed;
  run_hooked(small(a), nullptr, &whole);

  auto c = small(b);
  int code = 0;
  std::string message;
  try {
    run_hooked(c, [&](auto&, long step) {
      if (step == 7 && sagips::testing::rank() == last) std::raise(SIGUSR1);  // Slurm's --signal=USR1@T
    });
  } catch (const sagips::Stopped& e) {
    code = e.exit_code();
    message = e.what();
  }
  CHECK(code == sagips::signals::exit_code);
  CHECK(message == "interrupted by SIGUSR1 at step 8; checkpoint saved in " + b.string() +
                       "/checkpoints; continue with --resume");
  CHECK(sagips::signals::requested() == 0);  // the record went with the run
  MPI_Barrier(sagips::testing::comm());
  CHECK(sagips::files::read_file(b / "checkpoints" / "latest") == "step-00000008\n");

  c.resume = true;
  const auto r = run_hooked(c, nullptr, &resumed);
  CHECK(r.steps == 24);
  CHECK(r.steps_this_run == 16);
  CHECK(whole == resumed);  // bit for bit
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) CHECK(read_metrics(a / "metrics.csv") == read_metrics(b / "metrics.csv"));
  clean(a);
  clean(b);
}

TEST_CASE("a stop signal with checkpoints off says the run cannot be continued") {
  const fs::path out = shared_tmp("signal-nockpt");
  auto c = small(out);
  c.checkpoint_every = 0;
  const std::string message = what_of([&] {
    run_hooked(c, [](auto&, long step) {
      if (step == 3 && sagips::testing::rank() == 0) std::raise(SIGTERM);
    });
  });
  CHECK(message == "interrupted by SIGTERM at step 4; no checkpoint was written (--checkpoint-every 0): it cannot "
                   "be continued");
  clean(out);
}

TEST_CASE("non-finite generator weights stop every rank at that step, with --skip-nonfinite too") {
  const int last = sagips::testing::size() - 1;
  for (const bool skip : {false, true}) {
    for (const int disc_steps : {1, 2}) {
      CAPTURE(skip);
      CAPTURE(disc_steps);
      const fs::path out = shared_tmp("diverged");
      auto c = small(out);
      c.skip_nonfinite = skip;
      c.disc_steps = disc_steps;  // the refusal in an extra discriminator update
      c.average_discriminator = disc_steps == 2;  // whose own exchange the refusing rank still joins
      const std::string message = what_of([&] {
        run_hooked(c, [&](auto& t, long step) {
          if (step == 5 && sagips::testing::rank() == last)
            Kokkos::deep_copy(t.generator().params(), std::numeric_limits<float>::quiet_NaN());
        });
      });
      CHECK(contains(message, "the generator proposed non-finite parameters at step 5: its weights have diverged"));
      if (last > 0) CHECK(contains(message, "(on rank " + std::to_string(last) + ")"));
      CHECK(contains(message, "the run stopped on every rank (no checkpoint was written yet)"));
      clean(out);
    }
  }
}

TEST_CASE("--skip-nonfinite stops the run once more than --max-skipped of its steps were skipped") {
  const int last = sagips::testing::size() - 1;
  const fs::path out = shared_tmp("max-skipped");
  auto c = small(out);
  c.steps = 30;
  c.checkpoint_every = 0;
  c.skip_nonfinite = true;  // max_skipped: 0.1 by default, so the 4th skip of 30 steps stops it
  const std::string message = what_of([&] {
    run_hooked(c, [&](auto& t, long step) {
      if (step == 1 && sagips::testing::rank() == last)
        Kokkos::deep_copy(t.discriminator().params(), std::numeric_limits<float>::quiet_NaN());
    });
  });
  CHECK(contains(message, "4 of the 30 steps of this run were skipped for non-finite gradients (the last at step 4"));
  CHECK(contains(message, "more than --max-skipped 0.1 of them"));
  clean(out);
}

TEST_CASE("resuming with --steps below the checkpoint's step is refused; at it, nothing is left to train") {
  const fs::path out = shared_tmp("steps-below");
  run_hooked(small(out));  // checkpoint at step 24
  auto c = small(out);
  c.resume = true;
  c.steps = 12;
  CHECK(what_of([&] { run_hooked(c); }) ==
        "the checkpoint in " + (out / "checkpoints").string() + " is at step 24, past --steps 12: give --steps 24 or "
        "more to continue it");
  c.steps = 24;
  const auto r = run_hooked(c);
  CHECK(r.steps == 24);
  CHECK(r.steps_this_run == 0);
  clean(out);
}

TEST_CASE("ranks given different real data are refused on every rank") {
  if (sagips::testing::size() < 2) return;
  const fs::path out = shared_tmp("different-data");
  Pipe pipe;
  const auto mine = sim::generate_events(pipe, sim::Proxy2D::truth(), 20000,
                                         sagips::testing::rank() == sagips::testing::size() - 1 ? 6 : 5);
  const std::string message = what_of([&] { run_hooked(small(out), nullptr, nullptr, mine); });
  CHECK(contains(message, "the real data differ between ranks"));
  clean(out);
}

TEST_CASE("a resume on other data or with another program setting is refused, naming the key") {
  const fs::path out = shared_tmp("fingerprint");
  auto c = small(out);
  c.stop_at = 12;
  c.program = {{"resolution", "0.01"}};
  run_hooked(c);
  c.stop_at = 0;
  c.resume = true;

  Pipe pipe;
  const auto other = sim::generate_events(pipe, sim::Proxy2D::truth(), 20000, 6);
  std::string message = what_of([&] { run_hooked(c, nullptr, nullptr, other); });
  CHECK(contains(message, "was written by a different configuration (data.checksum: checkpoint \""));

  c.program = {{"resolution", "0.02"}};
  message = what_of([&] { run_hooked(c); });
  CHECK(contains(message, "(program.resolution: checkpoint \"0.01\", this run \"0.02\")"));

  c.program = {{"resolution", "0.01"}};
  const auto r = run_hooked(c);  // the same data and settings: resumed
  CHECK(r.steps_this_run == 12);
  CHECK(r.configuration["data"]["events"] == 20000);
  CHECK(r.configuration["data"]["checksum"].get<std::string>().size() == 16);
  clean(out);
}
