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
// Weighted fake events are normalised by the weight sum of the model's whole step (one all-reduce of
// three numbers, train/weighted_means.hpp), so that the losses are weighted means and a step does not
// depend on the rank count; the random streams are the model's, each rank drawing its own sets' part
// (core/random.hpp), and with --shard-layout strata the real events are too (sim/shard.hpp).
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
#include "sagips/train/step_state.hpp"
#include "sagips/train/weighted_means.hpp"

namespace sagips::train {

template <class Pipeline, class Generator, class Discriminator, class Loss, class Optimizers = optim::Builtin,
          class Objectives = objective::Builtin>
class GanStep : public StepState<Pipeline, Generator, Discriminator, Loss, Optimizers> {
 public:
  using T = typename Generator::value_type;
  static constexpr int P = Pipeline::num_params;
  static constexpr int D = Pipeline::event_dim;
  using Models = GanModels<Generator, Discriminator, Optimizers>;
  using Fake = typename StepState<Pipeline, Generator, Discriminator, Loss, Optimizers>::Fake;
  using Means = WeightedMeans<T>;
  using Sums = typename Means::Sums;
  using Distance = objective::Chosen<Objectives, T, D>;
  using StepState<Pipeline, Generator, Discriminator, Loss, Optimizers>::fill_noise;

  // model: the model's training ranks (weighted events are normalised over them); settings: the sample
  // distance's, when cfg.objective names one.
  GanStep(const TrainerConfig& c, Pipeline pipeline, sim::ParameterScaling<T, P> scaling, Loss loss,
          const Models& models, MPI_Comm model, const objective::Settings& settings = {})
      : Base(c, std::move(pipeline), scaling, std::move(loss), models, model) {
    if (c.objective != objective::gan) distance_ = std::make_unique<Distance>(c.objective, settings);
  }

  // One step of this rank (see the top of this file). keys: the step's random streams, with this
  // rank's place among its model's parameter sets (keys.first_set); exchange: the generator's;
  // disc_exchange: the discriminators' average (--average-discriminator), or null.
  template <class GenExchange, class DiscExchange>
  StepOutcome run(const random::StepKeys& keys, Models& m, GenExchange& exchange, DiscExchange* disc_exchange,
                  const sim::EventShard<T>& shard, MPI_Comm workers, const Schedule& schedule, PhaseTimes& times) {
    const long step = static_cast<long>(keys.step);
    PhaseClock clock(cfg_.profile);
    auto& gen = m.generator();
    auto& disc = m.discriminator();
    if (distance_) return distance_run(keys, m, exchange, disc_exchange, shard, workers, schedule, times);
    StepOutcome out;
    problem_.clear();
    for (int j = 1; j < cfg_.disc_steps; ++j) extra_discriminator_update(keys, j, m, disc_exchange, shard, schedule);

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
    // Weighted events: the loss kernels sum (normalizer 1) and the model's weight sum normalises them
    // between the two parts (train/weighted_means.hpp); every rank reaches that all-reduce.
    int n = 0;
    Vector<T> d_weights;
    Sums mine, all;
    const auto d_out_g = [&] { return Kokkos::subview(d_out_fake_g_, std::make_pair(0, n), Kokkos::ALL); };
    const auto d_out_fd = [&] { return Kokkos::subview(d_out_fake_d_, std::make_pair(0, n), Kokkos::ALL); };
    if (problem_.empty())
      guard(step, [&] {
        const Fake fake = pipeline_.forward(params_, cfg_.events_per_sample, keys, true, sim::Checks::deferred);
        n = fake.count;
        times.pipeline += clock.lap();
        const auto o_fake = disc.forward(fake_ctx_, Kokkos::subview(fake.events, std::make_pair(0, n), Kokkos::ALL));
        const T norm = Pipeline::weighted ? T(1) : static_cast<T>(n);
        if (fake.weights.extent(0) > 0) d_weights = Kokkos::subview(d_weights_, std::make_pair(0, n));
        loss::evaluate_to(loss_, loss_g_, o_fake, loss::Label::real, fake.weights, norm, d_out_g(), d_weights);
        loss::evaluate_to(loss_, loss_d_fake_, o_fake, loss::Label::fake, fake.weights, norm, d_out_fd(), Vector<T>());
        if constexpr (Pipeline::weighted) {
          pipeline_.check();  // (a refused density's reason, before its weights reach the sums)
          mine = Means::local(fake.weights, loss_g_, loss_d_fake_);
        }
      });
    if constexpr (Pipeline::weighted) all = model_weight_sums(mine, true, step);
    if (problem_.empty())
      guard(step, [&] {
        if constexpr (Pipeline::weighted) {
          means_.normalise_generator(all, loss_g_, d_out_g(), d_weights);
          means_.normalise_discriminator(mine, all, disc_exchange != nullptr, loss_d_fake_, d_out_fd());
        }
        const auto d_events = Kokkos::subview(d_events_, std::make_pair(0, n), Kokkos::ALL);
        disc.backward_split(fake_ctx_, d_out_g(), d_events, d_out_fd(), nn::ParamGrad::overwrite);
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
    weigh_generator_gradient(gen.grads());
    const bool finite = exchange.start(gen.grads(), step);
    vote_.start(finite ? Verdict::ok : Verdict::nonfinite_gradient, workers);
    times.exchange += clock.lap();

    // The discriminator's real half, on this rank's shard, while the exchange flies.
    real_ctx_.progress = [&exchange] { exchange.test(); };
    real_ctx_.progress_each_layer = cfg_.poll_each_layer;
    draw_real(shard, n, keys);
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
  StepOutcome distance_run(const random::StepKeys& keys, Models& m, GenExchange& exchange, DiscExchange* disc_exchange,
                           const sim::EventShard<T>& shard, MPI_Comm workers, const Schedule& schedule,
                           PhaseTimes& times) {
    const long step = static_cast<long>(keys.step);
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
      draw_real(shard, n, keys);
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
    weigh_generator_gradient(gen.grads());
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
  void extra_discriminator_update(const random::StepKeys& step_keys, int j, Models& m, DiscExchange* disc_exchange,
                                  const sim::EventShard<T>& shard, const Schedule& schedule) {
    const long step = static_cast<long>(step_keys.step);
    random::StepKeys keys = step_keys;
    keys.step |= static_cast<std::uint64_t>(j) << 48;
    auto& disc = m.discriminator();
    const bool shared = disc_exchange != nullptr;
    int n = 0;
    Sums mine, all;
    const auto d_out_fd = [&] { return Kokkos::subview(d_out_fake_d_, std::make_pair(0, n), Kokkos::ALL); };
    if (problem_.empty()) {  // (else an earlier update refused this step: only the collective parts follow)
      fill_noise(noise_, keys, random::Purpose::generator_noise, cfg_.generator_noise);
      scaling_.forward(m.generator().forward(gen_ctx_, noise_), params_);
      guard(step, [&] {
        const Fake fake = pipeline_.forward(params_, cfg_.events_per_sample, keys, false, sim::Checks::deferred);
        n = fake.count;
        const T norm = Pipeline::weighted ? T(1) : static_cast<T>(n);
        const auto o_fake = disc.forward(fake_ctx_, Kokkos::subview(fake.events, std::make_pair(0, n), Kokkos::ALL));
        loss::evaluate_to(loss_, loss_unread_, o_fake, loss::Label::fake, fake.weights, norm, d_out_fd(), Vector<T>());
        if constexpr (Pipeline::weighted) {
          pipeline_.check();
          mine = Means::local(fake.weights, loss::DeviceValue<T>(), loss_unread_);
        }
      });
    }
    if constexpr (Pipeline::weighted) all = model_weight_sums(mine, shared, step);
    if (problem_.empty())
      guard(step, [&] {
        if constexpr (Pipeline::weighted) means_.normalise_discriminator(mine, all, shared, loss_unread_, d_out_fd());
        disc.backward(fake_ctx_, d_out_fd(), Matrix<T>(), nn::ParamGrad::overwrite);
        draw_real(shard, n, keys);
        const auto o_real = disc.forward(real_ctx_, Kokkos::subview(real_, std::make_pair(0, n), Kokkos::ALL));
        const auto d_out_real = Kokkos::subview(d_out_real_, std::make_pair(0, n), Kokkos::ALL);
        loss::evaluate_to(loss_, loss_unread_, o_real, loss::Label::real, Vector<T>(), static_cast<T>(n), d_out_real,
                          Vector<T>());
        disc.backward(real_ctx_, d_out_real, Matrix<T>(), nn::ParamGrad::accumulate);
        pipeline_.check();
      });
    const bool refused = !problem_.empty();
    if (refused) Kokkos::deep_copy(ExecSpace(), disc.grads(), T(0));  // this rank adds nothing
    if (disc_exchange) {
      disc_exchange->start(disc.grads(), step);
      disc_exchange->finish();
    }
    if (refused) return;
    m.discriminator_optimizer().set_lr(static_cast<T>(cfg_.lr_discriminator * schedule.lr_factor(step)));
    m.discriminator_optimizer().step(disc.params(), disc.grads());
  }

 private:
  using Base = StepState<Pipeline, Generator, Discriminator, Loss, Optimizers>;
  using Base::cfg_, Base::pipeline_, Base::scaling_, Base::loss_, Base::means_, Base::vote_, Base::problem_;
  using Base::gen_ctx_, Base::fake_ctx_, Base::real_ctx_, Base::noise_, Base::params_, Base::d_params_, Base::d_unit_;
  using Base::d_out_fake_g_, Base::d_out_fake_d_, Base::d_out_real_, Base::d_events_, Base::real_, Base::d_weights_;
  using Base::loss_g_, Base::loss_d_fake_, Base::loss_d_real_, Base::loss_unread_, Base::losses_;
  using Base::draw_real, Base::guard, Base::refused_step, Base::model_weight_sums, Base::weigh_generator_gradient;

  std::unique_ptr<Distance> distance_;  // the sample distance, when the objective is one (else the discriminator)
};

}  // namespace sagips::train
