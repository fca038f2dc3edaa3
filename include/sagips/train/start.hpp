#pragma once
// Where each model's generator starts.
//
// A freshly initialised generator with a sigmoid output answers near the centre of the parameter box,
// and every model alike. Whether an answer is the data's or the start's then cannot be told: along a
// direction the data hardly fix, models that start together may simply stay together, and their
// spread would claim a precision the data do not have. A start spread s > 0 gives each model a start
// of its own: before training, its generator is fitted, with no data, to answer a point drawn
// uniformly from the middle fraction s of each parameter's range (in the generator's unit outputs,
// 0.5 +- s/2). Models that reach one answer from different starts show that the answer is the
// training's, not the start's; models that stay apart show a direction the training does not fix.
//
// The fit is a few hundred Adam steps on the squared distance of the generator's outputs (on its own
// input noise, zero for a point estimate) to the point. It uses only the network contract (forward,
// backward, params, grads), so it works for a user's generator too, and it is deterministic for the
// model's seed, so every rank of a model starts from the same weights.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/contract.hpp"
#include "sagips/optim/adam.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::train {

// The model's start in unit outputs: 0.5 + spread (U - 0.5) per parameter, U uniform from the seed.
template <int P>
std::array<double, P> start_point(std::uint64_t model_seed, double spread) {
  const random::CounterRng rng(random::stream_key(model_seed, 0, random::Purpose::start));
  std::array<double, P> t{};
  for (int j = 0; j < P; ++j) {
    double u[4];
    rng.uniform4(static_cast<std::uint64_t>(j), u);
    t[j] = 0.5 + spread * (u[0] - 0.5);
  }
  return t;
}

// Fits gen's outputs to `target` (unit outputs, each in (0, 1)): Adam on mean_i |y_i - target|^2 over
// 16 rows of input noise (standard normal times `noise`), until every output's mean is within 1e-4 of
// its target or `max_iterations` pass; a fit that ends further than 1e-2 away is an error.
template <class Generator, std::size_t P>
void fit_start(Generator& gen, const std::array<double, P>& target, double noise, std::uint64_t model_seed,
               int max_iterations = 3000) {
  static_assert(nn::check_network<Generator>(), "");
  static_assert(static_cast<int>(P) == Generator::out_width, "fit_start: one target per generator output");
  using T = typename Generator::value_type;
  constexpr int rows = 16;
  constexpr int cols = Generator::in_width;
  Matrix<T> x("sagips::train::start_noise", rows, cols);
  if (noise > 0) {
    random::fill_normal(x, random::CounterRng(random::stream_key(model_seed, 1, random::Purpose::start)));
    const T s = static_cast<T>(noise);
    Kokkos::parallel_for(
        "sagips::train::start_scale", Kokkos::RangePolicy<ExecSpace>(0, rows * cols),
        KOKKOS_LAMBDA(int k) { x(k / cols, k % cols) *= s; });
  }
  auto t_host = Kokkos::create_mirror_view(Vector<T>("sagips::train::start_target", P));
  for (std::size_t j = 0; j < P; ++j) {
    SAGIPS_REQUIRE(target[j] > 0 && target[j] < 1, "start: target " << j << " is " << target[j] << ", outside (0, 1)");
    t_host(j) = static_cast<T>(target[j]);
  }
  auto t = Kokkos::create_mirror_view_and_copy(ExecSpace::memory_space{}, t_host);

  typename optim::Adam<T>::Config ac;
  ac.lr = T(1e-2);
  ac.beta1 = T(0.9);
  optim::Adam<T> adam(Generator::num_params, ac);
  auto ctx = gen.make_context(rows);
  Matrix<T> dy("sagips::train::start_dy", rows, P);
  double worst = 1;
  for (int it = 0; it <= max_iterations; ++it) {
    const auto y = gen.forward(ctx, x);
    // Each output's mean over the rows, against its target.
    auto y_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
    worst = 0;
    for (std::size_t j = 0; j < P; ++j) {
      double m = 0;
      for (int i = 0; i < rows; ++i) m += y_host(i, j);
      worst = std::max(worst, std::abs(m / rows - target[j]));
    }
    if (worst < 1e-4 || it == max_iterations) break;
    auto d = dy;
    Kokkos::parallel_for(
        "sagips::train::start_dy", Kokkos::RangePolicy<ExecSpace>(0, rows * int(P)), KOKKOS_LAMBDA(int k) {
          const int i = k / int(P), j = k % int(P);
          d(i, j) = T(2) * (y(i, j) - t(j)) / T(rows);
        });
    gen.backward(ctx, dy, Matrix<T>(), nn::ParamGrad::overwrite);
    adam.step(gen.params(), gen.grads());
  }
  SAGIPS_REQUIRE(worst < 1e-2, "start: the generator could not be fitted to its start point (an output's mean is "
                                   << worst << " from its target after " << max_iterations
                                   << " steps); use --start-spread 0");
}

}  // namespace sagips::train
