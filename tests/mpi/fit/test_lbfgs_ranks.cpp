// Loss integrity of the deterministic fits: the same global events split unevenly over 1..5 ranks give
// the same value, the same gradient and the same L-BFGS (and Adam) iterates as one rank holding them
// all, and every rank ends bit for bit at the same point. For a likelihood (fit::BernsteinNll) and for
// a network trained on a fixed sample (an Mlp surrogate, its loss a global sum over a global count).
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <sagips/fit.hpp>
#include <sagips/nn.hpp>
#include <sagips/optim.hpp>
#include <vector>

#include "mpi_test.hpp"

SAGIPS_MPI_TEST_RANKS(1, 5);

namespace {
// Rank r's part of n items, in uneven contiguous blocks: rank r's block is proportional to r + 1.
std::pair<long, long> uneven_block(long n, int r, int size) {
  const long total_weight = long(size) * (size + 1) / 2;
  long begin = 0;
  for (int q = 0; q < r; ++q) begin += n * (q + 1) / total_weight;
  long len = n * (r + 1) / total_weight;
  if (r == size - 1) len = n - begin;  // the remainder to the last
  return {begin, begin + len};
}

template <class V>
bool same_on_every_rank(const V& x) {
  std::vector<double> mine(x.data(), x.data() + x.size()), first(mine);
  MPI_Bcast(first.data(), static_cast<int>(first.size()), MPI_DOUBLE, 0, sagips::testing::comm());
  int same = mine == first ? 1 : 0, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, sagips::testing::comm());
  return all == 1;
}

constexpr int kDegree = 8;
using Bern = sagips::fit::BernsteinNll<kDegree>;
}  // namespace

TEST_CASE("a Bernstein fit by L-BFGS is the same on any number of ranks holding the same events") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  Bern::Vec truth;
  for (int k = 1; k <= kDegree; ++k) {  // w_k: (u + 0.3)^0.6 (1.3 - u)^2.5 at u = k/n, relative to u = 0
    const double u = double(k) / kDegree;
    truth[k - 1] = 0.6 * std::log((u + 0.3) / 0.3) + 2.5 * std::log((1.3 - u) / 1.3);
  }
  const auto all = sagips::fit::bernstein_sample<kDegree>(truth, 30000, 0.0, 2.0, 5);  // the same on every rank
  const auto [b, e] = uneven_block(static_cast<long>(all.size()), r, n);
  const Bern spread(std::vector<double>(all.begin() + b, all.begin() + e), 0.0, 2.0, sagips::testing::comm());
  const Bern whole(all, 0.0, 2.0);
  CHECK(spread.events() == 30000);
  Bern::Vec p = truth * 0.5, g1, g2;
  CHECK(spread.evaluate(p, &g1) == doctest::Approx(whole.evaluate(p, &g2)).epsilon(1e-12));
  for (int j = 0; j < kDegree; ++j) CHECK(g1[j] == doctest::Approx(g2[j]).epsilon(1e-9).scale(1));

  std::array<double, kDegree> start{}, lo{}, hi{};
  lo.fill(-15);
  hi.fill(15);
  const auto fs = sagips::fit::minimize_lbfgs(spread, start, lo, hi);
  const auto fw = sagips::fit::minimize_lbfgs(whole, start, lo, hi);
  INFO("spread: " << fs.status << " in " << fs.iterations << " iterations, whole: " << fw.status << " in "
                    << fw.iterations);
  // (The data want a weight or two below zero: those sit at the bound, on any rank count alike.)
  REQUIRE(fs.status.rfind("stopped", 0) != 0);
  CHECK(fs.status == fw.status);
  CHECK(same_on_every_rank(fs.value));
  // The sums' order differs with the split, so the iterates may part by rounding over ~100 iterations
  // of an ill-conditioned fit (neighbouring Bernstein weights are strongly correlated); the answer
  // may not: the same minimum to 1e-3 sigma, the same sigma to 1%.
  CHECK(fs.nll == doctest::Approx(fw.nll).epsilon(1e-10));
  for (int j = 0; j < kDegree; ++j) {
    CHECK(std::abs(fs.value[j] - fw.value[j]) < 1e-3 * (fw.at_bound[j] ? 1.0 : fw.sigma[j]));
    CHECK(fs.sigma[j] == doctest::Approx(fw.sigma[j]).epsilon(1e-2));
  }
}

namespace {
using Net = sagips::nn::Mlp<1, 1, sagips::nn::Hidden<16, 16>, sagips::nn::Tanh, sagips::nn::Identity, double>;

// A network fitted to y = sin(3x) + x^2/2 at fixed points: this rank's rows [first, last) of the sample.
struct Surrogate {
  Net net;
  sagips::Matrix<double> x, y;
  sagips::optim::LeastSquares<Net> share;
  static sagips::Matrix<double> column(long first, long last, long global, bool target) {
    sagips::Matrix<double> m(target ? "y" : "x", last - first, 1);
    auto h = Kokkos::create_mirror_view(m);
    for (long i = first; i < last; ++i) {
      const double t = -1.5 + 3.0 * (i + 0.5) / global;
      h(i - first, 0) = target ? std::sin(3 * t) + 0.5 * t * t : t;
    }
    Kokkos::deep_copy(m, h);
    return m;
  }
  Surrogate(long first, long last, long global)
      : x(column(first, last, global, false)), y(column(first, last, global, true)), share(net, x, y, global) {
    net.initialize(42);
  }
};
}  // namespace

TEST_CASE("a network fitted by L-BFGS (and by Adam) takes the same steps on any number of ranks") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  const long rows = 1000;
  const auto [b, e] = uneven_block(rows, r, n);
  Surrogate spread(b, e, rows), whole(0, rows, rows);
  auto& share = spread.share;
  auto& all = whole.share;

  sagips::optim::LbfgsOptions o;
  o.max_iterations = 40;  // a fixed budget: rounding differences would grow over many more
  const auto ls = sagips::optim::lbfgs(share, share.parameters(), sagips::testing::comm(), o);
  const auto lw = sagips::optim::lbfgs(all, all.parameters(), MPI_COMM_SELF, o);
  CHECK(same_on_every_rank(ls.x));
  CHECK(ls.iterations == lw.iterations);
  CHECK(ls.evaluations == lw.evaluations);
  CHECK(ls.value < 0.05 * ls.values.front());  // it fits
  CHECK(ls.value == doctest::Approx(lw.value).epsilon(1e-8));
  CHECK((ls.x - lw.x).cwiseAbs().maxCoeff() < 1e-7 * (1 + lw.x.cwiseAbs().maxCoeff()));

  // 30 Adam steps on the global gradient: the loss is a global sum over a global count, so the
  // update does not depend on how the rows are split.
  spread.net.initialize(42);
  whole.net.initialize(42);
  Eigen::VectorXd ps = share.parameters(), pw = all.parameters();
  sagips::optim::Adam<double>::Config c;
  c.lr = 1e-2;
  sagips::optim::Adam<double> as(ps.size(), c), aw(pw.size(), c);
  for (int k = 0; k < 30; ++k) {
    Eigen::VectorXd gs, gw, sum(ps.size());
    share(ps, gs);
    all(pw, gw);
    MPI_Allreduce(gs.data(), sum.data(), static_cast<int>(gs.size()), MPI_DOUBLE, MPI_SUM, sagips::testing::comm());
    for (auto* step : {&ps, &pw}) {
      const Eigen::VectorXd& g = step == &ps ? sum : gw;
      sagips::Vector<double> pv("p", step->size());
      sagips::Vector<double> gv("g", step->size());
      auto hp = Kokkos::create_mirror_view(pv);
      auto hg = Kokkos::create_mirror_view(gv);
      for (int j = 0; j < step->size(); ++j) {
        hp(j) = (*step)[j];
        hg(j) = g[j];
      }
      Kokkos::deep_copy(pv, hp);
      Kokkos::deep_copy(gv, hg);
      (step == &ps ? as : aw).step(pv, gv);
      Kokkos::deep_copy(hp, pv);
      for (int j = 0; j < step->size(); ++j) (*step)[j] = hp(j);
    }
  }
  CHECK(same_on_every_rank(ps));
  CHECK((ps - pw).cwiseAbs().maxCoeff() < 1e-10);
}
