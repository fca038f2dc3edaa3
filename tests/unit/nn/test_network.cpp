// Networks: finite-difference gradients of every activation and of a whole 4 x 128 MLP, on both
// kernel paths; the flat-buffer layout; initialisation; the modes and reuse of backward; bad input.
#include <doctest/doctest.h>

#include <sagips/runtime/serialize.hpp>
#include <sagips/nn.hpp>
#include <sstream>

#include "gradcheck.hpp"

namespace nn = sagips::nn;

// An activation of the user's own, recognised by its members like the built-ins (activations.hpp).
struct Elu {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T a) { return z > T(0) ? z : a * sagips::math::expm1(z); }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T a) { return y > T(0) ? T(1) : y + a; }
};
static_assert(nn::check_activation<Elu>(), "");
static_assert(!nn::is_activation_v<nn::Dense<2, 2>>, "");

template <class Act>
using Small = nn::Sequential<double, nn::Dense<3, 5>, Act, nn::Dense<5, 4>, Act, nn::Dense<4, 2>>;

TEST_CASE_TEMPLATE("every activation passes the finite-difference check (double, both kernel paths)", Act,
                   nn::Identity, nn::Relu, nn::LeakyRelu, nn::Tanh, nn::Sigmoid, nn::Softplus, Elu) {
  for (bool portable : {false, true}) {
    CAPTURE(portable);
    Small<Act> net;
    net.use_portable_kernels(portable);
    net.initialize(3);
    CHECK(gradcheck::relative_error(net, 7, 11) < 1e-7);
  }
}

TEST_CASE("a 2 -> 4x128 -> 1 LeakyReLU MLP passes the finite-difference check (double, rel. error < 1e-6)") {
  using Net = nn::Mlp<2, 1, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu, nn::Identity, double>;
  for (bool portable : {false, true}) {
    CAPTURE(portable);
    Net net;
    net.use_portable_kernels(portable);
    net.initialize(42);
    CHECK(gradcheck::relative_error(net, 16, 5, 300) < 1e-6);
  }
}

TEST_CASE("a user's activation (ELU) in an Mlp passes the check like the built-ins") {
  using Net = nn::Mlp<2, 1, nn::Hidden<16, 16>, Elu, nn::Identity, double>;
  Net net;
  net.initialize(5);
  CHECK(gradcheck::relative_error(net, 8, 3) < 1e-6);
}

TEST_CASE("an MLP with a sigmoid output layer (the generator's shape) passes the check") {
  using Gen = nn::Mlp<10, 5, nn::Hidden<32, 32>, nn::LeakyRelu, nn::Sigmoid, double>;
  Gen net;
  net.initialize(9);
  CHECK(gradcheck::relative_error(net, 8, 21) < 1e-6);
}

TEST_CASE("the layers' parameter and gradient slices tile the flat buffers exactly") {
  using Net = nn::Mlp<2, 1, nn::Hidden<128, 64>, nn::Tanh>;
  static_assert(Net::num_params == (2 * 128 + 128) + (128 * 64 + 64) + (64 * 1 + 1));
  Net net;
  std::size_t next = 0;
  for (int l = 0; l < Net::num_layers; ++l) {
    CHECK(net.weights(l).data() == net.params().data() + next);
    next += net.weights(l).extent(0);
    CHECK(net.bias(l).data() == net.params().data() + next);
    next += net.bias(l).extent(0);
    CHECK(net.weight_grads(l).data() - net.grads().data() == net.weights(l).data() - net.params().data());
  }
  CHECK(next == Net::num_params);
  CHECK(net.params().extent(0) == Net::num_params);
  CHECK(net.grads().extent(0) == Net::num_params);
}

TEST_CASE("initialisation is deterministic for a seed and follows the chosen scheme") {
  using Net = nn::Mlp<4, 3, nn::Hidden<64>, nn::Relu>;
  Net a, b;
  a.initialize(7);
  b.initialize(7);
  auto ha = gradcheck::snapshot(a.params());
  auto hb = gradcheck::snapshot(b.params());
  for (std::size_t k = 0; k < Net::num_params; ++k) REQUIRE(ha(k) == hb(k));
  b.initialize(8);
  hb = gradcheck::snapshot(b.params());
  int same = 0;
  for (std::size_t k = 0; k < Net::num_params; ++k) same += ha(k) == hb(k);
  CHECK(same < 5);
  // torch_default: |w| <= 1/sqrt(fan_in), and the spread fills that range.
  auto w0 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.weights(0));
  double mx = 0;
  for (std::size_t k = 0; k < w0.extent(0); ++k) mx = std::max(mx, std::abs(double(w0(k))));
  CHECK(mx <= 0.5 + 1e-6);
  CHECK(mx > 0.45);
  // Kaiming normal: sample variance near gain^2 / fan_in.
  nn::InitConfig cfg;
  cfg.weights = nn::WeightInit::kaiming_normal;
  cfg.bias = nn::BiasInit::zero;
  nn::Mlp<256, 256, nn::Hidden<>, nn::Relu> k(cfg);
  k.initialize(1);
  auto hw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), k.weights(0));
  auto hbias = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), k.bias(0));
  double var = 0;
  for (std::size_t i = 0; i < hw.extent(0); ++i) var += double(hw(i)) * hw(i) / hw.extent(0);
  CHECK(var == doctest::Approx(2.0 / 256).epsilon(0.03));
  CHECK(hbias(0) == 0.0f);
}

TEST_CASE("accumulate adds to the gradients, overwrite replaces them") {
  using Net = nn::Mlp<3, 2, nn::Hidden<16>, nn::Tanh, nn::Identity, double>;
  Net net;
  net.initialize(1);
  auto ctx = net.make_context(5);
  const auto x = gradcheck::random_matrix<double>(5, 3, 1);
  const auto dy = gradcheck::random_matrix<double>(5, 2, 2);
  net.forward(ctx, x);
  net.backward(ctx, dy, sagips::Matrix<double>(), nn::ParamGrad::overwrite);
  auto once = gradcheck::snapshot(net.grads());
  net.backward(ctx, dy, sagips::Matrix<double>(), nn::ParamGrad::accumulate);
  auto twice = gradcheck::snapshot(net.grads());
  for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(twice(k) == doctest::Approx(2 * once(k)).epsilon(1e-14));
  net.backward(ctx, dy, sagips::Matrix<double>(), nn::ParamGrad::overwrite);
  auto again = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.grads());
  for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(again(k) == once(k));
}

TEST_CASE("one forward serves two backward passes: dx without parameter gradients, then parameters") {
  using Net = nn::Mlp<2, 1, nn::Hidden<32, 32>, nn::LeakyRelu, nn::Identity, double>;
  Net net;
  net.initialize(4);
  auto ctx = net.make_context(9);
  const auto x = gradcheck::random_matrix<double>(9, 2, 3);
  const auto dy = gradcheck::random_matrix<double>(9, 1, 4);
  sagips::Matrix<double> dx_both("dx", 9, 2), dx_only("dx", 9, 2);
  net.forward(ctx, x);
  net.backward(ctx, dy, dx_both, nn::ParamGrad::overwrite);
  auto g_both = gradcheck::snapshot(net.grads());
  net.zero_grads();
  net.backward(ctx, dy, dx_only, nn::ParamGrad::none);
  auto g_none = gradcheck::snapshot(net.grads());
  for (std::size_t k = 0; k < Net::num_params; ++k) REQUIRE(g_none(k) == 0.0);  // untouched
  net.backward(ctx, dy, sagips::Matrix<double>(), nn::ParamGrad::overwrite);
  auto g_params = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.grads());
  auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dx_both);
  auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dx_only);
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 2; ++j) CHECK(a(i, j) == b(i, j));
  for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(g_params(k) == g_both(k));
}

TEST_CASE("backward_split equals two backward passes (dx for one upstream, parameters for another)") {
  using Net = nn::Mlp<2, 1, nn::Hidden<32, 32>, nn::LeakyRelu, nn::Sigmoid, double>;
  for (bool portable : {false, true})
    for (auto mode : {nn::ParamGrad::overwrite, nn::ParamGrad::accumulate}) {
      CAPTURE(portable);
      CAPTURE(static_cast<int>(mode));
      Net net;
      net.use_portable_kernels(portable);
      net.initialize(8);
      auto ctx = net.make_context(40);
      const auto x = gradcheck::random_matrix<double>(33, 2, 3);
      const auto dy_in = gradcheck::random_matrix<double>(33, 1, 4);
      const auto dy_par = gradcheck::random_matrix<double>(33, 1, 5);
      sagips::Matrix<double> dx_ref("dx", 33, 2), dx("dx", 33, 2);
      net.forward(ctx, x);
      Kokkos::deep_copy(net.grads(), 0.25);  // what accumulate adds to
      net.backward(ctx, dy_in, dx_ref, nn::ParamGrad::none);
      net.backward(ctx, dy_par, sagips::Matrix<double>(), mode);
      auto g_ref = gradcheck::snapshot(net.grads());
      Kokkos::deep_copy(net.grads(), 0.25);
      net.backward_split(ctx, dy_in, dx, dy_par, mode);
      auto g = gradcheck::snapshot(net.grads());
      auto a = gradcheck::snapshot(dx_ref);
      auto b = gradcheck::snapshot(dx);
      for (int i = 0; i < 33; ++i)
        for (int j = 0; j < 2; ++j) CHECK(b(i, j) == doctest::Approx(a(i, j)).epsilon(1e-12));
      for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(g(k) == doctest::Approx(g_ref(k)).epsilon(1e-12));
    }
}

TEST_CASE("running the batch in row blocks gives the whole-batch results (forward, backward, backward_split)") {
  using Net = nn::Mlp<2, 1, nn::Hidden<16, 16>, nn::LeakyRelu, nn::Identity, double>;
  Net whole, blocked;
  whole.set_row_block(0);
  blocked.set_row_block(7);  // 33 rows: blocks of 7, 7, 7, 7, 5
  whole.initialize(12);
  blocked.initialize(12);
  auto cw = whole.make_context(40), cb = blocked.make_context(40);
  const auto x = gradcheck::random_matrix<double>(33, 2, 1);
  const auto dy = gradcheck::random_matrix<double>(33, 1, 2);
  const auto dy2 = gradcheck::random_matrix<double>(33, 1, 3);
  auto close = [](const auto& a, const auto& b) {
    auto ha = gradcheck::snapshot(a);
    auto hb = gradcheck::snapshot(b);
    REQUIRE(ha.span() == hb.span());
    for (std::size_t k = 0; k < ha.span(); ++k) CHECK(hb.data()[k] == doctest::Approx(ha.data()[k]).epsilon(1e-12));
  };
  close(whole.forward(cw, x), blocked.forward(cb, x));
  sagips::Matrix<double> dxw("dxw", 33, 2), dxb("dxb", 33, 2);
  for (auto mode : {nn::ParamGrad::overwrite, nn::ParamGrad::accumulate}) {
    whole.backward(cw, dy, dxw, mode);
    blocked.backward(cb, dy, dxb, mode);
    close(dxw, dxb);
    close(whole.grads(), blocked.grads());
    whole.backward_split(cw, dy, dxw, dy2, mode);
    blocked.backward_split(cb, dy, dxb, dy2, mode);
    close(dxw, dxb);
    close(whole.grads(), blocked.grads());
  }
}

TEST_CASE("a context runs on fewer rows than it was made for") {
  using Net = nn::Mlp<2, 3, nn::Hidden<8>, nn::Tanh>;
  Net net;
  auto big = net.make_context(100);
  auto exact = net.make_context(37);
  const auto x = gradcheck::random_matrix<float>(37, 2, 9);
  auto y1 = gradcheck::snapshot(net.forward(big, x));
  auto y2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.forward(exact, x));
  REQUIRE(y1.extent(0) == 37);
  for (int i = 0; i < 37; ++i)
    for (int j = 0; j < 3; ++j) CHECK(y1(i, j) == y2(i, j));
}

TEST_CASE("the portable kernels agree with the Eigen path (float)") {
  using Net = nn::Mlp<2, 1, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu>;
  Net eig, por;
  eig.initialize(5);
  por.initialize(5);
  por.use_portable_kernels(true);
  auto ce = eig.make_context(300), cp = por.make_context(300);
  const auto x = gradcheck::random_matrix<float>(300, 2, 1);
  const auto dy = gradcheck::random_matrix<float>(300, 1, 2);
  sagips::Matrix<float> dxe("dxe", 300, 2), dxp("dxp", 300, 2);
  auto ye = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), eig.forward(ce, x));
  auto yp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), por.forward(cp, x));
  eig.backward(ce, dy, dxe, nn::ParamGrad::overwrite);
  por.backward(cp, dy, dxp, nn::ParamGrad::overwrite);
  for (int i = 0; i < 300; ++i) CHECK(ye(i, 0) == doctest::Approx(yp(i, 0)).epsilon(1e-4));
  auto ge = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), eig.grads());
  auto gp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), por.grads());
  double num = 0, den = 0;
  for (std::size_t k = 0; k < Net::num_params; ++k) {
    num += double(ge(k) - gp(k)) * (ge(k) - gp(k));
    den += double(ge(k)) * ge(k);
  }
  CHECK(std::sqrt(num / den) < 1e-5);
}

TEST_CASE("bad shapes are clear errors") {
  using Net = nn::Mlp<2, 1, nn::Hidden<8>, nn::Tanh>;
  Net net;
  auto ctx = net.make_context(10);
  CHECK_THROWS_WITH_AS(net.forward(ctx, sagips::Matrix<float>("x", 4, 3)),
                       "network input has 3 columns; the network expects 2", sagips::Error);
  CHECK_THROWS_WITH_AS(net.forward(ctx, sagips::Matrix<float>("x", 11, 2)),
                       "batch of 11 rows exceeds the context's 10", sagips::Error);
  net.forward(ctx, sagips::Matrix<float>("x", 4, 2));
  CHECK_THROWS_AS(net.backward(ctx, sagips::Matrix<float>("dy", 5, 1), sagips::Matrix<float>(), nn::ParamGrad::overwrite),
                  sagips::Error);
}

TEST_CASE("parameters save and restore exactly") {
  using Net = nn::Mlp<3, 2, nn::Hidden<16>, nn::Softplus>;
  Net a, b;
  a.initialize(1);
  b.initialize(2);
  std::stringstream buf;
  sagips::BinaryWriter w(buf);
  a.save(w, "gen");
  sagips::BinaryReader r(buf);
  b.load(r, "gen");
  auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a.params());
  auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b.params());
  for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(ha(k) == hb(k));
}
