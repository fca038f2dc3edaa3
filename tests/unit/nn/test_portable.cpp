// The portable (device) path of the networks and losses, on any backend: a dense layer's tile of rows
// fits the team scratch it is given (fewer rows for wide layers, level-1 scratch past that) and gives
// the host path's results either way; with a progress callback a batch runs in row blocks that call
// it after each and give the whole batch's results; a loss evaluated into device memory equals the
// one returned to the host, bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <sagips/loss.hpp>
#include <sagips/nn.hpp>

#include "gradcheck.hpp"

namespace nn = sagips::nn;
using nn::detail::TilePlan;

TEST_CASE("a dense layer's tile fits the scratch it is given: fewer rows for wide layers, level 1 past that") {
  auto plan = [](auto tag, int width, std::size_t level0) {
    using T = decltype(tag);
    const TilePlan p = nn::detail::tile_plan<T>(width, level0);
    return std::make_pair(p.rows, p.level);
  };
  CHECK(plan(float(), 100, 40936) == std::make_pair(32, 0));   // 12.8 KB: the whole tile in shared memory
  CHECK(plan(float(), 400, 40936) == std::make_pair(16, 0));   // 51 KB would not fit a GPU block's 40 KB
  CHECK(plan(double(), 600, 32768) == std::make_pair(4, 0));
  CHECK(plan(float(), 20000, 40936) == std::make_pair(32, 1));  // not one row fits: global scratch
  CHECK(plan(float(), 128, 40936) == std::make_pair(32, 0));    // the paper's width: unchanged
}

TEST_CASE("every tile plan gives the host path's forward and input gradient") {
  const int n = 45, in = 24, out = 7;
  const auto x = gradcheck::random_matrix<double>(n, in, 1);
  const auto dz = gradcheck::random_matrix<double>(n, out, 2);
  sagips::Vector<double> w("w", out * in), b("b", out);
  {
    const auto wm = gradcheck::random_matrix<double>(out * in, 1, 3), bm = gradcheck::random_matrix<double>(out, 1, 4);
    Kokkos::deep_copy(w, Kokkos::subview(wm, Kokkos::ALL, 0));
    Kokkos::deep_copy(b, Kokkos::subview(bm, Kokkos::ALL, 0));
  }
  auto hw = gradcheck::snapshot(w), hb = gradcheck::snapshot(b);
  auto hx = gradcheck::snapshot(x), hdz = gradcheck::snapshot(dz);
  for (const TilePlan plan : {TilePlan{1, 0}, TilePlan{4, 0}, TilePlan{32, 0}, TilePlan{32, 1}}) {
    CAPTURE(plan.rows);
    CAPTURE(plan.level);
    sagips::Matrix<double> y("y", n, out), dx("dx", n, in);
    nn::detail::forward_portable<nn::Tanh, double>(x, w, b, y, 0.0, plan);
    nn::detail::input_backward_portable<double>(dz, w, dx, plan);
    auto hy = gradcheck::snapshot(y), hdx = gradcheck::snapshot(dx);
    for (int r = 0; r < n; ++r) {
      for (int o = 0; o < out; ++o) {
        double acc = hb(o);
        for (int i = 0; i < in; ++i) acc += hx(r, i) * hw(o * in + i);
        REQUIRE(hy(r, o) == doctest::Approx(std::tanh(acc)).epsilon(1e-12));
      }
      for (int i = 0; i < in; ++i) {
        double acc = 0;
        for (int o = 0; o < out; ++o) acc += hdz(r, o) * hw(o * in + i);
        REQUIRE(hdx(r, i) == doctest::Approx(acc).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("a wide layer (512) trains on the portable path as on the Eigen path (the tile no longer fits 32 rows)") {
  using Net = nn::Mlp<2, 1, nn::Hidden<512>, nn::LeakyRelu, nn::Identity, double>;
  Net eig, por;
  eig.initialize(5);
  por.initialize(5);
  por.use_portable_kernels(true);
  auto ce = eig.make_context(70), cp = por.make_context(70);
  const auto x = gradcheck::random_matrix<double>(70, 2, 1);
  const auto dy = gradcheck::random_matrix<double>(70, 1, 2);
  auto ye = gradcheck::snapshot(eig.forward(ce, x)), yp = gradcheck::snapshot(por.forward(cp, x));
  for (int i = 0; i < 70; ++i) CHECK(yp(i, 0) == doctest::Approx(ye(i, 0)).epsilon(1e-12));
  sagips::Matrix<double> dxe("dxe", 70, 2), dxp("dxp", 70, 2);
  eig.backward(ce, dy, dxe, nn::ParamGrad::overwrite);
  por.backward(cp, dy, dxp, nn::ParamGrad::overwrite);
  auto ge = gradcheck::snapshot(eig.grads()), gp = gradcheck::snapshot(por.grads());
  for (std::size_t k = 0; k < Net::num_params; ++k) CHECK(gp(k) == doctest::Approx(ge(k)).epsilon(1e-10).scale(1e-12));
}

TEST_CASE("with a progress callback the portable path runs in row blocks, calls it after each, and gives the whole batch's results") {
  using Net = nn::Mlp<2, 1, nn::Hidden<16, 16>, nn::LeakyRelu, nn::Identity, double>;
  Net whole, blocked;
  whole.use_portable_kernels(true);
  blocked.use_portable_kernels(true);
  blocked.set_progress_blocks(4);
  whole.initialize(12);
  blocked.initialize(12);
  const int n = 3000;
  auto cw = whole.make_context(n), cb = blocked.make_context(n);
  int calls = 0;
  cb.progress = [&calls] { ++calls; };
  const auto x = gradcheck::random_matrix<double>(n, 2, 1);
  const auto dy = gradcheck::random_matrix<double>(n, 1, 2), dy2 = gradcheck::random_matrix<double>(n, 1, 3);
  auto close = [](const auto& a, const auto& b) {
    auto ha = gradcheck::snapshot(a), hb = gradcheck::snapshot(b);
    REQUIRE(ha.span() == hb.span());
    for (std::size_t k = 0; k < ha.span(); ++k) REQUIRE(hb.data()[k] == doctest::Approx(ha.data()[k]).epsilon(1e-12));
  };
  close(whole.forward(cw, x), blocked.forward(cb, x));
  CHECK(calls >= 4);
  sagips::Matrix<double> dxw("dxw", n, 2), dxb("dxb", n, 2);
  for (auto mode : {nn::ParamGrad::overwrite, nn::ParamGrad::accumulate}) {
    calls = 0;
    whole.backward(cw, dy, dxw, mode);
    blocked.backward(cb, dy, dxb, mode);
    CHECK(calls >= 4);
    close(dxw, dxb);
    close(whole.grads(), blocked.grads());
    calls = 0;
    whole.backward_split(cw, dy, dxw, dy2, mode);
    blocked.backward_split(cb, dy, dxb, dy2, mode);
    CHECK(calls >= 4);
    close(dxw, dxb);
    close(whole.grads(), blocked.grads());
  }
}

TEST_CASE_TEMPLATE("a loss evaluated into device memory equals the value evaluate() returns, bit for bit", L,
                   sagips::loss::LeastSquares, sagips::loss::BceWithLogits, sagips::loss::Wasserstein) {
  const int n = 257;
  const auto o = gradcheck::random_matrix<float>(n, 1, 7, 2.0);
  const auto wm = gradcheck::random_matrix<float>(n, 1, 8);
  sagips::Vector<float> w("w", n);
  Kokkos::deep_copy(w, Kokkos::subview(wm, Kokkos::ALL, 0));
  for (auto label : {sagips::loss::Label::real, sagips::loss::Label::fake})
    for (const bool weighted : {false, true}) {
      const sagips::ConstVector<float> weights = weighted ? w : sagips::Vector<float>();
      sagips::Matrix<float> d1("d1", n, 1), d2("d2", n, 1);
      const float value = L::template evaluate<float>(o, label, weights, float(n), d1, sagips::Vector<float>());
      sagips::loss::DeviceValue<float> on_device("value");
      sagips::loss::evaluate_to(L{}, on_device, o, label, weights, float(n), d2, sagips::Vector<float>());
      auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), on_device);
      CHECK(std::memcmp(&h(), &value, sizeof value) == 0);
      auto h1 = gradcheck::snapshot(d1), h2 = gradcheck::snapshot(d2);
      CHECK(std::memcmp(h1.data(), h2.data(), n * sizeof(float)) == 0);
    }
}
