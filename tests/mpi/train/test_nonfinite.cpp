// A non-finite generator gradient under real ranks: the run stops on every rank, naming the rank and
// the step, or with --skip-nonfinite skips those steps on every rank alike. The rest of the trainer's
// behaviour under ranks is in test_trainer.cpp.
#include <mpi.h>

#include <limits>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "mpi_test.hpp"
#include "trainer_support.hpp"

using namespace trainer_support;

namespace {
// Trains with the last rank's discriminator poisoned (NaN weights) from step `from` on, so that
// rank's generator gradient is not finite at every step from then while the others' are.
template <class Exchange>
sagips::train::TrainingResult run_poisoned(const sagips::train::TrainerConfig& c, long from, std::vector<float>* gen_before = nullptr,
                            std::vector<float>* gen_after = nullptr) {
  sagips::Trainer<Pipe, Gen, Disc, sagips::loss::LeastSquares, Exchange> t(
      sagips::testing::comm(), c, ex::Config{}, Pipe(), real_data(), sim::Proxy2D::lower_bounds(),
      sim::Proxy2D::upper_bounds());
  auto copy_gen = [&](std::vector<float>* out) {
    if (!out) return;
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t.generator().params());
    out->assign(h.data(), h.data() + h.extent(0));
  };
  copy_gen(gen_before);
  t.before_each_step([&](auto& trainer, long step) {
    if (step == from && sagips::testing::rank() == sagips::testing::size() - 1)
      Kokkos::deep_copy(trainer.discriminator().params(), std::numeric_limits<float>::quiet_NaN());
  });
  auto s = t.run();
  copy_gen(gen_after);
  return s;
}
}  // namespace

TEST_CASE("a non-finite gradient on one rank stops the run on every rank, naming the rank and the step") {
  const int size = sagips::testing::size();
  const fs::path out = shared_tmp("nonfinite");
  auto c = small(out);
  c.stop_at = 12;  // a clean first part with its checkpoint at step 12
  run<ex::Allreduce>(c, ex::Config{});
  c.stop_at = 0;
  c.resume = true;
  const std::string expect = "non-finite generator gradient at step 13 on rank(s) " + std::to_string(size - 1);
  CHECK_THROWS_WITH_AS(run_poisoned<ex::Allreduce>(c, 13), doctest::Contains(expect.c_str()), sagips::CollectiveError);
  CHECK_THROWS_WITH_AS(run_poisoned<ex::Allreduce>(c, 13), doctest::Contains("the last checkpoint (step 12"),
                       sagips::CollectiveError);
  MPI_Barrier(sagips::testing::comm());
  // The checkpoint is intact: a resume without the poison finishes the run.
  const auto s = run<ex::Allreduce>(c, ex::Config{});
  CHECK(s.steps == 24);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(out);
}

TEST_CASE("--skip-nonfinite skips such steps on every rank instead") {
  const fs::path out = shared_tmp("skip");
  auto c = small(out);
  c.steps = 5;
  c.checkpoint_every = 0;
  c.skip_nonfinite = true;
  c.max_skipped = 1;  // every step may be skipped (the default stops the run past a tenth: test_faults.cpp)
  std::vector<float> before, after;
  const auto s = run_poisoned<ex::AsyncRing>(c, 1, &before, &after);
  CHECK(s.skipped_steps == 5);
  CHECK(before == after);  // no generator update was applied on any rank
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(out);
}
