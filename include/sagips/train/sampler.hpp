#pragma once
// Samples of the physics parameters from a generator, for the estimates: `count` noise draws (keyed by
// the step, purpose evaluation) through a copy of the generator holding the weights the estimates read
// (the weight average when there is one), scaled to the parameter bounds, on the host.

#include <Kokkos_Core.hpp>
#include <cstdint>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/pipeline.hpp"

namespace sagips::train {

template <class Generator, int P>
class ParameterSampler {
 public:
  using T = typename Generator::value_type;

  ParameterSampler(int count, const Generator& like)
      : gen_(like.init_config()),
        ctx_(gen_.make_context(count)),
        noise_("sagips::train::eval_noise", count, Generator::in_width),
        params_("sagips::train::eval_params", count, P) {}

  // count parameter sets [count, P] from the generator with `weights` (noise scaled by noise_scale).
  template <class FillNoise>
  HostMatrix<T> sample(ConstVector<T> weights, const sim::ParameterScaling<T, P>& scaling, FillNoise&& fill_noise) {
    Kokkos::deep_copy(gen_.params(), weights);
    fill_noise(noise_);
    const auto u = gen_.forward(ctx_, noise_);
    scaling.forward(u, params_);
    return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params_);
  }

 private:
  Generator gen_;
  typename Generator::Context ctx_;
  Matrix<T> noise_, params_;
};

}  // namespace sagips::train
