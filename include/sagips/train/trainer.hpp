#pragma once
// sagips::Trainer: the SAGIPS training run on every rank, put together from its parts:
//
//   composition.hpp  how the networks, the loss and the pipeline join; the default networks
//   setup.hpp        the checks every rank passes before anything collective, the split into models
//   inputs.hpp       each rank's data, its shard of the events, a step's random streams
//   models.hpp       the networks, their optimizers, the generator's weight average (a checkpoint's state)
//   step.hpp         one step: generator, pipeline, discriminator, the exchange overlapped with the
//                    discriminator's real half, the finiteness vote, the optimizer steps
//   schedule.hpp     learning-rate decay and the weight average's decay, functions of the step
//   report.hpp       metrics.csv rows, the progress line, the loss sums a checkpoint carries
//   result.hpp       the typed result every rank gets back from run()
//
//   using Trainer = sagips::Trainer<Pipeline>;                                    // defaults for the rest
//   using Trainer = sagips::Trainer<Pipeline, Generator, Discriminator, Loss, Exchange, Optimizers, Objectives>;
//   Trainer t(comm, train_config, exchange_config, Pipeline(...), real_events);   // bounds from the theory
//   sagips::train::TrainingResult r = t.run();                                    // collective
//
// Exchange is one strategy (exchange::AsyncRing, ...) or a run-time choice (exchange::Builtin, chosen
// by exchange::Config::strategy); Loss likewise (loss::Builtin, chosen by TrainerConfig::loss); the
// networks' optimizers are chosen by name among Optimizers (optim::Choice, default optim::Builtin:
// adam, sgd; TrainerConfig::generator_optimizer, discriminator_optimizer), the training objective among
// Objectives' distances or the discriminator (TrainerConfig::objective). The ranks form
// TrainerConfig::models independent models (partition.hpp); a model's ranks may train several data sets
// with one generator (data_sets.hpp: each rank its data set's pipeline and events, the trainer's last
// constructor argument); the strategy runs inside each model and never names it, nor does the trainer
// name a strategy: what it needs (a server) the exchanger tells it. (The pipeline comes first because
// C++ defaults must trail and it has no default.)

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/exchange.hpp"
#include "sagips/loss.hpp"
#include "sagips/nn.hpp"
#include "sagips/options/json.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/signals.hpp"
#include "sagips/runtime/utf8.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/sim.hpp"
#include "sagips/train/checkpoint.hpp"
#include "sagips/train/composition.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/data_identity.hpp"
#include "sagips/train/data_sets.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/fingerprint.hpp"
#include "sagips/train/gather.hpp"
#include "sagips/train/inputs.hpp"
#include "sagips/train/models.hpp"
#include "sagips/train/outputs.hpp"
#include "sagips/train/partition.hpp"
#include "sagips/train/phases.hpp"
#include "sagips/train/report.hpp"
#include "sagips/train/result.hpp"
#include "sagips/train/sampler.hpp"
#include "sagips/train/schedule.hpp"
#include "sagips/train/setup.hpp"
#include "sagips/train/step.hpp"
#include "sagips/train/stop.hpp"

namespace sagips::train {

template <class Pipeline, class Generator = DefaultGenerator<Pipeline>,
          class Discriminator = DefaultDiscriminator<Pipeline>, class Loss = loss::LeastSquares,
          class Exchange = exchange::AsyncRing, class Optimizers = optim::Builtin, class Objectives = objective::Builtin>
class Trainer {
  // Before anything looks inside a part: each network, the loss, and how they join (one sentence each).
  static_assert(check_composition<Pipeline, Generator, Discriminator, Loss>(), "");

 public:
  using T = typename Generator::value_type;
  using Theory = typename Pipeline::theory_type;
  static constexpr int P = Pipeline::num_params;
  static constexpr int D = Pipeline::event_dim;


  using Models = GanModels<Generator, Discriminator, Optimizers>;
  using Step = GanStep<Pipeline, Generator, Discriminator, Loss, Optimizers, Objectives>;
  using GenExchanger = exchange::Exchanger<Exchange, T>;
  using DiscExchanger = exchange::Exchanger<exchange::Allreduce, T>;

  // data: the whole real data set [N, D] (every rank passes the same); each model keeps its shard.
  // The generator's outputs are scaled to the theory's lower_bounds()/upper_bounds().
  // data_set: this rank's data set in a run of several (data_sets.hpp; then `data` and `pipeline` are
  // that data set's, the same on its ranks); the default is the one data set of an ordinary run.
  Trainer(MPI_Comm comm, TrainerConfig cfg, exchange::Config xcfg, Pipeline pipeline, HostMatrix<const T> data,
          DataSetMember data_set = {})
      : Trainer(comm, std::move(cfg), xcfg, std::move(pipeline), data, bounds<true>(), bounds<false>(), data_set) {}

  // ... or to explicit bounds.
  Trainer(MPI_Comm comm, TrainerConfig cfg, exchange::Config xcfg, Pipeline pipeline, HostMatrix<const T> data,
          const std::array<double, P>& lower, const std::array<double, P>& upper, DataSetMember data_set = {})
      : comm_(comm),
        cfg_(std::move(cfg)),
        xcfg_(xcfg),
        partition_(set_up_models<Pipeline, Generator, Loss, Optimizers, Objectives>(comm, cfg_, xcfg_, data)),
        exchanger_(partition_.comm(), xcfg_, Generator::num_params),
        data_set_(data_set) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    check_all(comm_, exchanger_.description().has_server && cfg_.resume
                         ? "--resume is not supported with the parameter server (its masters' state is not checkpointed)"
                         : "",
              "the trainer's set-up checks");
    const bool server = exchanger_.is_server();
    check_all(comm_, data_set_agreement(comm_, partition_.membership().index, data_set_, server),
              "the trainer's set-up checks");
    collectively(comm_, [&] { sim::check_events<T, D>(data, pipeline.support(), "the real data"); },
                 "the trainer's check of the real data");

    // Training ranks (all but parameter-server masters); the training ranks of this rank's model; those
    // of its data set within the model (the model's, in a run of one data set).
    workers_ = Comm::split(comm_, server ? MPI_UNDEFINED : 0, rank_, "the trainer's set-up");
    int reporter = server ? size_ : rank_;
    mpi::allreduce(MPI_IN_PLACE, &reporter, 1, MPI_INT, MPI_MIN, comm_, "the trainer's set-up");
    reporter_ = reporter;
    model_ = Comm::split(partition_.comm(), server ? MPI_UNDEFINED : 0, rank_, "the trainer's set-up");
    if (!server) group_ = Comm::split(model_, data_set_.index, rank_, "the split of the model into data sets");
    // Every rank of the run trains on the same data; in a run of several data sets, every rank of a data set.
    data_identity_ = agreed_data_identity(data_set_.count > 1 ? MPI_Comm(group_) : comm_, data);

    // Every rank of a model builds the same networks from the seed; each model has its own seed.
    models_ = std::make_unique<Models>(cfg_, cfg_.seed + 1000003ull * static_cast<std::uint64_t>(partition_.membership().index));
    collectively(comm_, [&] {
      step_ = std::make_unique<Step>(cfg_, std::move(pipeline), sim::ParameterScaling<T, P>(lower, upper),
                                     make_loss(), *models_, group_, objective_settings<T>(cfg_, data));
    }, "the objective's set-up");
    sampler_ = std::make_unique<ParameterSampler<Generator, P>>(cfg_.eval_samples, models_->generator());
    if (!server) {
      const Membership& m = partition_.membership();
      shard_ = sim::EventShard<T>::from_data(group_, member_data(cfg_, m, data), shard_spec(cfg_), cfg_.data_seed);
      if (cfg_.average_discriminator)
        disc_exchanger_ = std::make_unique<DiscExchanger>(group_, exchange::Config{}, Discriminator::num_params);
      models_->synchronize(model_, group_, cfg_.average_discriminator);
      if (data_set_.count > 1) {
        const DataSetShare share = data_set_share(model_, group_, data_set_, static_cast<double>(data.extent(0)));
        step_->set_gradient_weight(share.gradient_weight);
        data_set_json_ = share.record;
      }
    }
    reporter_log_ = std::make_unique<Reporter>(cfg_, workers_, model_, rank_ == reporter_, parameter_names(), truth());
  }

  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // ---- the whole run -------------------------------------------------------------------------
  // Trains from step 1 (or the step after the last checkpoint with cfg.resume) to cfg.steps, writing
  // metrics, checkpoints, then samples.csv; every rank returns the same result. Collective.
  // A stop signal (runtime/signals.hpp) ends it after the next step with a checkpoint and throws Stopped.
  TrainingResult run() {
    TrainingResult result = train();
    write_samples();
    return result;
  }

  // run() without samples.csv, which write_samples() writes afterwards: a program that prints or
  // writes the answer first (App) loses nothing when that secondary file cannot be written.
  TrainingResult train() {
    signals::StopRequests stop_requests;  // from here a stop signal is recorded, not fatal
    const bool reporter = rank_ == reporter_;
    output_lock_ = prepare_output_dir(comm_, cfg_.output_dir, reporter);
    long first = 1, last = 0, stopped_after = 0;
    int stop_signal = 0;
    double elapsed = 0;
    if (exchanger_.is_server()) {
      serve();
    } else {
      CheckpointStore store(cfg_.output_dir, workers_, cfg_.keep_checkpoints);
      if (cfg_.resume) {
        last_checkpoint_ = store.resume(fingerprint(), [&](BinaryReader& r, int format) { load_state(r, format); },
                                        cfg_.steps, reporter);
        first = last_checkpoint_ + 1;
      }
      if (first == 1) reporter_log_->set_last_step(0);
      reporter_log_->open(first - 1);
      const Schedule schedule(cfg_);
      const double t_start = watchdog::now();
      double t_last = t_start;
      last = cfg_.stop_at > 0 ? std::min(cfg_.stop_at, cfg_.steps) : cfg_.steps;
      steps_this_run_ = std::max(0L, last - first + 1);
      StopAgreement stop(workers_);
      for (long step = first; step <= last; ++step) {
        if (before_step_) before_step_(*this, step);
        train_step(step, schedule);
        if (step % cfg_.metrics_every == 0 || step == cfg_.steps) {  // a --stop-at is an interruption: no extra row
          const double t = watchdog::now();
          const double rate = t > t_last ? double(step - reporter_log_->last_step()) / (t - t_last) : 0;
          reporter_log_->report(step, models_->generator().params(), rate,
                                [&](long s) { return parameter_stats(s); });
          t_last = t;
        }
        stop_signal = stop.after_step(step, step == last);
        if (cfg_.checkpoint_every > 0 && (step % cfg_.checkpoint_every == 0 || step == last || stop_signal)) {
          store.save(step, fingerprint(), [&](BinaryWriter& w) { save_state(w); });
          last_checkpoint_ = step;
        }
        if (stop_signal) {
          stopped_after = step;
          break;
        }
      }
      exchanger_.worker_done();
      elapsed = watchdog::now() - t_start;
    }
    // Every rank (parameter-server masters too) learns whether the run stopped on request.
    long stop[2] = {stopped_after, stop_signal};
    mpi::bcast(stop, 2, MPI_LONG, reporter_, comm_, "the broadcast of the stop request");
    if (stop[0] > 0) throw Stopped(stopped_message(cfg_, exchanger_.description().has_server, stop[0], static_cast<int>(stop[1])), signals::exit_code);
    return finish(first, last, elapsed);
  }

  // samples.csv: the final generator samples (written by the reporter; collective over the workers).
  void write_samples() {
    if (exchanger_.is_server()) return;
    collectively(workers_, [&] {
      if (rank_ == reporter_) write_text_atomically(cfg_.output_dir + "/samples.csv", samples_csv(samples_, parameter_names()));
    }, "the writing of samples.csv");
  }

  // ---- one step --------------------------------------------------------------------------------
  // A step of this training rank (collective over the ranks the exchange involves). A non-finite
  // gradient on any rank skips the step on every rank, or (without --skip-nonfinite) stops the run;
  // so does, always, a pipeline that refuses the step's parameters on any rank (the generator's
  // weights diverged, a theory's negative density), and skipping more than --max-skipped of the steps.
  StepOutcome train_step(long step) { return train_step(step, Schedule(cfg_)); }
  StepOutcome train_step(long step, const Schedule& schedule) {
    const auto keys = step_keys(cfg_, partition_.membership(), group_.rank(), data_set_.index, step);
    StepOutcome o = step_->run(keys, *models_, exchanger_, disc_exchanger_.get(), shard_, workers_, schedule, times_);
    events_ += o.events;
    if (!o.failed_ranks.empty()) stop_refused_step(workers_, o, cfg_, last_checkpoint_);
    if (o.nonfinite_ranks.empty()) {
      reporter_log_->add(o);
      return o;
    }
    ++skipped_steps_;
    skip_or_stop(o, step, skipped_steps_, steps_this_run_ > 0 ? steps_this_run_ : cfg_.steps, cfg_, last_checkpoint_,
                 rank_ == reporter_);
    return o;
  }

  // ---- estimates ---------------------------------------------------------------------------------
  // Mean and spread of p over cfg.eval_samples draws of this rank's generator (the weight average when
  // there is one), with the generator's noise; the draws are keyed by `step`.
  ParameterStats parameter_stats(long step, HostMatrix<T>* keep = nullptr) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank_), static_cast<std::uint64_t>(step)};
    const auto h = sampler_->sample(models_->estimate_weights(), models_->generator(), step_->scaling(), [&](Matrix<T> noise) {
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
  MPI_Comm communicator() const { return comm_; }  // every rank of the run
  const Membership& membership() const { return partition_.membership(); }

  // The run's configuration: the trainer's options, the exchange's (the strategy and the options it
  // reads), the program's record (TrainerConfig::program) and the real data's identity (events and
  // checksum). summary.json writes it; a resume must match its run-shaping part (resume_fingerprint).
  nlohmann::json configuration_json() const {
    nlohmann::json j = cfg_;
    j["exchange"] = options::to_json(xcfg_, exchange::read_by(exchanger_.description().options));
    j["exchange"]["strategy"] = exchanger_.name();
    j["data"] = data_identity_;
    if (data_set_.count > 1) j["data_set"] = data_set_json_;
    return j;
  }

  // The real data's identity: {"events": N, "checksum": "<16 hex digits>"} of the bytes every rank passed.
  const nlohmann::json& data_identity() const { return data_identity_; }

  static std::vector<std::string> parameter_names() { return sim::parameter_names<Theory>(); }
  static std::vector<double> truth() { return sim::truth_values<Theory>(); }

 private:
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

  // A parameter-server master: serves until its workers are done, applying each push with its
  // generator optimizer.
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
    if (!exchanger_.is_server()) {
      const ParameterStats mine = parameter_stats(cfg_.steps + 1, &samples_);
      const auto [all_means, member_of] = gather_estimates(workers_, mine, partition_.membership().index);
      if (rank_ == reporter_) {
        result = summarize(mine, all_means, member_of, static_cast<int>(samples_.extent(0)));
        const long steps_run = last - first + 1;
        result.steps = last;
        result.steps_this_run = steps_run;
        result.seconds = elapsed;
        result.seconds_per_step = steps_run > 0 ? elapsed / steps_run : 0;
        result.events_per_second = elapsed > 0 ? static_cast<double>(events_) * workers_.size() / elapsed : 0;
      }
    }
    broadcast_result(result, reporter_, comm_);  // parameter-server masters get it too
    return result;
  }

  // The reporter's result from its generator's statistics and every rank's estimate.
  TrainingResult summarize(const ParameterStats& mine, const std::vector<double>& all_means,
                           const std::vector<int>& member_of, int samples) const {
    TrainingResult r;
    r.problem = sim::theory_name<Theory>();
    r.strategy = exchanger_.name();
    r.exchange_path = exchanger_.path();
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
  ModelPartition partition_;  // this rank's model: its ranks, servers included (the exchanger's communicator)
  GenExchanger exchanger_;
  DataSetMember data_set_;    // this rank's data set (one, in an ordinary run)
  Comm workers_, model_;      // all training ranks; this model's training ranks
  Comm group_;                // this model's training ranks of this rank's data set
  nlohmann::json data_set_json_;  // the data set's place in the run (configuration_json)
  std::unique_ptr<Models> models_;
  std::unique_ptr<Step> step_;
  std::unique_ptr<ParameterSampler<Generator, P>> sampler_;
  std::unique_ptr<DiscExchanger> disc_exchanger_;
  std::unique_ptr<Reporter> reporter_log_;
  sim::EventShard<T> shard_;
  PhaseTimes times_;
  long events_ = 0, skipped_steps_ = 0;
  long steps_this_run_ = 0;       // the steps train() planned (0: train_step called directly)
  HostMatrix<T> samples_;         // the final generator samples, for samples.csv
  nlohmann::json data_identity_;  // the real data's events and checksum (agreed by every rank)
  files::FolderLock output_lock_;  // one run per output folder, while this trainer lives
  long last_checkpoint_ = 0;  // the step of the newest checkpoint written or resumed from (0: none)
  std::function<void(Trainer&, long)> before_step_;
};

}  // namespace sagips::train

namespace sagips {
using train::Trainer;
}  // namespace sagips
