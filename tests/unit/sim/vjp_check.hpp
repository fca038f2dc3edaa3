#pragma once
// The finite-difference check of a whole pipeline's vjp, shared by the sampler and stage tests:
// L = sum_i sum_d c_id x_id + sum_i c'_i w_i with random c, dL/dp from vjp against central differences
// with common random numbers (the same keys on both sides), in double.
#include <cmath>
#include <random>
#include <sagips/sim.hpp>
#include <vector>

namespace vjp_check {

using sagips::Matrix;
using sagips::Vector;

template <class Pipe>
Matrix<double> params_near_truth(int sets) {
  constexpr int P = Pipe::num_params;
  using Theory = typename Pipe::theory_type;
  Matrix<double> p("p", sets, P);
  auto h = Kokkos::create_mirror_view(p);
  const auto t = Theory::truth();
  for (int b = 0; b < sets; ++b)
    for (int j = 0; j < P; ++j) h(b, j) = t[j] * (1.0 + 0.05 * std::sin(1.0 + b + 3.0 * j));
  Kokkos::deep_copy(p, h);
  return p;
}

// L = sum_i sum_d c_id x_id + sum_i c'_i w_i; returns max relative error of dL/dp.
template <class Pipe>
double vjp_error(Pipe& pipe, int sets, int m, double h = 1e-7) {
  constexpr int P = Pipe::num_params, D = Pipe::event_dim;
  const sagips::random::StepKeys keys{17, 3, 5};
  auto p = params_near_truth<Pipe>(sets);
  std::mt19937 gen(4);
  std::normal_distribution<double> nd;
  std::vector<double> c(static_cast<std::size_t>(sets * m * (D + 1)));
  for (auto& v : c) v = nd(gen);
  auto loss = [&](const typename Pipe::Output& o) {
    auto ev = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), o.events);
    double l = 0;
    for (int i = 0; i < o.count; ++i)
      for (int d = 0; d < D; ++d) l += c[i * (D + 1) + d] * ev(i, d);
    if (o.weights.extent(0) > 0) {
      auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), o.weights);
      for (int i = 0; i < o.count; ++i) l += c[i * (D + 1) + D] * w(i);
    }
    return l;
  };
  const auto out = pipe.forward(p, m, keys);
  const int count = out.count;
  Matrix<double> de("de", count, D);
  Vector<double> dw("dw", out.weights.extent(0) > 0 ? count : 0);
  auto hde = Kokkos::create_mirror_view(de);
  auto hdw = Kokkos::create_mirror_view(dw);
  for (int i = 0; i < count; ++i) {
    for (int d = 0; d < D; ++d) hde(i, d) = c[i * (D + 1) + d];
    if (dw.extent(0) > 0) hdw(i) = c[i * (D + 1) + D];
  }
  Kokkos::deep_copy(de, hde);
  Kokkos::deep_copy(dw, hdw);
  Matrix<double> dp("dp", sets, P);
  pipe.vjp(de, dw, dp);
  auto g = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dp);
  auto hp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
  double num = 0, den = 0;
  for (int b = 0; b < sets; ++b)
    for (int j = 0; j < P; ++j) {
      const double saved = hp(b, j);
      hp(b, j) = saved + h;
      Kokkos::deep_copy(p, hp);
      const double lp = loss(pipe.forward(p, m, keys));
      hp(b, j) = saved - h;
      Kokkos::deep_copy(p, hp);
      const double lm = loss(pipe.forward(p, m, keys));
      hp(b, j) = saved;
      Kokkos::deep_copy(p, hp);
      const double fd = (lp - lm) / (2 * h);
      num += (fd - g(b, j)) * (fd - g(b, j));
      den += fd * fd;
    }
  return std::sqrt(num / den);
}

}  // namespace vjp_check
