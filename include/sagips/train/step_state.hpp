#pragma once
// What a training step keeps between steps and shares between its paths (the GAN step, the
// sample-distance step, the extra discriminator updates of train/step.hpp): the configuration, the
// pipeline and the loss, the buffers allocated once for the configured batch, and the parts every path
// uses: the real batch's draw, the guard that turns a pipeline's refusal into this rank's problem of the
// step, the collective rest of a refused step, and the generator's noise.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/loss.hpp"
#include "sagips/nn.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/models.hpp"
#include "sagips/train/step_outcome.hpp"
#include "sagips/train/weighted_means.hpp"

namespace sagips::train {

template <class Pipeline, class Generator, class Discriminator, class Loss, class Optimizers>
class StepState {
 public:
  using T = typename Generator::value_type;
  static constexpr int P = Pipeline::num_params;
  static constexpr int D = Pipeline::event_dim;
  using Models = GanModels<Generator, Discriminator, Optimizers>;
  using Fake = decltype(std::declval<Pipeline&>().forward(std::declval<ConstMatrix<T>>(), 1,
                                                          std::declval<const random::StepKeys&>()));
  using Means = WeightedMeans<T>;

  // model: the model's training ranks (weighted events are normalised over them).
  StepState(const TrainerConfig& c, Pipeline pipeline, sim::ParameterScaling<T, P> scaling, Loss loss,
            const Models& models, MPI_Comm model)
      : cfg_(c), pipeline_(std::move(pipeline)), scaling_(scaling), loss_(std::move(loss)), means_(model) {
    const int B = c.param_samples, N = c.param_samples * c.events_per_sample;
    gen_ctx_ = models.generator().make_context(B);
    fake_ctx_ = models.discriminator().make_context(N);
    real_ctx_ = models.discriminator().make_context(N);
    noise_ = Matrix<T>("sagips::train::noise", B, Generator::in_width);
    params_ = Matrix<T>("sagips::train::params", B, P);
    d_params_ = Matrix<T>("sagips::train::d_params", B, P);
    d_unit_ = Matrix<T>("sagips::train::d_unit", B, P);
    d_out_fake_g_ = Matrix<T>("sagips::train::d_out_fake_g", N, 1);
    d_out_fake_d_ = Matrix<T>("sagips::train::d_out_fake_d", N, 1);
    d_out_real_ = Matrix<T>("sagips::train::d_out_real", N, 1);
    d_events_ = Matrix<T>("sagips::train::d_events", N, D);
    d_weights_ = Vector<T>("sagips::train::d_weights", N);
    real_ = Matrix<T>("sagips::train::real_batch", N, D);
    loss_g_ = loss::DeviceValue<T>("sagips::train::loss_g");
    loss_d_fake_ = loss::DeviceValue<T>("sagips::train::loss_d_fake");
    loss_d_real_ = loss::DeviceValue<T>("sagips::train::loss_d_real");
    loss_unread_ = loss::DeviceValue<T>("sagips::train::loss_unread");
    losses_ = Kokkos::View<double*, MemSpace>("sagips::train::step_losses", 2);
  }

  // A multi-data-set run (train/data_sets.hpp): this rank's generator gradient is multiplied by
  // `w` before the exchange averages it over the model, so that the average is the data sets' losses
  // weighted by their shares, whatever their rank counts. 1 otherwise.
  void set_gradient_weight(double w) { gradient_weight_ = static_cast<T>(w); }

  Pipeline& pipeline() { return pipeline_; }
  const sim::ParameterScaling<T, P>& scaling() const { return scaling_; }

  // The generator's gradient times the data set's weight (no work when there is none).
  void weigh_generator_gradient(Vector<T> g) const {
    if (gradient_weight_ == T(1)) return;
    const T w = gradient_weight_;
    Kokkos::parallel_for(
        "sagips::train::weigh_gradient", Kokkos::RangePolicy<ExecSpace>(0, g.extent(0)),
        KOKKOS_LAMBDA(std::size_t i) { g(i) *= w; });
  }

  // Standard normal noise times `scale` (0: all zero, the generator a point estimate); row i is row
  // keys.first_set + i of the model's step.
  static void fill_noise(Matrix<T> noise, const random::StepKeys& keys, random::Purpose purpose, double scale) {
    if (scale == 0) {
      Kokkos::deep_copy(ExecSpace(), noise, T(0));
      return;
    }
    random::fill_normal(noise, random::CounterRng(keys, purpose), keys.first_set);
    if (scale == 1) return;
    const T s = static_cast<T>(scale);
    const int cols = static_cast<int>(noise.extent(1));
    Kokkos::parallel_for(
        "sagips::train::scale_noise", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(noise.extent(0)) * cols),
        KOKKOS_LAMBDA(int k) { noise(k / cols, k % cols) *= s; });
  }

 protected:
  // The step's first n real events from this rank's shard, row k continuing the model's sequence at
  // this rank's first event.
  void draw_real(const sim::EventShard<T>& shard, int n, const random::StepKeys& keys) {
    shard.draw(Kokkos::subview(real_, std::make_pair(0, n), Kokkos::ALL), n,
               random::CounterRng(keys, random::Purpose::data_indices, keys.first_event(cfg_.events_per_sample)));
  }

  // Weighted events: the sums that normalise them, the model's (collective over its ranks, every rank
  // joining: one whose pipeline refused the step with nothing) or, over_model false, this rank's own; a
  // total weight that cannot normalise becomes this step's problem.
  typename Means::Sums model_weight_sums(const typename Means::Sums& mine, bool over_model, long step) {
    const auto all = over_model ? means_.over_model(problem_.empty() ? mine : typename Means::Sums{}) : mine;
    if (problem_.empty()) problem_ = Means::problem(all, step);
    return all;
  }

  // Runs f (the pipeline and what follows it until its verdict); an Error it throws (a theory's negative
  // or non-finite density, most often because the generator's weights diverged and its parameters are
  // not finite) becomes this rank's problem of the step, described.
  template <class F>
  void guard(long step, F&& f) {
    try {
      f();
    } catch (const Error& caught) {
      // What failed after a deferred forward (a normalizer of no events, say) may only be the
      // consequence of a refused density: the pipeline's verdict, when it has one, is the reason.
      std::string reason = caught.what();
      try {
        pipeline_.check();
      } catch (const Error& e) {
        reason = e.what();
      }
      auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), params_);
      bool finite = true;
      for (std::size_t i = 0; i < h.extent(0); ++i)
        for (std::size_t j = 0; j < h.extent(1); ++j) finite = finite && std::isfinite(static_cast<double>(h(i, j)));
      problem_ = finite ? "the pipeline refused the parameters of step " + std::to_string(step) + ": " + reason
                        : "the generator proposed non-finite parameters at step " + std::to_string(step) +
                              ": its weights have diverged (learning rates too high?)";
    }
  }

  // The rest of a step whose pipeline refused its parameters: this rank's part in every exchange of
  // the step (its gradients not finite, so sent as zeros) and the vote that tells every rank.
  template <class GenExchange, class DiscExchange>
  StepOutcome refused_step(long step, Models& m, GenExchange& exchange, DiscExchange* disc_exchange, MPI_Comm workers,
                           StepOutcome& out) {
    Kokkos::deep_copy(ExecSpace(), m.generator().grads(), std::numeric_limits<T>::quiet_NaN());
    exchange.start(m.generator().grads(), step);
    vote_.start(Verdict::pipeline_failed, workers);
    if (disc_exchange) {
      disc_exchange->start(m.discriminator().grads(), step);
      disc_exchange->finish();
    }
    exchange.finish();
    out.nonfinite_ranks = vote_.finish(step);
    out.failed_ranks = vote_.ranks(Verdict::pipeline_failed);
    exchange.after_update(m.generator().params());
    out.problem = problem_;
    return out;
  }

  TrainerConfig cfg_;
  Pipeline pipeline_;
  sim::ParameterScaling<T, P> scaling_;
  Loss loss_;
  Means means_;
  FinitenessVote vote_;
  std::string problem_;  // this step's refusal by the pipeline on this rank (empty: none)
  T gradient_weight_ = T(1);  // set_gradient_weight
  typename Generator::Context gen_ctx_;
  typename Discriminator::Context fake_ctx_, real_ctx_;
  Matrix<T> noise_, params_, d_params_, d_unit_;
  Matrix<T> d_out_fake_g_, d_out_fake_d_, d_out_real_, d_events_, real_;
  Vector<T> d_weights_;
  loss::DeviceValue<T> loss_g_, loss_d_fake_, loss_d_real_, loss_unread_;  // (the extra updates' are not read)
  Kokkos::View<double*, MemSpace> losses_;
};

}  // namespace sagips::train
