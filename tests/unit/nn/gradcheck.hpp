#pragma once
// Finite-difference checks of a network's backward pass: L = sum_ij c_ij y_ij for fixed random c, so
// dL/dy = c; central differences of L against the analytic dL/dtheta and dL/dx.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <sagips/nn.hpp>
#include <vector>

namespace gradcheck {

// A host copy that does not alias the view (create_mirror_view_and_copy returns the view itself
// when it already lives on the host).
template <class View>
auto snapshot(const View& v) {
  Kokkos::View<typename View::non_const_data_type, typename View::array_layout, Kokkos::HostSpace> c(
      "snapshot", v.layout());
  Kokkos::deep_copy(c, v);
  return c;
}

template <class T>
sagips::Matrix<T> random_matrix(int rows, int cols, unsigned seed, double scale = 1.0) {
  sagips::Matrix<T> m("m", rows, cols);
  auto h = Kokkos::create_mirror_view(Kokkos::HostSpace(), m);
  std::mt19937 gen(seed);
  std::normal_distribution<double> d(0.0, scale);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) h(i, j) = static_cast<T>(d(gen));
  Kokkos::deep_copy(m, h);
  return m;
}

template <class Net>
double loss_of(const Net& net, typename Net::Context& ctx, const sagips::Matrix<typename Net::value_type>& x,
               const sagips::Matrix<typename Net::value_type>& c) {
  const auto y = net.forward(ctx, x);
  auto hy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
  auto hc = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), c);
  double l = 0;
  for (std::size_t i = 0; i < hy.extent(0); ++i)
    for (std::size_t j = 0; j < hy.extent(1); ++j) l += double(hc(i, j)) * double(hy(i, j));
  return l;
}

// Relative error ||analytic - numeric|| / ||numeric|| over all inputs and up to max_params parameters.
template <class Net>
double relative_error(Net& net, int batch, unsigned seed, int max_params = 400, double h = 1e-6) {
  using T = typename Net::value_type;
  auto ctx = net.make_context(batch);
  const auto x = random_matrix<T>(batch, Net::in_width, seed);
  const auto c = random_matrix<T>(batch, Net::out_width, seed + 1);
  sagips::Matrix<T> dx("dx", batch, Net::in_width);
  net.forward(ctx, x);
  net.backward(ctx, c, dx, sagips::nn::ParamGrad::overwrite);
  auto g = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.grads());
  auto hdx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dx);
  auto p = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.params());
  auto hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);

  double num2 = 0, diff2 = 0;
  const std::size_t n = Net::num_params;
  const std::size_t stride = n > std::size_t(max_params) ? n / max_params : 1;
  for (std::size_t k = seed % stride; k < n; k += stride) {
    const T saved = p(k);
    p(k) = saved + T(h);
    Kokkos::deep_copy(net.params(), p);
    const double lp = loss_of(net, ctx, x, c);
    p(k) = saved - T(h);
    Kokkos::deep_copy(net.params(), p);
    const double lm = loss_of(net, ctx, x, c);
    p(k) = saved;
    const double fd = (lp - lm) / (2 * h);
    num2 += fd * fd;
    diff2 += (fd - g(k)) * (fd - g(k));
  }
  Kokkos::deep_copy(net.params(), p);
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < Net::in_width; ++j) {
      const T saved = hx(i, j);
      hx(i, j) = saved + T(h);
      Kokkos::deep_copy(x, hx);
      const double lp = loss_of(net, ctx, x, c);
      hx(i, j) = saved - T(h);
      Kokkos::deep_copy(x, hx);
      const double lm = loss_of(net, ctx, x, c);
      hx(i, j) = saved;
      Kokkos::deep_copy(x, hx);
      const double fd = (lp - lm) / (2 * h);
      num2 += fd * fd;
      diff2 += (fd - hdx(i, j)) * (fd - hdx(i, j));
    }
  return std::sqrt(diff2 / num2);
}

}  // namespace gradcheck
