// Training against a sample distance instead of a discriminator (--objective energy, mmd, mmd-imq,
// sliced): the distance falls as the generator learns, the ranks' generators agree under a
// synchronous exchange, no discriminator is trained, a resumed run equals the uninterrupted one, and
// what cannot work is refused on every rank with its reason.
#include <doctest/doctest.h>

#include <sagips/sagips.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "trainer_support.hpp"

using namespace trainer_support;

namespace {
// The loss_g column (the distance) of metrics.csv.
std::vector<double> distances(const fs::path& metrics) {
  std::ifstream in(metrics);
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    std::getline(row, cell, ',');  // step
    std::getline(row, cell, ',');  // loss_d
    CHECK(std::stod(cell) == 0);   // no discriminator
    std::getline(row, cell, ',');
    out.push_back(std::stod(cell));
  }
  return out;
}

// Every rank's vector equals rank 0's, bit for bit.
bool same_on_every_rank(std::vector<float> mine) {
  std::vector<float> root = mine;
  MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_FLOAT, 0, sagips::testing::comm());
  int same = root == mine ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, sagips::testing::comm());
  return same == 1;
}

// A flat efficiency: the events weighted 0.9 (a weighting pipeline).
struct Flat {
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S*) const { return S(0.9); }
};
using Weighted = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<32>, sim::Acceptance<Flat>>;

std::vector<float> initial_discriminator(const sagips::train::TrainerConfig& c) {
  sagips::Trainer<Pipe, Gen, Disc, sagips::loss::LeastSquares, ex::Allreduce> t(
      sagips::testing::comm(), c, ex::Config{}, Pipe(), real_data(), sim::Proxy2D::lower_bounds(),
      sim::Proxy2D::upper_bounds());
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t.discriminator().params());
  return std::vector<float>(h.data(), h.data() + h.extent(0));
}
}  // namespace

TEST_CASE("each sample distance falls as the generator learns; the ranks agree; no discriminator is trained") {
  for (const char* name : {"energy", "mmd", "mmd-imq", "sliced"}) {
    CAPTURE(name);
    auto c = small(shared_tmp(std::string("objective-") + name));
    c.objective = name;
    c.steps = 60;
    c.metrics_every = 10;
    c.checkpoint_every = 0;
    c.lr_generator = 2e-3;
    c.slices = 16;
    c.models = 1;  // one model over every rank: its ranks must agree
    const std::vector<float> disc_before = initial_discriminator(c);
    std::vector<float> gen, disc;
    const auto r = run<ex::Allreduce>(c, ex::Config{}, &gen, &disc);
    CHECK(same_on_every_rank(gen));
    CHECK(disc == disc_before);
    CHECK(r.configuration["objective"] == name);
    if (sagips::testing::rank() == 0) {
      const auto d = distances(fs::path(c.output_dir) / "metrics.csv");
      REQUIRE(d.size() == 6);
      CAPTURE(d.front());
      CAPTURE(d.back());
      CHECK(d.back() < 0.5 * d.front());
    }
  }
}

TEST_CASE("with a sample distance, a run interrupted and resumed equals the uninterrupted run, bit for bit") {
  for (const char* name : {"mmd", "sliced"}) {
    CAPTURE(name);
    auto c = small(shared_tmp(std::string("objective-resume-") + name));
    c.objective = name;
    c.slices = 8;
    std::vector<float> whole, resumed;
    run<ex::AsyncRing>(c, ex::Config{}, &whole);
    const std::string metrics = read_metrics(fs::path(c.output_dir) / "metrics.csv");
    auto first = c;
    first.output_dir += "-cut";
    first.stop_at = 12;
    run<ex::AsyncRing>(first, ex::Config{});
    first.stop_at = 0;
    first.resume = true;
    run<ex::AsyncRing>(first, ex::Config{}, &resumed);
    CHECK(resumed == whole);
    CHECK(read_metrics(fs::path(first.output_dir) / "metrics.csv") == metrics);
  }
}

TEST_CASE("what a sample distance cannot do is refused on every rank with its reason") {
  auto c = small(shared_tmp("objective-bad"));
  c.steps = 2;
  c.objective = "energy";
  c.disc_steps = 2;
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}),
                       doctest::Contains("disc_steps: --objective energy trains no discriminator"),
                       sagips::CollectiveError);
  c.disc_steps = 1;
  c.objective = "wasserstein";
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}),
                       doctest::Contains("unknown objective 'wasserstein' (choose gan, energy, mmd, mmd-imq, sliced)"),
                       sagips::CollectiveError);
  c.objective = "mmd";
  c.kernel_bandwidth = -1;
  CHECK_THROWS_WITH_AS(run<ex::Allreduce>(c, ex::Config{}),
                       doctest::Contains("kernel_bandwidth: -1 is out of range: must be >= 0"), sagips::CollectiveError);
  // A weighting pipeline with a distance that takes no weights.
  c.kernel_bandwidth = 0;
  c.objective = "sliced";
  CHECK_THROWS_WITH_AS((sagips::Trainer<Weighted, Gen, Disc, sagips::loss::LeastSquares, ex::Allreduce>(
                           sagips::testing::comm(), c, ex::Config{}, Weighted(), real_data(),
                           sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds())),
                       doctest::Contains("objective: sliced does not take weighted events"), sagips::CollectiveError);
}
