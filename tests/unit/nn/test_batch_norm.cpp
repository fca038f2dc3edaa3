// Batch normalisation on one rank (nn/batch_norm.hpp): what it computes, its gradients against finite
// differences on both kernel paths, evaluation mode, its checkpoint, and its refusals. The ranks'
// synchronized version is tests/mpi/nn/test_sync_batch_norm.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sagips/nn.hpp>
#include <sstream>

#include "gradcheck.hpp"

namespace nn = sagips::nn;

TEST_CASE("a batch-normalised layer gives each column zero mean and unit variance, then gamma and beta") {
  using Net = nn::Sequential<double, nn::Dense<3, 4>, nn::BatchNorm>;
  static_assert(Net::num_params == 3 * 4 + 4 + 2 * 4, "W, b, gamma, beta");
  Net net;
  net.initialize(3);
  const int n = 50;
  const auto x = gradcheck::random_matrix<double>(n, 3, 9, 2.0);
  auto ctx = net.make_context(n);
  auto check = [&](double g, double b) {
    auto y = gradcheck::snapshot(net.forward(ctx, x));
    for (int j = 0; j < 4; ++j) {
      double m = 0, v = 0;
      for (int i = 0; i < n; ++i) m += y(i, j) / n;
      for (int i = 0; i < n; ++i) v += (y(i, j) - m) * (y(i, j) - m) / n;
      CHECK(m == doctest::Approx(b).epsilon(1e-9).scale(1));
      CHECK(v == doctest::Approx(g * g).epsilon(1e-4));  // up to eps = 1e-5 beside a variance of order 1
    }
  };
  check(1.0, 0.0);
  Kokkos::deep_copy(net.gamma(0), 2.0);
  Kokkos::deep_copy(net.beta(0), -0.5);
  check(2.0, -0.5);
}

TEST_CASE("gradients of batch-normalised networks match finite differences on both kernel paths") {
  using Seq = nn::Sequential<double, nn::Dense<3, 8>, nn::BatchNorm, nn::Tanh, nn::Dense<8, 8>, nn::BatchNorm,
                             nn::LeakyRelu, nn::Dense<8, 2>>;
  using Mlp = nn::Mlp<2, 1, nn::Hidden<16, 16>, nn::Softplus, nn::Identity, double, nn::BatchNorm>;
  static_assert(Seq::has_batch_norm && Mlp::has_batch_norm && Mlp::normed[1] && !Mlp::normed[2], "");
  for (bool portable : {false, true}) {
    CAPTURE(portable);
    Seq a;
    a.initialize(4);
    a.use_portable_kernels(portable);
    Kokkos::deep_copy(a.gamma(1), 1.3);  // away from gamma = 1, beta = 0
    Kokkos::deep_copy(a.beta(0), 0.2);
    CHECK(gradcheck::relative_error(a, 24, 5) < 1e-6);
    Mlp b;
    b.initialize(6);
    b.use_portable_kernels(portable);
    CHECK(gradcheck::relative_error(b, 32, 7) < 1e-6);
  }
}

TEST_CASE("backward_split of a batch-normalised discriminator equals two backward passes") {
  using D = nn::Mlp<2, 1, nn::Hidden<8>, nn::LeakyRelu, nn::Identity, double, nn::BatchNorm>;
  D d;
  d.initialize(2);
  const int n = 20;
  const auto x = gradcheck::random_matrix<double>(n, 2, 1);
  const auto a = gradcheck::random_matrix<double>(n, 1, 2), b = gradcheck::random_matrix<double>(n, 1, 3);
  auto ctx = d.make_context(n);
  sagips::Matrix<double> dx1("dx1", n, 2), dx2("dx2", n, 2);
  d.forward(ctx, x);
  d.backward_split(ctx, a, dx1, b, nn::ParamGrad::overwrite);
  const auto g1 = gradcheck::snapshot(d.grads());
  d.backward(ctx, a, dx2, nn::ParamGrad::none);
  d.backward(ctx, b, sagips::Matrix<double>(), nn::ParamGrad::overwrite);
  const auto g2 = gradcheck::snapshot(d.grads());
  const auto h1 = gradcheck::snapshot(dx1), h2 = gradcheck::snapshot(dx2);
  for (std::size_t k = 0; k < D::num_params; ++k) CHECK(g1(k) == g2(k));
  for (int i = 0; i < n; ++i) CHECK(h1(i, 0) == h2(i, 0));
}

TEST_CASE("evaluation mode uses the running statistics, which a checkpoint restores") {
  using Net = nn::Sequential<double, nn::Dense<2, 3>, nn::BatchNorm, nn::Tanh>;
  Net net;
  net.initialize(1);
  const int n = 2000;
  const auto x = gradcheck::random_matrix<double>(n, 2, 4, 3.0);
  auto ctx = net.make_context(n);
  for (int k = 0; k < 200; ++k) net.forward(ctx, x);  // momentum 0.1: the estimates converge to this batch's
  const auto train = gradcheck::snapshot(net.forward(ctx, x));
  net.set_training(false);
  auto one = net.make_context(1);
  const auto row = Kokkos::subview(x, std::make_pair(7, 8), Kokkos::ALL);
  const auto eval = gradcheck::snapshot(net.forward(one, row));  // one row is fine in evaluation mode
  // The running variance is the unbiased one: the outputs differ by the factor sqrt((n-1)/n) inside tanh.
  for (int j = 0; j < 3; ++j) CHECK(eval(0, j) == doctest::Approx(train(7, j)).epsilon(2e-3));

  std::stringstream buf;
  sagips::BinaryWriter w(buf);
  net.save(w, "d");
  Net other;
  other.initialize(9);
  sagips::BinaryReader r(buf);
  other.load(r, "d");
  other.set_training(false);
  auto ctx2 = other.make_context(1);
  const auto again = gradcheck::snapshot(other.forward(ctx2, row));
  for (int j = 0; j < 3; ++j) CHECK(again(0, j) == eval(0, j));
}

TEST_CASE("batch norm refuses a training batch of one row and statistics that are not finite") {
  using Net = nn::Sequential<double, nn::Dense<2, 3>, nn::BatchNorm, nn::Relu>;
  Net net;
  auto ctx = net.make_context(4);
  const auto x = gradcheck::random_matrix<double>(1, 2, 4);
  CHECK_THROWS_WITH_AS(net.forward(ctx, x),
                       "batch norm: a training batch of 1 row; its statistics need at least 2 (evaluate with "
                       "set_training(false))",
                       sagips::Error);
  auto bad = gradcheck::random_matrix<double>(4, 2, 4);
  auto h = Kokkos::create_mirror_view(bad);
  Kokkos::deep_copy(h, bad);
  h(2, 1) = std::numeric_limits<double>::quiet_NaN();
  Kokkos::deep_copy(bad, h);
  CHECK_THROWS_WITH_AS(net.forward(ctx, bad), doctest::Contains("batch norm: the batch statistics of column"),
                       sagips::Error);
}
