#pragma once
// sagips::Trainer: the SAGIPS training run on every rank, put together from its parts:
//
//   models.hpp    the networks, their optimizers, the generator's weight average (a checkpoint's state)
//   step.hpp      one step: generator, pipeline, discriminator, the exchange overlapped with the
//                 discriminator's real half, the finiteness vote, the optimizer steps
//   schedule.hpp  learning-rate decay and the weight average's decay, functions of the step
//   report.hpp    metrics.csv rows, the progress line, the loss sums a checkpoint carries
//   result.hpp    the typed result every rank gets back from run()
//
//   using Trainer = sagips::Trainer<Pipeline>;                                    // defaults for the rest
//   using Trainer = sagips::Trainer<Pipeline, Generator, Discriminator, Loss, Exchange>;
//   Trainer t(comm, train_config, exchange_config, Pipeline(...), real_events);   // bounds from the theory
//   sagips::train::TrainingResult r = t.run();                                    // collective
//
// Exchange is one strategy (exchange::AsyncRing, ...) or a run-time choice (exchange::Builtin, chosen
// by exchange::Config::strategy); Loss likewise (loss::Builtin, chosen by TrainerConfig::loss). The
// trainer never names a strategy: what it needs (a server, an ensemble's membership) the exchanger
// tells it. (The pipeline comes first because C++ defaults must trail and it has no default.)

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/core/comm.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/core/watchdog.hpp"
#include "sagips/exchange.hpp"
#include "sagips/loss.hpp"
#include "sagips/nn.hpp"
#include "sagips/sim.hpp"
#include "sagips/train/bootstrap.hpp"
#include "sagips/train/checkpoint.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/models.hpp"
#include "sagips/train/outputs.hpp"
#include "sagips/train/phases.hpp"
#include "sagips/train/report.hpp"
#include "sagips/train/result.hpp"
#include "sagips/train/sampler.hpp"
#include "sagips/train/schedule.hpp"
#include "sagips/train/step.hpp"

namespace sagips::train {

// The paper's networks: 10 -> 4 x 128 LeakyReLU(0.2) -> P (sigmoid) and D -> 4 x 128 -> 1.
template <class Pipeline>
using DefaultGenerator = nn::Mlp<10, Pipeline::num_params, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu,
                                 nn::Sigmoid, typename Pipeline::value_type>;
template <class Pipeline>
using DefaultDiscriminator = nn::Mlp<Pipeline::event_dim, 1, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu,
                                     nn::Identity, typename Pipeline::value_type>;

template <class Pipeline, class Generator = DefaultGenerator<Pipeline>,
          class Discriminator = DefaultDiscriminator<Pipeline>, class Loss = loss::LeastSquares,
          class Exchange = exchange::AsyncRing>
class Trainer {
 public:
  using T = typename Generator::value_type;
  using Theory = typename Pipeline::theory_type;
  static constexpr int P = Pipeline::num_params;
  static constexpr int D = Pipeline::event_dim;

  static_assert(std::is_same_v<T, typename Discriminator::value_type> &&
                    std::is_same_v<T, typename Pipeline::value_type>,
                "Trainer: generator, discriminator and pipeline must use the same scalar type");
  static_assert(Generator::out_width == P,
                "Trainer: the generator must output one value per physics parameter of the pipeline");
  static_assert(Discriminator::in_width == D,
                "Trainer: the discriminator's input width must be the pipeline's event dimension");
  static_assert(Discriminator::out_width == 1, "Trainer: the discriminator must output one score per event");
  static_assert(loss::check_loss<Loss>(), "");

  using Models = GanModels<Generator, Discriminator>;
  using Step = GanStep<Pipeline, Generator, Discriminator, Loss>;
  using GenExchanger = exchange::Exchanger<Exchange, T>;
  using DiscExchanger = exchange::Exchanger<exchange::Allreduce, T>;

  // data: the whole real data set [N, D] (every rank passes the same); each model keeps its shard.
  // The generator's outputs are scaled to the theory's lower_bounds()/upper_bounds().
  Trainer(MPI_Comm comm, TrainerConfig cfg, exchange::Config xcfg, Pipeline pipeline, HostMatrix<const T> data)
      : Trainer(comm, std::move(cfg), xcfg, std::move(pipeline), data, bounds<true>(), bounds<false>()) {}

  // ... or to explicit bounds.
  Trainer(MPI_Comm comm, TrainerConfig cfg, exchange::Config xcfg, Pipeline pipeline, HostMatrix<const T> data,
          const std::array<double, P>& lower, const std::array<double, P>& upper)
      : comm_(comm),
        cfg_(std::move(cfg)),
        xcfg_(xcfg),
        exchanger_(set_up(comm, cfg_, xcfg_, data), xcfg_, Generator::num_params) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    check_all(comm_, exchanger_.description().has_server && cfg_.resume
                         ? "--resume is not supported with the parameter server (its masters' state is not checkpointed)"
                         : "",
              "the trainer's set-up checks");
    collectively(comm_, [&] { sim::check_events<T, D>(data, pipeline.support(), "the real data"); },
                 "the trainer's check of the real data");

    // Training ranks (all but parameter-server masters); the ranks of this rank's model.
    const bool server = exchanger_.is_server();
    workers_ = Comm::split(comm_, server ? MPI_UNDEFINED : 0, rank_, "the trainer's set-up");
    int reporter = server ? size_ : rank_;
    mpi::allreduce(MPI_IN_PLACE, &reporter, 1, MPI_INT, MPI_MIN, comm_, "the trainer's set-up");
    reporter_ = reporter;
    membership_ = exchanger_.membership();
    model_ = Comm::split(comm_, server ? MPI_UNDEFINED : membership_.index, rank_, "the trainer's set-up");

    // Every rank of a model builds the same networks from the seed; each model has its own seed.
    models_ = std::make_unique<Models>(cfg_, cfg_.seed + 1000003ull * static_cast<std::uint64_t>(membership_.index));
    step_ = std::make_unique<Step>(cfg_, std::move(pipeline), sim::ParameterScaling<T, P>(lower, upper),
                                   make_loss(), *models_);
    sampler_ = std::make_unique<ParameterSampler<Generator, P>>(cfg_.eval_samples, models_->generator());
    if (!server) {
      shard_ = sim::EventShard<T>::from_data(model_, member_data(data), shard_spec(), cfg_.data_seed);
      if (cfg_.average_discriminator)
        disc_exchanger_ = std::make_unique<DiscExchanger>(model_, exchange::Config{}, Discriminator::num_params);
      models_->synchronize(model_, cfg_.average_discriminator);
    }
    reporter_log_ = std::make_unique<Reporter>(cfg_, workers_, rank_ == reporter_, parameter_names(), truth());
  }

  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // ---- the whole run -------------------------------------------------------------------------
  // Trains from step 1 (or the step after the last checkpoint with cfg.resume) to cfg.steps, writing
  // metrics, checkpoints, samples.csv; every rank returns the same result. Collective.
  TrainingResult run() {
    const bool reporter = rank_ == reporter_;
    prepare_output_dir(comm_, cfg_.output_dir, reporter);
    long first = 1, last = 0;
    double elapsed = 0;
    if (exchanger_.is_server()) {
      serve();
    } else {
      CheckpointStore store(cfg_.output_dir, workers_, cfg_.keep_checkpoints);
      if (cfg_.resume) {
        const long saved =
            store.load_latest(fingerprint(), [&](BinaryReader& r, int format) { load_state(r, format); });
        if (saved >= 0) {
          first = saved + 1;
          last_checkpoint_ = saved;
          if (reporter) std::printf("resuming after step %ld from %s\n", saved, store.folder().c_str());
        } else if (reporter) {
          std::printf("no checkpoint in %s: starting from step 1\n", store.folder().c_str());
        }
      }
      if (first == 1) reporter_log_->set_last_step(0);
      reporter_log_->open(first - 1);
      const Schedule schedule(cfg_);
      const double t_start = watchdog::now();
      double t_last = t_start;
      last = cfg_.stop_at > 0 ? std::min(cfg_.stop_at, cfg_.steps) : cfg_.steps;
      for (long step = first; step <= last; ++step) {
        if (before_step_) before_step_(*this, step);
        const StepOutcome o = train_step(step, schedule);
        if (step % cfg_.metrics_every == 0 || step == cfg_.steps) {  // a --stop-at is an interruption: no extra row
          const double t = watchdog::now();
          const double rate = t > t_last ? double(step - reporter_log_->last_step()) / (t - t_last) : 0;
          reporter_log_->report(step, models_->generator().params(), rate,
                                [&](long s) { return parameter_stats(s); });
          t_last = t;
        }
        if (cfg_.checkpoint_every > 0 && (step % cfg_.checkpoint_every == 0 || step == last)) {
          store.save(step, fingerprint(), [&](BinaryWriter& w) { save_state(w); });
          last_checkpoint_ = step;
        }
        (void)o;
      }
      exchanger_.worker_done();
      elapsed = watchdog::now() - t_start;
    }
    return finish(first, last, elapsed);
  }

  // ---- one step --------------------------------------------------------------------------------
  // A step of this training rank (collective over the ranks the exchange involves). A non-finite
  // gradient on any rank skips the step on every rank, or (without --skip-nonfinite) stops the run.
  StepOutcome train_step(long step) { return train_step(step, Schedule(cfg_)); }
  StepOutcome train_step(long step, const Schedule& schedule) {
    StepOutcome o = step_->run(step, rank_, *models_, exchanger_, disc_exchanger_.get(), shard_, workers_, schedule, times_);
    events_ += o.events;
    if (o.nonfinite_ranks.empty()) {
      reporter_log_->add(o);
      return o;
    }
    ++skipped_steps_;
    std::string bad;
    for (int r : o.nonfinite_ranks) bad += (bad.empty() ? "" : ",") + std::to_string(r);
    if (cfg_.skip_nonfinite) {
      if (rank_ == reporter_)
        std::fprintf(stderr, "step %ld skipped on every rank: non-finite generator gradient on rank(s) %s\n", step,
                     bad.c_str());
      return o;
    }
    const std::string advice =
        last_checkpoint_ > 0
            ? "the last checkpoint (step " + std::to_string(last_checkpoint_) + ", " + cfg_.output_dir +
                  "/checkpoints) is intact: continue from it with --resume --skip-nonfinite to skip such steps, or "
                  "start again with lower learning rates"
            : std::string("no checkpoint was written yet");
    throw CollectiveError("non-finite generator gradient at step " + std::to_string(step) + " on rank(s) " + bad +
                          "; the run stopped on every rank (" + advice + ")");
  }

  // ---- estimates ---------------------------------------------------------------------------------
  // Mean and spread of p over cfg.eval_samples draws of this rank's generator (the weight average when
  // there is one), with the generator's noise; the draws are keyed by `step`.
  ParameterStats parameter_stats(long step, HostMatrix<T>* keep = nullptr) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank_), static_cast<std::uint64_t>(step)};
    const auto h = sampler_->sample(models_->estimate_weights(), step_->scaling(), [&](Matrix<T> noise) {
      Step::fill_noise(noise, keys, random::Purpose::evaluation, cfg_.generator_noise);
    });
    if (keep) *keep = h;
    return column_stats(HostMatrix<T>(h));
  }

  // A function called on every training rank before each step of run() (custom logging, early
  // stopping by throwing a CollectiveError on every rank, fault injection in tests).
  void before_each_step(std::function<void(Trainer&, long step)> f) { before_step_ = std::move(f); }

  const PhaseTimes& phase_times() const { return times_; }
  Generator& generator() { return models_->generator(); }
  Discriminator& discriminator() { return models_->discriminator(); }
  Models& models() { return *models_; }
  const TrainerConfig& config() const { return cfg_; }
  const GenExchanger& exchanger() const { return exchanger_; }
  bool is_reporter() const { return rank_ == reporter_; }
  exchange::Membership membership() const { return membership_; }

  nlohmann::json configuration_json() const {
    nlohmann::json j = cfg_;
    j["exchange"] = xcfg_;
    j["exchange"]["strategy"] = exchanger_.name();
    return j;
  }

  static std::vector<std::string> parameter_names() { return sim::parameter_names<Theory>(); }
  static std::vector<double> truth() { return sim::truth_values<Theory>(); }

 private:
  // Checks that must pass before the exchanger is built (collective): the configuration, the data's shape.
  static MPI_Comm set_up(MPI_Comm comm, TrainerConfig& c, const exchange::Config& x, HostMatrix<const T> data) {
    watchdog::set_timeout(x.timeout_seconds);  // one watchdog for every collective of the run
    const auto losses = loss::choice_names<Loss>();
    if (losses.size() == 1) c.loss = losses.front();  // a fixed loss: the configuration says which
    std::string problem = validate(c);
    if (problem.empty() && std::find(losses.begin(), losses.end(), c.loss) == losses.end()) {
      problem = "unknown loss '" + c.loss + "' (choose";
      for (std::size_t i = 0; i < losses.size(); ++i) problem += (i ? ", " : " ") + losses[i];
      problem += ")";
    }
    if (problem.empty()) problem = exchange::validate(x);
    if (problem.empty() && data.extent(1) != static_cast<std::size_t>(D))
      problem = "the real data have " + std::to_string(data.extent(1)) +
                " columns per event; the pipeline makes events of " + std::to_string(D);
    check_all(comm, problem, "the trainer's set-up checks");
    return comm;
  }

  template <bool Lower>
  static std::array<double, P> bounds() {
    static_assert(sim::has_bounds_v<Theory>,
                  "Trainer: the theory states no lower_bounds()/upper_bounds(): pass the bounds to the constructor");
    if constexpr (Lower) return Theory::lower_bounds();
    else return Theory::upper_bounds();
  }

  Loss make_loss() const {
    if constexpr (std::is_constructible_v<Loss, const std::string&>) return Loss(cfg_.loss);
    else return Loss{};
  }

  sim::ShardSpec shard_spec() const {
    sim::ShardSpec s;
    s.fraction = cfg_.shard_fraction;
    return s;
  }

  // The data this rank's model trains on: all of it, or (cfg.bootstrap, several models) a resample
  // with replacement, drawn per model, so the models' spread is the statistical uncertainty.
  HostMatrix<const T> member_data(HostMatrix<const T> data) const {
    if (!cfg_.bootstrap || membership_.count < 2) return data;
    return bootstrap_resample(data, cfg_.data_seed, membership_.index);
  }

  // A parameter-server master: serves until its workers are done, applying each push with its Adam.
  void serve() {
    auto& opt = models_->generator_optimizer();
    exchanger_.serve(models_->generator().params(),
                     [&](Vector<T> params, ConstVector<T> grads) { opt.step(params, grads); });
  }

  nlohmann::json fingerprint() const { return resume_fingerprint(configuration_json()); }

  // A rank's whole state: the models, the report's loss sums since the last metrics row, and the
  // exchange's error-feedback residual (checkpoint format 3; a format-2 file has none: zero).
  void save_state(BinaryWriter& w) const {
    models_->save(w);
    reporter_log_->save(w);
    exchanger_.save(w);
  }
  void load_state(BinaryReader& r, int format) {
    models_->load(r);
    reporter_log_->load(r);
    if (format >= 3) exchanger_.load(r);
  }

  // The end of the run: the final estimates, samples.csv, and the result on every rank.
  TrainingResult finish(long first, long last, double elapsed) {
    TrainingResult result;
    std::string encoded;
    if (!exchanger_.is_server()) {
      HostMatrix<T> samples;
      const ParameterStats mine = parameter_stats(cfg_.steps + 1, &samples);
      const int n = workers_.size();
      std::vector<double> all_means(static_cast<std::size_t>(n) * P);
      mpi::allgather(mine.mean.data(), P, MPI_DOUBLE, all_means.data(), P, MPI_DOUBLE, workers_,
                     "the gathering of the final estimates");
      std::vector<int> member_of(static_cast<std::size_t>(n));
      mpi::allgather(&membership_.index, 1, MPI_INT, member_of.data(), 1, MPI_INT, workers_,
                     "the gathering of the final estimates");
      const auto names = parameter_names();
      collectively(workers_, [&] {
        if (rank_ == reporter_) write_text_atomically(cfg_.output_dir + "/samples.csv", samples_csv(samples, names));
      }, "the writing of samples.csv");
      if (rank_ == reporter_) {
        result = summarize(mine, all_means, member_of, static_cast<int>(samples.extent(0)));
        const long steps_run = last - first + 1;
        result.steps = last;
        result.steps_this_run = steps_run;
        result.seconds = elapsed;
        result.seconds_per_step = steps_run > 0 ? elapsed / steps_run : 0;
        result.events_per_second = elapsed > 0 ? static_cast<double>(events_) * n / elapsed : 0;
        encoded = result.to_json().dump();
      }
    }
    // Every rank (parameter-server masters too) gets the reporter's result.
    long len = static_cast<long>(encoded.size());
    mpi::bcast(&len, 1, MPI_LONG, reporter_, comm_, "the broadcast of the result");
    encoded.resize(static_cast<std::size_t>(len));
    mpi::bcast(encoded.data(), static_cast<int>(len), MPI_CHAR, reporter_, comm_, "the broadcast of the result");
    if (rank_ != reporter_) result = TrainingResult::from_json(nlohmann::json::parse(encoded));
    return result;
  }

  // The reporter's result from its generator's statistics and every rank's estimate.
  TrainingResult summarize(const ParameterStats& mine, const std::vector<double>& all_means,
                           const std::vector<int>& member_of, int samples) const {
    TrainingResult r;
    r.problem = sim::theory_name<Theory>();
    r.strategy = exchanger_.name();
    r.ranks = size_;
    r.training_ranks = static_cast<int>(member_of.size());
    r.samples = samples;
    r.steps_planned = cfg_.steps;
    r.skipped_steps = skipped_steps_;
    r.rank_estimates = all_means;
    r.configuration = configuration_json();
    model_estimates(r, mine, all_means, member_of, parameter_names(), truth());
    return r;
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1, reporter_ = 0;
  TrainerConfig cfg_;
  exchange::Config xcfg_;
  GenExchanger exchanger_;
  Comm workers_, model_;
  exchange::Membership membership_;
  std::unique_ptr<Models> models_;
  std::unique_ptr<Step> step_;
  std::unique_ptr<ParameterSampler<Generator, P>> sampler_;
  std::unique_ptr<DiscExchanger> disc_exchanger_;
  std::unique_ptr<Reporter> reporter_log_;
  sim::EventShard<T> shard_;
  PhaseTimes times_;
  long events_ = 0, skipped_steps_ = 0;
  long last_checkpoint_ = 0;  // the step of the newest checkpoint written or resumed from (0: none)
  std::function<void(Trainer&, long)> before_step_;
};

}  // namespace sagips::train

namespace sagips {
using train::Trainer;
}  // namespace sagips
