// Synchronized batch normalisation: N ranks holding parts of a batch (uneven, one rank with none)
// compute what one rank holding the whole batch computes: the outputs row for row, the input gradients
// row for row, the parameter gradients summed over the ranks, the running statistics on every rank.
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <random>
#include <sagips/nn.hpp>
#include <string>

#include "mpi_test.hpp"

SAGIPS_MPI_TEST_RANKS(1, 4);

namespace nn = sagips::nn;

namespace {
using Net = nn::Sequential<double, nn::Dense<3, 8>, nn::BatchNorm, nn::Tanh, nn::Dense<8, 6>, nn::BatchNorm,
                           nn::LeakyRelu, nn::Dense<6, 1>>;

sagips::Matrix<double> rows_of(const std::vector<double>& all, int cols, int first, int last) {
  sagips::Matrix<double> m("m", last - first, cols);
  auto h = Kokkos::create_mirror_view(m);
  for (int i = first; i < last; ++i)
    for (int j = 0; j < cols; ++j) h(i - first, j) = all[std::size_t(i) * cols + j];
  Kokkos::deep_copy(m, h);
  return m;
}
template <class V>
auto host(const V& v) {
  auto h = Kokkos::create_mirror(v);
  Kokkos::deep_copy(h, v);
  return h;
}
}  // namespace

TEST_CASE("N ranks of a synchronized batch norm compute what one rank of the whole batch computes") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const int n = 37;
  std::mt19937 gen(5);
  std::normal_distribution<double> d(0.0, 1.5);
  std::vector<double> x(n * 3), c(n);
  for (auto& v : x) v = d(gen) + 0.7;
  for (auto& v : c) v = d(gen);
  // Rank q holds a block proportional to q (rank 0 none when there are several ranks).
  const int weight_sum = size * (size - 1) / 2;
  int first = 0;
  for (int q = 0; q < r; ++q) first += weight_sum ? n * q / weight_sum : n;
  const int last = r == size - 1 ? n : first + (weight_sum ? n * r / weight_sum : n);

  Net whole, part;
  whole.initialize(11);
  part.initialize(11);
  part.set_batch_norm_comm(sagips::testing::comm());
  CHECK(part.batch_norm_synchronized() == (size > 1));
  auto cw = whole.make_context(n);
  auto cp = part.make_context(last - first);
  const auto xw = rows_of(x, 3, 0, n), xp = rows_of(x, 3, first, last);
  const auto uw = rows_of(c, 1, 0, n), up = rows_of(c, 1, first, last);
  sagips::Matrix<double> dxw("dxw", n, 3), dxp("dxp", last - first, 3);
  for (int step = 0; step < 3; ++step) {  // three passes: the running statistics move three times
    const auto yw = host(whole.forward(cw, xw));
    const auto yp = host(part.forward(cp, xp));
    for (int i = first; i < last; ++i) CHECK(yp(i - first, 0) == doctest::Approx(yw(i, 0)).epsilon(1e-12));
    whole.backward(cw, uw, dxw, nn::ParamGrad::overwrite);
    part.backward(cp, up, dxp, nn::ParamGrad::overwrite);
  }
  const auto hw = host(dxw), hp = host(dxp);
  for (int i = first; i < last; ++i)
    for (int j = 0; j < 3; ++j) CHECK(hp(i - first, j) == doctest::Approx(hw(i, j)).epsilon(1e-10).scale(1e-2));
  // L = sum_i c_i y_i over the whole batch: the ranks' parameter gradients add up to the whole's.
  const auto gw = host(whole.grads()), gp = host(part.grads());
  std::vector<double> sum(Net::num_params);
  MPI_Allreduce(gp.data(), sum.data(), static_cast<int>(Net::num_params), MPI_DOUBLE, MPI_SUM, sagips::testing::comm());
  for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(sum[k] == doctest::Approx(gw(k)).epsilon(1e-10).scale(1e-2));
  const auto rw = whole.running_statistics(), rp = part.running_statistics();
  for (std::size_t k = 0; k < rw.extent(0); ++k) CHECK(rp(k) == doctest::Approx(rw(k)).epsilon(1e-12));
}

TEST_CASE("a synchronized training batch of one row in all is refused on every rank") {
  const int r = sagips::testing::rank();
  Net net;
  net.set_batch_norm_comm(sagips::testing::comm());
  const int mine = r == 0 ? 1 : 0;
  auto ctx = net.make_context(1);
  sagips::Matrix<double> x("x", mine, 3);
  std::string what = "no error";
  try {
    net.forward(ctx, x);
  } catch (const sagips::CollectiveError& e) {
    what = e.what();
  } catch (const sagips::Error& e) {
    what = std::string("local: ") + e.what();
  }
  const std::string expected = sagips::testing::size() > 1
                                   ? "batch norm: a training batch of 1 row over all ranks; its statistics need at "
                                     "least 2 (evaluate with set_training(false))"
                                   : "local: batch norm: a training batch of 1 row; its statistics need at least 2 "
                                     "(evaluate with set_training(false))";
  CHECK(what == expected);
}
