// Batch-normalised networks in the trainer: with --sync-batch-norm (the default) a model's ranks
// reduce the statistics together, so under allreduce their generators stay bit for bit alike and every
// rank holds the same running statistics; --no-sync-batch-norm leaves each rank its own batch.
#include <mpi.h>

#include <sagips/sagips.hpp>
#include <vector>

#include "mpi_test.hpp"
#include "trainer_support.hpp"

using namespace trainer_support;

SAGIPS_MPI_TEST_RANKS(2, 3);

namespace {
using GenBN = sagips::nn::Mlp<10, 5, sagips::nn::Hidden<32, 32>, sagips::nn::LeakyRelu, sagips::nn::Sigmoid, float,
                              sagips::nn::BatchNorm>;
using DiscBN = sagips::nn::Sequential<float, sagips::nn::Dense<2, 32>, sagips::nn::BatchNorm, sagips::nn::LeakyRelu,
                                      sagips::nn::Dense<32, 1>>;
struct Normed : sagips::Defaults<Pipe> {
  using generator = GenBN;
  using discriminator = DiscBN;
  using strategies = ex::Allreduce;
};

template <class V>
std::vector<double> host_values(const V& v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}
// Whether every rank holds rank 0's values exactly.
bool same_as_rank0(std::vector<double> mine) {
  std::vector<double> first = mine;
  MPI_Bcast(first.data(), static_cast<int>(first.size()), MPI_DOUBLE, 0, sagips::testing::comm());
  int same = first == mine, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, sagips::testing::comm());
  return all == 1;
}
}  // namespace

TEST_CASE("a model's ranks synchronize their batch norms: generators and running statistics agree on every rank") {
  for (bool sync : {true, false}) {
    CAPTURE(sync);
    auto c = small(shared_tmp(sync ? "bn_sync" : "bn_local"));
    c.steps = 6;
    c.checkpoint_every = 0;
    c.average_discriminator = true;
    c.sync_batch_norm = sync;
    c.generator_noise = 1;  // a batch of distinct rows (with 0 it is one row repeated: refused below)
    sagips::TrainerFor<Normed> t(sagips::testing::comm(), c, ex::Config{}, Pipe(), real_data());
    const auto r = t.run();
    CHECK(r.configuration["sync_batch_norm"] == sync);
    CHECK(t.generator().batch_norm_synchronized() == sync);
    CHECK(t.discriminator().batch_norm_synchronized() == sync);
    const auto gen_running = host_values(t.generator().running_statistics());
    const auto disc_running = host_values(t.discriminator().running_statistics());
    CHECK(same_as_rank0(gen_running) == sync);  // each rank's own batch: other statistics
    CHECK(same_as_rank0(disc_running) == sync);
    if (sync) CHECK(same_as_rank0(host_values(t.generator().params())));  // allreduce: one generator
    MPI_Barrier(sagips::testing::comm());
    if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
  }
}

TEST_CASE("a batch-normalised generator without noise is refused on every rank") {
  auto c = small(shared_tmp("bn_no_noise"));
  c.generator_noise = 0;
  CHECK_THROWS_WITH_AS(sagips::TrainerFor<Normed>(sagips::testing::comm(), c, ex::Config{}, Pipe(), real_data()),
                       doctest::Contains("generator_noise: the generator has batch-normalised layers"),
                       sagips::CollectiveError);
}

TEST_CASE("the estimates read a batch-normalised generator in evaluation mode, by its running statistics") {
  auto c = small(shared_tmp("bn_estimates"));
  c.steps = 6;
  c.checkpoint_every = 0;
  c.generator_noise = 1;
  c.ema = 0;  // the estimates read the generator's own weights
  using Trainer = sagips::TrainerFor<Normed>;
  Trainer t(sagips::testing::comm(), c, ex::Config{}, Pipe(), real_data());
  t.run();
  sagips::HostMatrix<float> drawn;
  t.parameter_stats(7, &drawn);
  // The same draws through the trained generator in evaluation mode, by hand.
  auto& gen = t.generator();
  const int n = c.eval_samples;
  sagips::Matrix<float> noise("noise", n, GenBN::in_width);
  const sagips::random::StepKeys keys{c.seed, static_cast<std::uint64_t>(sagips::testing::rank()), 7};
  Trainer::Step::fill_noise(noise, keys, sagips::random::Purpose::evaluation, c.generator_noise);
  auto ctx = gen.make_context(n);
  gen.set_training(false);
  const auto u = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), gen.forward(ctx, noise));
  gen.set_training(true);
  const auto lo = sim::Proxy2D::lower_bounds(), hi = sim::Proxy2D::upper_bounds();
  double largest = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 5; ++j)
      largest = std::max(largest, std::abs(drawn(i, j) - (lo[j] + u(i, j) * (hi[j] - lo[j]))) / (hi[j] - lo[j]));
  CHECK(largest < 1e-6);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(c.output_dir);
}
