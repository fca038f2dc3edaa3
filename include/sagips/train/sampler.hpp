#pragma once
// Samples of the physics parameters from a generator, for the estimates: `count` noise draws (keyed by
// the step, purpose evaluation) through a copy of the generator holding the weights the estimates read
// (the weight average when there is one), scaled to the parameter bounds, on the host. A generator
// with batch-normalised layers is evaluated as in evaluation mode: by the training generator's running
// statistics, not by the statistics of this batch of draws.

#include <Kokkos_Core.hpp>
#include <cstdint>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/batch_norm.hpp"
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

  // count parameter sets [count, P] from the generator with `weights` (noise scaled by noise_scale);
  // trained: the training generator (its running statistics, for batch-normalised layers).
  template <class FillNoise>
  HostMatrix<T> sample(ConstVector<T> weights, const Generator& trained, const sim::ParameterScaling<T, P>& scaling,
                       FillNoise&& fill_noise) {
    Kokkos::deep_copy(gen_.params(), weights);
    if constexpr (nn::has_batch_norm_v<Generator>) {
      Kokkos::deep_copy(gen_.running_statistics(), trained.running_statistics());
      gen_.set_training(false);
    }
    (void)trained;
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
