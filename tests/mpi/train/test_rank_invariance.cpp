// Loss integrity: a training step does not depend on the rank count. One model of R ranks with B
// parameter sets each and one rank with all R B sets (the same global batch, the real events laid
// out with --shard-layout strata) compute the same losses and the same generator and discriminator
// gradients, and after k steps hold the same parameters: for R = 1..5, with the Allreduce and
// SyncRing exchanges, the discriminator averaged over the ranks, unweighted and weighted events,
// shards of uneven size, two discriminator updates per step. In double precision the only
// differences are the order of the sums over ranks (tolerance 1e-9). The split layout, whose batch
// depends on each rank's block of the data, is shown to differ: the test can fail.
//
// Run on 5 ranks: each rank count R trains on the first R ranks of the job.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sagips/sagips.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "trainer_support.hpp"

using namespace trainer_support;

namespace {
struct Slope {  // an acceptance that varies over the events: the weights differ event to event
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S* x) const {
    return S(0.5) + S(0.4) * x[0];
  }
};
struct Flat {  // a constant acceptance
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S*) const {
    return S(0.9);
  }
};
using Plain = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing>;
using Weighted = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing,
                                    sim::Acceptance<Slope>>;
using G = sagips::nn::Mlp<10, 5, sagips::nn::Hidden<16, 16>, sagips::nn::LeakyRelu, sagips::nn::Sigmoid, double>;
using D = sagips::nn::Mlp<2, 1, sagips::nn::Hidden<16, 16>, sagips::nn::LeakyRelu, sagips::nn::Identity, double>;

constexpr int sets = 60;  // the global batch: divisible by 1..5

sagips::HostMatrix<const double> data() {
  Plain pipe;
  return sim::generate_events(pipe, sim::Proxy2D::truth(), 5003, 11);  // 5003: strata of uneven size
}

std::vector<double> values(sagips::ConstVector<double> v) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

// metrics.csv's loss_d and loss_g, row after row.
std::vector<double> losses(const fs::path& metrics) {
  std::ifstream in(metrics);
  std::string line, cell;
  std::getline(in, line);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::getline(row, cell, ',');
    for (int k = 0; k < 2; ++k) {
      std::getline(row, cell, ',');
      out.push_back(std::stod(cell));
    }
  }
  return out;
}

struct Run {
  std::vector<double> gen0, gen, disc0, disc, losses;
};

// The run of c on the first `ranks` ranks of the job, as the job's rank 0 sees it (empty elsewhere).
template <class Pipe, class Exchange>
Run train_on(int ranks, sagips::train::TrainerConfig c, const fs::path& out) {
  const auto real = data();
  MPI_Comm sub = MPI_COMM_NULL;
  MPI_Comm_split(sagips::testing::comm(), sagips::testing::rank() < ranks ? 0 : MPI_UNDEFINED,
                 sagips::testing::rank(), &sub);
  Run r;
  if (sub != MPI_COMM_NULL) {
    c.param_samples = sets / ranks;
    c.output_dir = (out / std::to_string(ranks)).string();
    sagips::Trainer<Pipe, G, D, sagips::loss::LeastSquares, Exchange> t(
        sub, c, ex::Config{}, Pipe(), real, sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds());
    r.gen0 = values(t.generator().params());
    r.disc0 = values(t.discriminator().params());
    t.train();
    r.gen = values(t.generator().params());
    r.disc = values(t.discriminator().params());
    if (t.is_reporter()) r.losses = losses(fs::path(c.output_dir) / "metrics.csv");
    MPI_Comm_free(&sub);
  }
  MPI_Barrier(sagips::testing::comm());
  return r;
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]) / (1 + std::abs(b[i])));
  return d;
}

sagips::train::TrainerConfig config() {
  sagips::train::TrainerConfig c;
  c.events_per_sample = 4;
  c.generator_noise = 1;  // the noise's keys are part of what is checked
  c.average_discriminator = true;
  c.shard_layout = sim::ShardLayout::strata;
  c.metrics_every = 1;
  c.checkpoint_every = 0;
  c.eval_samples = 20;
  c.progress_every = 1000;
  return c;
}

// Steps of plain SGD (no momentum, learning rate 1): the first step's parameter change is minus the
// gradient, so comparing it compares the gradients themselves.
sagips::train::TrainerConfig gradient_config() {
  auto c = config();
  c.steps = 1;
  c.generator_optimizer = c.discriminator_optimizer = "sgd";
  c.momentum = 0;
  c.lr_generator = c.lr_discriminator = 1;
  c.lr_final = 1;
  c.ema = 0;
  return c;
}

std::vector<double> change(const std::vector<double>& after, const std::vector<double>& before) {
  std::vector<double> d(after.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = before[i] - after[i];
  return d;
}

template <class Pipe, class Exchange>
void check_every_rank_count(const char* name) {
  CAPTURE(name);
  // The gradients of one step.
  const auto gout = shared_tmp(std::string("invariance-gradient-") + name);
  const Run one = train_on<Pipe, Exchange>(1, gradient_config(), gout);
  // k steps of Adam, two discriminator updates each.
  auto adam = config();
  adam.steps = 6;
  adam.disc_steps = 2;
  const auto aout = shared_tmp(std::string("invariance-adam-") + name);
  const Run first = train_on<Pipe, Exchange>(1, adam, aout);
  for (int ranks = 2; ranks <= sagips::testing::size(); ++ranks) {
    CAPTURE(ranks);
    const Run g = train_on<Pipe, Exchange>(ranks, gradient_config(), gout);
    const Run a = train_on<Pipe, Exchange>(ranks, adam, aout);
    if (sagips::testing::rank() != 0) continue;
    CHECK(g.gen0 == one.gen0);  // the same networks to begin with
    CHECK(g.disc0 == one.disc0);
    CHECK(largest_difference(change(g.gen, g.gen0), change(one.gen, one.gen0)) < 1e-9);
    CHECK(largest_difference(change(g.disc, g.disc0), change(one.disc, one.disc0)) < 1e-9);
    CHECK(largest_difference(g.losses, one.losses) < 1e-9);
    CHECK(largest_difference(a.gen, first.gen) < 1e-9);
    CHECK(largest_difference(a.disc, first.disc) < 1e-9);
    REQUIRE(a.losses.size() == 12);
    CHECK(largest_difference(a.losses, first.losses) < 1e-9);
  }
  if (sagips::testing::rank() == 0) {
    // The gradients are not all zero (the comparison compares something).
    const auto g = change(one.gen, one.gen0);
    CHECK(*std::max_element(g.begin(), g.end()) > 1e-6);
  }
}
}  // namespace

TEST_CASE("a step's losses, gradients and k steps' parameters do not depend on the rank count: allreduce") {
  check_every_rank_count<Plain, ex::Allreduce>("plain-allreduce");
}

TEST_CASE("... with weighted events and the synchronous ring") {
  check_every_rank_count<Weighted, ex::SyncRing>("weighted-sync-ring");
}

TEST_CASE("weighted means: the value, dL/do and dL/dw over uneven ranks equal the whole batch's, by finite differences") {
  // Rank r holds 3 + r events of the global list; event k has output o_k and weight w_k.
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  auto first = [](int rank) { return 3 * rank + rank * (rank - 1) / 2; };
  const int total = first(size), mine = 3 + r, at = first(r);
  auto o_of = [](int k) { return 0.3 + 0.05 * k; };
  auto w_of = [](int k) { return 0.2 + 0.7 * ((k * 37) % 11) / 11.0; };
  auto global_loss = [&](const std::vector<double>& w) {  // sum w l / sum w, l = (o - 1)^2
    double num = 0, den = 0;
    for (int k = 0; k < total; ++k) {
      num += w[k] * (o_of(k) - 1) * (o_of(k) - 1);
      den += w[k];
    }
    return num / den;
  };
  sagips::Matrix<double> o("o", mine, 1), d_o("d_o", mine, 1);
  sagips::Vector<double> w("w", mine), d_w("d_w", mine);
  for (int i = 0; i < mine; ++i) {
    o(i, 0) = o_of(at + i);
    w(i) = w_of(at + i);
  }
  sagips::loss::DeviceValue<double> g("g");
  sagips::loss::LeastSquares::evaluate_to<double>(g, o, sagips::loss::Label::real, w, 1.0, d_o, d_w);
  const sagips::train::WeightedMeans<double> means(sagips::testing::comm());
  using Means = sagips::train::WeightedMeans<double>;
  const auto all = means.over_model(Means::local(w, g, sagips::loss::DeviceValue<double>()));
  CHECK(Means::problem(all, 1).empty());
  means.normalise_generator(all, g, d_o, d_w);
  // The exchange averages over the ranks: each rank's share, divided by the rank count, summed.
  double value = g() / size;
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_SUM, sagips::testing::comm());
  std::vector<double> wg(static_cast<std::size_t>(total));
  for (int k = 0; k < total; ++k) wg[k] = w_of(k);
  CHECK(value == doctest::Approx(global_loss(wg)).epsilon(1e-12));
  for (int i = 0; i < mine; ++i) {
    const int k = at + i;
    auto up = wg, down = wg;
    const double h = 1e-6;
    up[k] += h;
    down[k] -= h;
    const double fd = (global_loss(up) - global_loss(down)) / (2 * h);
    CHECK(d_w(i) / size == doctest::Approx(fd).epsilon(1e-7).scale(1e-3));
    double sum_w = 0;
    for (double x : wg) sum_w += x;
    CHECK(d_o(i, 0) / size == doctest::Approx(wg[k] * 2 * (o_of(k) - 1) / sum_w).epsilon(1e-12));
  }
  // Zero total weight: the same message on every rank.
  CHECK(contains(Means::problem(Means::Sums{}, 7), "have total weight 0"));
}

TEST_CASE("a constant acceptance changes nothing: weights are normalised by their sum, not the event count") {
  using Flat90 = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing,
                                    sim::Acceptance<Flat>>;
  const auto out = shared_tmp("invariance-flat");
  const int ranks = sagips::testing::size();
  const Run plain = train_on<Plain, ex::Allreduce>(ranks, gradient_config(), out / "plain");
  const Run flat = train_on<Flat90, ex::Allreduce>(ranks, gradient_config(), out / "flat");
  if (sagips::testing::rank() != 0) return;
  CHECK(largest_difference(flat.losses, plain.losses) < 1e-9);
  CHECK(largest_difference(change(flat.gen, flat.gen0), change(plain.gen, plain.gen0)) < 1e-9);
  CHECK(largest_difference(change(flat.disc, flat.disc0), change(plain.disc, plain.disc0)) < 1e-9);
}

TEST_CASE("the split layout draws each rank's batch from its own block: there the rank count shows") {
  if (sagips::testing::size() < 2) return;
  auto c = gradient_config();
  c.shard_layout = sim::ShardLayout::split;
  const auto out = shared_tmp("invariance-split");
  const Run one = train_on<Plain, ex::Allreduce>(1, c, out);
  const Run two = train_on<Plain, ex::Allreduce>(2, c, out);
  if (sagips::testing::rank() == 0)
    CHECK(largest_difference(change(two.disc, two.disc0), change(one.disc, one.disc0)) > 1e-6);
}

TEST_CASE("strata with fewer real events than parameter sets: refused on every rank") {
  auto c = config();
  c.param_samples = 3000;  // 3000 x ranks sets for 5003 events
  const auto out = shared_tmp("invariance-refused");
  if (sagips::testing::size() < 2) return;
  c.output_dir = out.string();
  CHECK_THROWS_WITH_AS((sagips::Trainer<Plain, G, D, sagips::loss::LeastSquares, ex::Allreduce>(
                           sagips::testing::comm(), c, ex::Config{}, Plain(), data(), sim::Proxy2D::lower_bounds(),
                           sim::Proxy2D::upper_bounds())),
                       doctest::Contains("parameter sets of a step"), sagips::CollectiveError);
}
