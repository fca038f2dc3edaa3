#pragma once
// One training step on one rank, in the order of the SAGIPS step:
//
//   (disc_steps - 1 extra discriminator updates first, each on fresh fake and real events)
//   noise -> generator -> parameters p -> pipeline -> fake events -> discriminator -> generator loss
//   -> one sweep back through the discriminator (backward_split): dL_G/d(events) for the generator and
//      the discriminator's own gradients from the same fakes (it has not changed yet)
//   -> back through the pipeline and the generator
//   -> exchange.start(generator gradients)
//   -> the discriminator's real half on this rank's shard, calling exchange.test() between row blocks
//      (and layers), so the traffic advances while it computes
//   -> exchange.finish() -> the finiteness vote -> both optimizer steps (skipped on every rank when any
//      rank's generator gradient was not finite) -> the generator's weight average.
//
// A pipeline that refuses the step's parameters on a rank (a theory's negative or non-finite density:
// most often the generator's weights diverged) does not end that rank alone: it still takes part in
// the step's exchanges with a gradient that counts as not finite, and its verdict in the vote tells
// every rank, which then stop together naming the reason (train/stop.hpp).
//
// With a sample distance as the objective (TrainerConfig::objective other than "gan", docs/objectives.md)
// the step has no discriminator: fake events -> a real batch of as many events from the shard -> the
// distance and its gradient -> back through the pipeline and the generator -> the exchange, the vote
// and the generator's optimizer step.
//
// The generator's noise is scaled by TrainerConfig::generator_noise: 0 makes it a point estimate (the
// same parameters for every draw), which is what removes the bias of a spread generator (docs/results.md).
// Buffers are allocated once, for the configured batch.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/exchange.hpp"
#include "sagips/loss.hpp"
#include "sagips/nn.hpp"
#include "sagips/objective.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/sim.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/models.hpp"
#include "sagips/train/phases.hpp"
#include "sagips/train/schedule.hpp"
#include "sagips/train/step_outcome.hpp"

namespace sagips::train {

template <class Pipeline, class Generator, class Discriminator, class Loss, class Optimizers = optim::Builtin,
          class Objectives = objective::Builtin>
class GanStep {
 public:
  using T = typename Generator::value_type;
  static constexpr int P = Pipeline::num_params;
  static constexpr int D = Pipeline::event_dim;
  using Models = GanModels<Generator, Discriminator, Optimizers>;
  using Fake = decltype(std::declval<Pipeline&>().forward(std::declval<ConstMatrix<T>>(), 1,
                                                          std::declval<const random::StepKeys&>()));

  using Distance = objective::Chosen<Objectives, T, D>;

  // settings: the sample distance's, when cfg.objective names one.
  GanStep(const TrainerConfig& c, Pipeline pipeline, sim::ParameterScaling<T, P> scaling, Loss loss,
          const Models& models, const objective::Settings& settings = {})
      : cfg_(c), pipeline_(std::move(pipeline)), scaling_(scaling), loss_(std::move(loss)) {
    if (c.objective != objective::gan) distance_ = std::make_unique<Distance>(c.objective, settings);
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

  Pipeline& pipeline() { return pipeline_; }
  const sim::ParameterScaling<T, P>& scaling() const { return scaling_; }

  // One step of this rank (see the top of this file). exchange: the generator's; disc_exchange: the
  // discriminators' average (--average-discriminator), or null. rank: this rank's index in `comm`, the
  // key of its random streams.
  template <class GenExchange, class DiscExchange>
  StepOutcome run(long step, int rank, Models& m, GenExchange& exchange, DiscExchange* disc_exchange,
                  const sim::EventShard<T>& shard, MPI_Comm workers, const Schedule& schedule, PhaseTimes& times) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(step)};
    PhaseClock clock(cfg_.profile);
    auto& gen = m.generator();
    auto& disc = m.discriminator();
    if (distance_) return distance_run(step, rank, m, exchange, disc_exchange, shard, workers, schedule, times);
    StepOutcome out;
    problem_.clear();
    for (int j = 1; j < cfg_.disc_steps; ++j)
      extra_discriminator_update(step, j, rank, m, disc_exchange, shard, schedule);

    // Generator: noise -> unit outputs u -> physics parameters p.
    fill_noise(noise_, keys, random::Purpose::generator_noise, cfg_.generator_noise);
    const auto u = gen.forward(gen_ctx_, noise_);
    scaling_.forward(u, params_);
    times.generator += clock.lap();

    // Pipeline: p -> fake events (and weights, for weighting stages); the discriminator on the fakes,
    // the generator's loss and the discriminator's fake loss, one sweep back through the discriminator,
    // the pipeline and the generator. The pipeline's verdict on the theory's values is asked for only
    // then, when everything is enqueued (a device never waits for it mid-step). When it refuses this
    // step's parameters, the rank still takes part in the step's exchanges and vote, and every rank
    // learns it.
    int n = 0;
    Vector<T> d_weights;
    if (problem_.empty())
      guard(step, [&] {
        const Fake fake = pipeline_.forward(params_, cfg_.events_per_sample, keys, true, sim::Checks::deferred);
        n = fake.count;
        times.pipeline += clock.lap();
        const auto rows = std::make_pair(0, n);
        const auto o_fake = disc.forward(fake_ctx_, Kokkos::subview(fake.events, rows, Kokkos::ALL));
        const T norm = static_cast<T>(n);
        const auto d_out_g = Kokkos::subview(d_out_fake_g_, rows, Kokkos::ALL);
        const auto d_events = Kokkos::subview(d_events_, rows, Kokkos::ALL);
        if (fake.weights.extent(0) > 0) d_weights = Kokkos::subview(d_weights_, rows);
        loss::evaluate_to(loss_, loss_g_, o_fake, loss::Label::real, fake.weights, norm, d_out_g, d_weights);
        const auto d_out_fd = Kokkos::subview(d_out_fake_d_, rows, Kokkos::ALL);
        loss::evaluate_to(loss_, loss_d_fake_, o_fake, loss::Label::fake, fake.weights, norm, d_out_fd, Vector<T>());
        disc.backward_split(fake_ctx_, d_out_g, d_events, d_out_fd, nn::ParamGrad::overwrite);
        times.discriminator += clock.lap();
        pipeline_.vjp(d_events, d_weights, d_params_);
        scaling_.vjp(d_params_, d_unit_);
        times.pipeline += clock.lap();
        gen.backward(gen_ctx_, d_unit_, Matrix<T>(), nn::ParamGrad::overwrite);
        times.generator += clock.lap();
        pipeline_.check();
      });
    if (!problem_.empty()) return refused_step(step, m, exchange, disc_exchange, workers, out);
    out.events = n;
    const auto rows = std::make_pair(0, n);
    const T norm = static_cast<T>(n);

    // The exchange of the generator's gradients starts; the ranks' verdicts on them travel beside it.
    const bool finite = exchange.start(gen.grads(), step);
    vote_.start(finite ? Verdict::ok : Verdict::nonfinite_gradient, workers);
    times.exchange += clock.lap();

    // The discriminator's real half, on this rank's shard, while the exchange flies.
    real_ctx_.progress = [&exchange] { exchange.test(); };
    real_ctx_.progress_each_layer = cfg_.poll_each_layer;
    shard.draw(Kokkos::subview(real_, rows, Kokkos::ALL), n, random::CounterRng(keys, random::Purpose::data_indices));
    const auto o_real = disc.forward(real_ctx_, Kokkos::subview(real_, rows, Kokkos::ALL));
    const auto d_out_real = Kokkos::subview(d_out_real_, rows, Kokkos::ALL);
    loss::evaluate_to(loss_, loss_d_real_, o_real, loss::Label::real, Vector<T>(), norm, d_out_real, Vector<T>());
    detail::step_loss_sums<T>(losses_, loss_g_, loss_d_fake_, loss_d_real_, n);
    out.losses = losses_;
    disc.backward(real_ctx_, d_out_real, Matrix<T>(), nn::ParamGrad::accumulate);
    real_ctx_.progress = nullptr;
    if (disc_exchange) {
      disc_exchange->start(disc.grads(), step);
      disc_exchange->finish();
    }
    times.discriminator += clock.lap();

    // Finish the exchange; learn every rank's verdict; the optimizer steps unless a verdict was bad.
    exchange.finish();
    out.nonfinite_ranks = vote_.finish(step);
    out.failed_ranks = vote_.ranks(Verdict::pipeline_failed);
    times.exchange += clock.lap();
    const bool apply = out.nonfinite_ranks.empty() && out.failed_ranks.empty();
    if (apply) {
      const double factor = schedule.lr_factor(step);
      m.generator_optimizer().set_lr(static_cast<T>(cfg_.lr_generator * factor));
      m.discriminator_optimizer().set_lr(static_cast<T>(cfg_.lr_discriminator * factor));
      m.generator_optimizer().step(gen.params(), gen.grads());
    }
    // Also after a skipped step: it completes what start() began (a parameter server's pull).
    exchange.after_update(gen.params());
    if (apply) {
      m.discriminator_optimizer().step(disc.params(), disc.grads());
      m.update_ema(schedule.ema_decay(step));
    }
    times.optimizer += clock.lap();
    times.total += clock.total();
    ++times.steps;
    return out;
  }

  // One step against a sample distance (see the top of this file).
  template <class GenExchange, class DiscExchange>
  StepOutcome distance_run(long step, int rank, Models& m, GenExchange& exchange, DiscExchange* disc_exchange,
                           const sim::EventShard<T>& shard, MPI_Comm workers, const Schedule& schedule,
                           PhaseTimes& times) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(step)};
    PhaseClock clock(cfg_.profile);
    auto& gen = m.generator();
    StepOutcome out;
    problem_.clear();
    fill_noise(noise_, keys, random::Purpose::generator_noise, cfg_.generator_noise);
    scaling_.forward(gen.forward(gen_ctx_, noise_), params_);
    times.generator += clock.lap();
    int n = 0;
    guard(step, [&] {
      const Fake fake = pipeline_.forward(params_, cfg_.events_per_sample, keys, true, sim::Checks::deferred);
      n = fake.count;
      times.pipeline += clock.lap();
      const auto rows = std::make_pair(0, n);
      shard.draw(Kokkos::subview(real_, rows, Kokkos::ALL), n, random::CounterRng(keys, random::Purpose::data_indices));
      const bool weighted = fake.weights.extent(0) > 0;
      const Vector<T> d_weights = weighted ? Vector<T>(Kokkos::subview(d_weights_, rows)) : Vector<T>();
      const ConstVector<T> weights = weighted ? ConstVector<T>(Kokkos::subview(fake.weights, rows)) : ConstVector<T>();
      const Matrix<T> d_events = Kokkos::subview(d_events_, rows, Kokkos::ALL);
      distance_->evaluate(Kokkos::subview(fake.events, rows, Kokkos::ALL), weights,
                          Kokkos::subview(real_, rows, Kokkos::ALL), loss_g_, d_events, d_weights,
                          random::CounterRng(keys, random::Purpose::objective));
      times.discriminator += clock.lap();  // (the objective's time, in the discriminator's column)
      pipeline_.vjp(d_events, d_weights, d_params_);
      scaling_.vjp(d_params_, d_unit_);
      times.pipeline += clock.lap();
      gen.backward(gen_ctx_, d_unit_, Matrix<T>(), nn::ParamGrad::overwrite);
      times.generator += clock.lap();
      pipeline_.check();
    });
    if (!problem_.empty()) return refused_step(step, m, exchange, disc_exchange, workers, out);
    out.events = n;
    const bool finite = exchange.start(gen.grads(), step);
    vote_.start(finite ? Verdict::ok : Verdict::nonfinite_gradient, workers);
    detail::distance_loss_sums<T>(losses_, loss_g_, n);
    out.losses = losses_;
    exchange.finish();
    out.nonfinite_ranks = vote_.finish(step);
    out.failed_ranks = vote_.ranks(Verdict::pipeline_failed);
    times.exchange += clock.lap();
    const bool apply = out.nonfinite_ranks.empty() && out.failed_ranks.empty();
    if (apply) {
      m.generator_optimizer().set_lr(static_cast<T>(cfg_.lr_generator * schedule.lr_factor(step)));
      m.generator_optimizer().step(gen.params(), gen.grads());
    }
    exchange.after_update(gen.params());
    if (apply) m.update_ema(schedule.ema_decay(step));
    times.optimizer += clock.lap();
    times.total += clock.total();
    ++times.steps;
    return out;
  }

  // An extra discriminator update (the j-th of this step): fresh parameter draws, fake events without
  // their Jacobian, a fresh real batch, one Adam step. Its keys differ from the main step's in the
  // top bits of the step, so every update draws its own events. (A discriminator that became
  // non-finite makes the generator's gradient non-finite at the main step, where the vote sees it.)
  template <class DiscExchange>
  void extra_discriminator_update(long step, int j, int rank, Models& m, DiscExchange* disc_exchange,
                                  const sim::EventShard<T>& shard, const Schedule& schedule) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank),
                                static_cast<std::uint64_t>(step) | (static_cast<std::uint64_t>(j) << 48)};
    auto& disc = m.discriminator();
    if (!problem_.empty()) {  // this step was refused: only the collective part, with nothing to add
      Kokkos::deep_copy(ExecSpace(), disc.grads(), T(0));
      if (disc_exchange) {
        disc_exchange->start(disc.grads(), step);
        disc_exchange->finish();
      }
      return;
    }
    fill_noise(noise_, keys, random::Purpose::generator_noise, cfg_.generator_noise);
    scaling_.forward(m.generator().forward(gen_ctx_, noise_), params_);
    guard(step, [&] {
      const Fake fake = pipeline_.forward(params_, cfg_.events_per_sample, keys, false, sim::Checks::deferred);
      const int n = fake.count;
      const auto rows = std::make_pair(0, n);
      const T norm = static_cast<T>(n);
      const auto o_fake = disc.forward(fake_ctx_, Kokkos::subview(fake.events, rows, Kokkos::ALL));
      const auto d_out_fd = Kokkos::subview(d_out_fake_d_, rows, Kokkos::ALL);
      loss::evaluate_to(loss_, loss_unread_, o_fake, loss::Label::fake, fake.weights, norm, d_out_fd, Vector<T>());
      disc.backward(fake_ctx_, d_out_fd, Matrix<T>(), nn::ParamGrad::overwrite);
      shard.draw(Kokkos::subview(real_, rows, Kokkos::ALL), n, random::CounterRng(keys, random::Purpose::data_indices));
      const auto o_real = disc.forward(real_ctx_, Kokkos::subview(real_, rows, Kokkos::ALL));
      const auto d_out_real = Kokkos::subview(d_out_real_, rows, Kokkos::ALL);
      loss::evaluate_to(loss_, loss_unread_, o_real, loss::Label::real, Vector<T>(), norm, d_out_real, Vector<T>());
      disc.backward(real_ctx_, d_out_real, Matrix<T>(), nn::ParamGrad::accumulate);
      pipeline_.check();
    });
    if (!problem_.empty()) return extra_discriminator_update(step, j, rank, m, disc_exchange, shard, schedule);
    if (disc_exchange) {
      disc_exchange->start(disc.grads(), step);
      disc_exchange->finish();
    }
    m.discriminator_optimizer().set_lr(static_cast<T>(cfg_.lr_discriminator * schedule.lr_factor(step)));
    m.discriminator_optimizer().step(disc.params(), disc.grads());
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

  // Standard normal noise times `scale` (0: all zero, the generator a point estimate).
  static void fill_noise(Matrix<T> noise, const random::StepKeys& keys, random::Purpose purpose, double scale) {
    if (scale == 0) {
      Kokkos::deep_copy(ExecSpace(), noise, T(0));
      return;
    }
    random::fill_normal(noise, random::CounterRng(keys, purpose));
    if (scale == 1) return;
    const T s = static_cast<T>(scale);
    const int cols = static_cast<int>(noise.extent(1));
    Kokkos::parallel_for(
        "sagips::train::scale_noise", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(noise.extent(0)) * cols),
        KOKKOS_LAMBDA(int k) { noise(k / cols, k % cols) *= s; });
  }

 private:
  TrainerConfig cfg_;
  Pipeline pipeline_;
  sim::ParameterScaling<T, P> scaling_;
  Loss loss_;
  std::unique_ptr<Distance> distance_;  // the sample distance, when the objective is one (else the discriminator)
  FinitenessVote vote_;
  std::string problem_;  // this step's refusal by the pipeline on this rank (empty: none)
  typename Generator::Context gen_ctx_;
  typename Discriminator::Context fake_ctx_, real_ctx_;
  Matrix<T> noise_, params_, d_params_, d_unit_;
  Matrix<T> d_out_fake_g_, d_out_fake_d_, d_out_real_, d_events_, real_;
  Vector<T> d_weights_;
  loss::DeviceValue<T> loss_g_, loss_d_fake_, loss_d_real_, loss_unread_;  // (the extra updates' are not read)
  Kokkos::View<double*, MemSpace> losses_;
};

}  // namespace sagips::train
