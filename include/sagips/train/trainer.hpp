#pragma once
// sagips::Trainer: the SAGIPS training loop on every rank.
//
// One step on each rank:
//   noise -> generator -> parameters -> pipeline -> fake events -> discriminator -> generator loss
//   -> backward through the discriminator, the pipeline and the generator; the same sweep through
//      the discriminator also yields its own parameter gradients from the (detached) fakes, reusing
//      the fake activations (the discriminator has not changed yet; Network::backward_split)
//   -> start the exchange of the generator's gradients
//   -> discriminator forward/backward on this rank's real shard while the traffic flies
//   -> finish the exchange -> generator optimizer step -> discriminator optimizer step.
// The discriminator stays local unless --average-discriminator. Reported losses are global means over
// all training ranks and events. Randomness is counter-based, keyed by (seed, rank, purpose, step), so
// a run resumed from a checkpoint is the uninterrupted run, bit for bit.
//
//   using Trainer = sagips::Trainer<Pipeline>;                       // defaults for all the rest
//   using Trainer = sagips::Trainer<Pipeline, Generator, Discriminator, Loss, Exchange>;
// (The pipeline comes first because C++ defaults must trail and the pipeline has no default.)

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/core/comm.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/watchdog.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/exchange.hpp"
#include "sagips/loss.hpp"
#include "sagips/nn.hpp"
#include "sagips/optim.hpp"
#include "sagips/sim.hpp"
#include "sagips/train/checkpoint.hpp"
#include "sagips/train/broadcast.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/outputs.hpp"
#include "sagips/train/phases.hpp"
#include "sagips/train/progress.hpp"

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
  static constexpr int noise_dim = Generator::in_width;

  static_assert(std::is_same_v<T, typename Discriminator::value_type> &&
                    std::is_same_v<T, typename Pipeline::value_type>,
                "Trainer: generator, discriminator and pipeline must use the same scalar type");
  static_assert(Generator::out_width == P,
                "Trainer: the generator must output one value per physics parameter of the pipeline");
  static_assert(Discriminator::in_width == D,
                "Trainer: the discriminator's input width must be the pipeline's event dimension");
  static_assert(Discriminator::out_width == 1, "Trainer: the discriminator must output one score per event");

  // data: the whole real data set [N, D] (every rank passes the same); each rank keeps its own shard.
  Trainer(MPI_Comm comm, TrainerConfig cfg, exchange::Config xcfg, Pipeline pipeline, HostMatrix<const T> data,
          const std::array<double, P>& lower, const std::array<double, P>& upper)
      : comm_(comm),
        cfg_(std::move(cfg)),
        xcfg_(xcfg),
        pipeline_(std::move(pipeline)),
        scaling_(lower, upper),
        lower_(lower),
        upper_(upper),
        exchanger_(comm, xcfg_, Generator::num_params) {
    watchdog::set_timeout(xcfg_.timeout_seconds);  // one watchdog for every collective of the run
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    std::string problem;
    if (data.extent(1) != static_cast<std::size_t>(D))
      problem = "the real data have " + std::to_string(data.extent(1)) + " columns per event; the pipeline makes events of " +
                std::to_string(D);
    if constexpr (exchange::traits<Exchange>::has_server)
      if (cfg_.resume)
        problem = "--resume is not supported with the parameter server (its masters' state is not checkpointed)";
    check_all(comm_, problem, "the trainer's set-up checks");
    collectively(comm_, [&] { sim::check_events<T, D>(data, pipeline_.support(), "the real data"); },
                 "the trainer's check of the real data");
    // Training ranks (all but parameter-server masters) share a communicator for the reported means.
    workers_ = Comm::split(comm_, exchanger_.is_server() ? MPI_UNDEFINED : 0, rank_, "the trainer's set-up");
    int reporter = exchanger_.is_server() ? size_ : rank_;
    mpi::allreduce(MPI_IN_PLACE, &reporter, 1, MPI_INT, MPI_MIN, comm_, "the trainer's set-up");
    reporter_ = reporter;

    const int B = cfg_.param_samples, N = cfg_.param_samples * cfg_.events_per_sample;
    // Every rank builds the same networks from the seed; each ensemble member has its own seed.
    std::uint64_t init_seed = cfg_.seed;
    if constexpr (std::is_same_v<Exchange, exchange::Ensemble>) init_seed += 1000003ull * exchanger_.group_index();
    gen_.initialize(init_seed);
    disc_.initialize(init_seed + 0x9e3779b97f4a7c15ull);
    gen_opt_ = std::make_unique<optim::Adam<T>>(Generator::num_params, adam_config(cfg_.lr_generator, cfg_));
    disc_opt_ = std::make_unique<optim::Adam<T>>(Discriminator::num_params, adam_config(cfg_.lr_discriminator, cfg_));
    gen_ctx_ = gen_.make_context(B);
    eval_ctx_ = gen_.make_context(cfg_.eval_samples);
    fake_ctx_ = disc_.make_context(N);
    real_ctx_ = disc_.make_context(N);
    noise_ = Matrix<T>("noise", B, noise_dim);
    eval_noise_ = Matrix<T>("eval_noise", cfg_.eval_samples, noise_dim);
    eval_params_ = Matrix<T>("eval_params", cfg_.eval_samples, P);
    params_ = Matrix<T>("params", B, P);
    d_params_ = Matrix<T>("d_params", B, P);
    d_unit_ = Matrix<T>("d_unit", B, P);
    d_out_fake_g_ = Matrix<T>("d_out_fake_g", N, 1);
    d_out_fake_d_ = Matrix<T>("d_out_fake_d", N, 1);
    d_out_real_ = Matrix<T>("d_out_real", N, 1);
    d_events_ = Matrix<T>("d_events", N, D);
    d_weights_ = Vector<T>("d_weights", N);
    real_ = Matrix<T>("real_batch", N, D);
    gen_grads_host_ = Kokkos::create_mirror_view(Kokkos::HostSpace(), gen_.grads());
    gen_params_host_ = Kokkos::create_mirror_view(Kokkos::HostSpace(), gen_.params());
    if (!exchanger_.is_server()) {
      sim::ShardSpec spec;
      spec.fraction = cfg_.shard_fraction;
      shard_ = sim::EventShard<T>::from_data(workers_, data, spec, cfg_.data_seed);
    }
    if (cfg_.average_discriminator && !workers_.empty())
      disc_exchanger_ = std::make_unique<exchange::Exchanger<exchange::Allreduce, T>>(
          workers_, exchange::Config{}, Discriminator::num_params);
    synchronize_start();
  }

  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // ---- the whole run -------------------------------------------------------------------------
  // Trains from step 1 (or the step after the last checkpoint with cfg.resume) to cfg.steps,
  // writing metrics, checkpoints and the summary. Collective.
  nlohmann::json run() {
    const bool reporter = rank_ == reporter_;
    prepare_output_dir(comm_, cfg_.output_dir, reporter);
    if (exchanger_.is_server()) {  // a parameter-server master: serve until every worker is done
      auto p = gen_.params();
      auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
      exchanger_.serve(host.data(), [&](T* params, const T* grads) { server_apply(params, grads); });
      return {};
    }
    // Checkpoints hold the training ranks' state (parameter-server masters are not checkpointed).
    CheckpointStore store(cfg_.output_dir, workers_, cfg_.keep_checkpoints);
    long first = 1;
    if (cfg_.resume) {
      const long saved = store.load_latest(fingerprint(), [&](BinaryReader& r) { load_state(r); });
      if (saved >= 0) {
        first = saved + 1;
        last_checkpoint_ = saved;
        if (reporter) std::printf("resuming after step %ld from %s\n", saved, store.folder().c_str());
      } else if (reporter) {
        std::printf("no checkpoint in %s: starting from step 1\n", store.folder().c_str());
      }
    }
    collectively(workers_, [&] { if (reporter) open_metrics(first - 1); }, "the opening of metrics.csv");
    ProgressLine progress(cfg_.steps, cfg_.progress_every);
    const auto t_start = std::chrono::steady_clock::now();
    if (!cfg_.resume || first == 1) last_report_ = first - 1;  // else: restored with the checkpoint
    double t_last = 0;
    const long last = cfg_.stop_at > 0 ? std::min(cfg_.stop_at, cfg_.steps) : cfg_.steps;
    for (long step = first; step <= last; ++step) {
      if (before_step_) before_step_(*this, step);
      train_step(step);
      if (step % cfg_.metrics_every == 0 || step == cfg_.steps) {  // a --stop-at is an interruption: no extra row
        const double t = seconds_since(t_start);
        report(step, step - last_report_, t - t_last, progress);
        last_report_ = step;
        t_last = t;
      }
      if (cfg_.checkpoint_every > 0 && (step % cfg_.checkpoint_every == 0 || step == last)) {
        store.save(step, fingerprint(), [&](BinaryWriter& w) { save_state(w); });
        last_checkpoint_ = step;
      }
    }
    if constexpr (exchange::traits<Exchange>::has_server) exchanger_.worker_done();
    const double elapsed = seconds_since(t_start);
    return finish(first, last, elapsed);
  }

  // ---- one step ------------------------------------------------------------------------------
  void train_step(long step) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank_), static_cast<std::uint64_t>(step)};
    PhaseClock clock(cfg_.profile);

    // Generator: noise -> unit outputs u -> physics parameters p.
    random::fill_normal(noise_, random::CounterRng(keys, random::Purpose::generator_noise));
    const auto u = gen_.forward(gen_ctx_, noise_);
    scaling_.forward(u, params_);
    times_.generator += clock.lap();

    // Pipeline: p -> fake events (and weights, for weighting stages).
    const auto fake = pipeline_.forward(params_, cfg_.events_per_sample, keys);
    const int n = fake.count;
    times_.pipeline += clock.lap();

    // Discriminator on the fakes; generator loss; back through D to the events (no D gradients).
    const auto rows = std::make_pair(0, n);
    const auto o_fake = disc_.forward(fake_ctx_, Kokkos::subview(fake.events, rows, Kokkos::ALL));
    const T norm = static_cast<T>(n);
    const auto d_out_g = Kokkos::subview(d_out_fake_g_, rows, Kokkos::ALL);
    const auto d_events = Kokkos::subview(d_events_, rows, Kokkos::ALL);
    Vector<T> d_weights;
    if (fake.weights.extent(0) > 0) d_weights = Kokkos::subview(d_weights_, rows);
    double step_loss_g = n * Loss::template evaluate<T>(o_fake, loss::Label::real, fake.weights, norm, d_out_g, d_weights);
    // The discriminator's loss on the same fakes (its weights have not changed yet), so that one
    // sweep back through D gives both dL_G/d(events) and D's parameter gradients from the fakes.
    const auto d_out_fd = Kokkos::subview(d_out_fake_d_, rows, Kokkos::ALL);
    double step_loss_d = n * Loss::template evaluate<T>(o_fake, loss::Label::fake, fake.weights, norm, d_out_fd, Vector<T>());
    disc_.backward_split(fake_ctx_, d_out_g, d_events, d_out_fd, nn::ParamGrad::overwrite);
    times_.discriminator += clock.lap();

    // Back through the pipeline and the generator.
    pipeline_.vjp(d_events, d_weights, d_params_);
    scaling_.vjp(d_params_, d_unit_);
    times_.pipeline += clock.lap();
    gen_.backward(gen_ctx_, d_unit_, Matrix<T>(), nn::ParamGrad::overwrite);
    times_.generator += clock.lap();

    // Start the exchange of the generator's gradients (staged through host memory). A rank whose
    // gradient is not finite sends zeros instead (nothing poisons its peers or a master) and says so;
    // every rank learns who did by the end of the step and acts the same (finish_finiteness_vote).
    Kokkos::deep_copy(gen_grads_host_, gen_.grads());
    Kokkos::deep_copy(gen_params_host_, gen_.params());
    start_finiteness_vote();
    exchanger_.start(gen_grads_host_.data(), gen_params_host_.data(), step);
    times_.exchange += clock.lap();

    // The discriminator's real half, on this rank's real shard, while the exchange flies.
    shard_.draw(Kokkos::subview(real_, rows, Kokkos::ALL), n, random::CounterRng(keys, random::Purpose::data_indices));
    const auto o_real = disc_.forward(real_ctx_, Kokkos::subview(real_, rows, Kokkos::ALL));
    exchanger_.test();
    const auto d_out_real = Kokkos::subview(d_out_real_, rows, Kokkos::ALL);
    step_loss_d += n * Loss::template evaluate<T>(o_real, loss::Label::real, Vector<T>(), norm, d_out_real, Vector<T>());
    disc_.backward(real_ctx_, d_out_real, Matrix<T>(), nn::ParamGrad::accumulate);
    if (disc_exchanger_) {
      auto g = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), disc_.grads());
      disc_exchanger_->start(g.data(), nullptr, step);
      disc_exchanger_->finish();
      Kokkos::deep_copy(disc_.grads(), g);
    }
    times_.discriminator += clock.lap();

    // Finish the exchange, then both optimizer steps (unless a rank's gradient was not finite).
    exchanger_.finish();
    const bool skip = finish_finiteness_vote(step);
    Kokkos::deep_copy(gen_.grads(), gen_grads_host_);
    times_.exchange += clock.lap();
    // Linear decay of both learning rates (a function of the step only: a resumed run follows it too).
    const double progress = cfg_.steps > 1 ? double(step - 1) / double(cfg_.steps - 1) : 0.0;
    const double factor = 1.0 - (1.0 - cfg_.lr_final) * std::min(1.0, std::max(0.0, progress));
    gen_opt_->set_lr(static_cast<T>(cfg_.lr_generator * factor));
    disc_opt_->set_lr(static_cast<T>(cfg_.lr_discriminator * factor));
    if (!skip) gen_opt_->step(gen_.params(), gen_.grads());
    if constexpr (exchange::traits<Exchange>::may_replace_params) {
      Kokkos::deep_copy(gen_params_host_, gen_.params());
      exchanger_.after_update(gen_params_host_.data());
      Kokkos::deep_copy(gen_.params(), gen_params_host_);
    }
    if (!skip) disc_opt_->step(disc_.params(), disc_.grads());
    times_.optimizer += clock.lap();
    times_.total += clock.total();
    ++times_.steps;
    events_ += n;
    if (skip) return;  // a skipped step's losses are not part of the reported means
    loss_g_ += step_loss_g;
    loss_d_ += step_loss_d;
    loss_events_ += n;
  }

  // ---- estimates -----------------------------------------------------------------------------
  // Mean and spread of p over `samples` generator draws of this rank's generator (key: step).
  ParameterStats parameter_stats(long step, HostMatrix<T>* keep = nullptr) {
    const random::StepKeys keys{cfg_.seed, static_cast<std::uint64_t>(rank_), static_cast<std::uint64_t>(step)};
    random::fill_normal(eval_noise_, random::CounterRng(keys, random::Purpose::evaluation));
    const auto u = gen_.forward(eval_ctx_, eval_noise_);
    scaling_.forward(u, eval_params_);
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), eval_params_);
    if (keep) *keep = h;
    return column_stats(HostMatrix<T>(h));
  }

  // A function called on every training rank before each step of run() (custom logging, early
  // stopping by throwing a CollectiveError on every rank, fault injection in tests).
  void before_each_step(std::function<void(Trainer&, long step)> f) { before_step_ = std::move(f); }

  const PhaseTimes& phase_times() const { return times_; }
  Generator& generator() { return gen_; }
  Discriminator& discriminator() { return disc_; }
  const TrainerConfig& config() const { return cfg_; }
  bool is_reporter() const { return rank_ == reporter_; }

  nlohmann::json configuration_json() const {
    nlohmann::json j = cfg_;
    j["exchange"] = xcfg_;
    j["strategy"] = exchange::traits<Exchange>::name;
    return j;
  }

  static std::array<const char*, P> parameter_names() {
    std::array<const char*, P> names{};
    if constexpr (sim::has_names_v<Theory>) {
      names = Theory::names();
    } else {
      static const char* generic[] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11"};
      for (int j = 0; j < P; ++j) names[j] = j < 12 ? generic[j] : "p";
    }
    return names;
  }

 private:
  static double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  static typename optim::Adam<T>::Config adam_config(double lr, const TrainerConfig& cfg) {
    typename optim::Adam<T>::Config c;
    c.lr = static_cast<T>(lr);
    c.beta1 = static_cast<T>(cfg.beta1);
    c.beta2 = static_cast<T>(cfg.beta2);
    return c;
  }

  // Rank 0's weights and optimizer state go to every rank of its sync communicator.
  void synchronize_start() {
    MPI_Comm sc = exchanger_.sync_comm();
    broadcast_view(gen_.params(), sc);
    if (cfg_.average_discriminator) broadcast_view(disc_.params(), sc);
    broadcast_state(*gen_opt_, "generator.adam", sc);
  }

  // The parameter server's update: the master applies a pushed gradient with its own Adam.
  void server_apply(T* params, const T* grads) {
    auto p = gen_.params();
    auto g = gen_.grads();
    Kokkos::deep_copy(p, Kokkos::View<const T*, HostSpace, Kokkos::MemoryUnmanaged>(params, p.extent(0)));
    Kokkos::deep_copy(g, Kokkos::View<const T*, HostSpace, Kokkos::MemoryUnmanaged>(grads, g.extent(0)));
    gen_opt_->step(p, g);
    Kokkos::deep_copy(Kokkos::View<T*, HostSpace, Kokkos::MemoryUnmanaged>(params, p.extent(0)), p);
  }

  nlohmann::json fingerprint() const { return resume_fingerprint(configuration_json()); }

  // The finiteness vote of a step: each rank checks its generator gradient before it is sent and
  // zeroes it when it is not finite; an all-gather of the verdicts runs beside the exchange (it costs
  // one small collective per step, overlapped with the discriminator step). finish_ returns true when
  // this step's updates are to be skipped, and throws the same CollectiveError on every rank when the
  // run is to stop.
  void start_finiteness_vote() {
    my_bad_element_ = -1;
    const std::size_t n = gen_grads_host_.extent(0);
    for (std::size_t i = 0; i < n && my_bad_element_ < 0; ++i)
      if (!std::isfinite(gen_grads_host_(i))) {
        my_bad_element_ = static_cast<long>(i);
        my_bad_value_ = static_cast<double>(gen_grads_host_(i));
      }
    if (my_bad_element_ >= 0) Kokkos::deep_copy(gen_grads_host_, T(0));
    verdict_ = my_bad_element_ >= 0 ? 1 : 0;
    verdicts_.assign(static_cast<std::size_t>(workers_.size()), 0);
    MPI_Iallgather(&verdict_, 1, MPI_INT, verdicts_.data(), 1, MPI_INT, workers_, &vote_);
  }
  bool finish_finiteness_vote(long step) {
    watchdog::wait(workers_, &vote_, 1, "the finiteness vote of step " + std::to_string(step));
    std::string bad;
    for (std::size_t r = 0; r < verdicts_.size(); ++r)
      if (verdicts_[r]) bad += (bad.empty() ? "" : ",") + std::to_string(r);
    if (bad.empty()) return false;
    ++skipped_steps_;
    if (my_bad_element_ >= 0)
      std::fprintf(stderr, "rank %d: non-finite generator gradient at step %ld (element %ld = %g)\n", rank_, step,
                   my_bad_element_, my_bad_value_);
    if (cfg_.skip_nonfinite) {
      if (rank_ == reporter_)
        std::fprintf(stderr, "step %ld skipped on every rank: non-finite generator gradient on rank(s) %s\n", step,
                     bad.c_str());
      return true;
    }
    std::string advice = "no checkpoint was written yet";
    if (last_checkpoint_ > 0)
      advice = "the last checkpoint (step " + std::to_string(last_checkpoint_) + ", " + cfg_.output_dir +
               "/checkpoints) is intact: continue from it with --resume --skip-nonfinite to skip such steps, or "
               "start again with lower learning rates";
    throw CollectiveError("non-finite generator gradient at step " + std::to_string(step) + " on rank(s) " + bad +
                          "; the run stopped on every rank (" + advice + ")");
  }

  // A rank's whole state: the networks, their optimizers, and the loss sums since the last metrics
  // row (a checkpoint between two rows must not lose the steps it has seen since the previous one).
  void save_state(BinaryWriter& w) const {
    gen_.save(w, "generator");
    disc_.save(w, "discriminator");
    gen_opt_->save(w, "generator.adam");
    disc_opt_->save(w, "discriminator.adam");
    w.value("report.loss_d", loss_d_);
    w.value("report.loss_g", loss_g_);
    w.value("report.loss_events", loss_events_);
    w.value("report.last_step", last_report_);
  }
  void load_state(BinaryReader& r) {
    gen_.load(r, "generator");
    disc_.load(r, "discriminator");
    gen_opt_->load(r, "generator.adam");
    disc_opt_->load(r, "discriminator.adam");
    r.value("report.loss_d", loss_d_);
    r.value("report.loss_g", loss_g_);
    r.value("report.loss_events", loss_events_);
    r.value("report.last_step", last_report_);
  }

  std::vector<std::string> metric_columns() const {
    std::vector<std::string> c = {"step", "loss_d", "loss_g"};
    const auto names = parameter_names();
    for (int j = 0; j < P; ++j) c.push_back(std::string("mean_") + names[j]);
    for (int j = 0; j < P; ++j) c.push_back(std::string("std_") + names[j]);
    if constexpr (sim::has_truth_v<Theory>)
      for (int j = 0; j < P; ++j) c.push_back(std::string("residual_") + names[j]);
    c.insert(c.end(), {"drift", "steps_per_s", "events_per_s"});
    return c;
  }
  void open_metrics(long resume_step) {
    metrics_ = MetricsCsv(cfg_.output_dir + "/metrics.csv", metric_columns(), cfg_.resume ? resume_step : -1);
  }

  // Collective over the training ranks: global mean losses since the last report, drift, a metrics row
  // and the progress line on the reporter.
  void report(long step, long steps_since, double seconds, ProgressLine& progress) {
    double local[3] = {loss_d_, loss_g_, static_cast<double>(loss_events_)};
    double global[3] = {0, 0, 0};
    const std::string what = "the metrics reduction of step " + std::to_string(step);
    mpi::allreduce(local, global, 3, MPI_DOUBLE, MPI_SUM, workers_, what);
    loss_d_ = loss_g_ = 0;
    loss_events_ = 0;
    const double ld = global[2] > 0 ? global[0] / global[2] : 0, lg = global[2] > 0 ? global[1] / global[2] : 0;
    if (!std::isfinite(ld) || !std::isfinite(lg))
      throw CollectiveError("non-finite loss at step " + std::to_string(step) + " (L_D " + std::to_string(ld) +
                            ", L_G " + std::to_string(lg) + "): lower the learning rates or check the theory");
    auto params_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), gen_.params());
    const double drift = exchange::drift(workers_, params_host.data(), params_host.extent(0));
    // The reporter writes the row; a failed write stops the run on every rank.
    collectively(workers_, [&] { write_report(step, ld, lg, drift, seconds > 0 ? steps_since / seconds : 0, progress); },
                 what);
  }
  void write_report(long step, double ld, double lg, double drift, double rate, ProgressLine& progress) {
    if (rank_ != reporter_) return;
    const ParameterStats s = parameter_stats(step);
    std::vector<double> row = {static_cast<double>(step), ld, lg};
    row.insert(row.end(), s.mean.begin(), s.mean.end());
    row.insert(row.end(), s.std.begin(), s.std.end());
    if constexpr (sim::has_truth_v<Theory>) {
      const auto truth = Theory::truth();
      for (int j = 0; j < P; ++j) row.push_back((s.mean[j] - truth[j]) / truth[j]);
    }
    row.insert(row.end(), {drift, rate, rate * cfg_.param_samples * cfg_.events_per_sample * worker_count()});
    metrics_.row(row);
    if (progress.due(step)) {
      const auto names = parameter_names();
      progress.update(step, ld, lg, s.mean, std::vector<const char*>(names.begin(), names.end()), rate);
    }
  }

  int worker_count() const { return workers_.size(); }

  // The end of the run: the final estimate over many generator samples (and over the groups of an
  // ensemble), samples.csv and summary.json.
  nlohmann::json finish(long first, long last, double elapsed) {
    HostMatrix<T> samples;
    const ParameterStats mine = parameter_stats(cfg_.steps + 1, &samples);
    // Every training rank's estimate, for the ensemble spread and the drift picture.
    std::vector<double> all_means(static_cast<std::size_t>(worker_count()) * P);
    mpi::allgather(mine.mean.data(), P, MPI_DOUBLE, all_means.data(), P, MPI_DOUBLE, workers_,
                   "the gathering of the final estimates");
    const auto names = parameter_names();
    collectively(workers_, [&] {
      if (rank_ == reporter_) write_text_atomically(cfg_.output_dir + "/samples.csv", samples_csv(samples, names));
    }, "the writing of samples.csv");
    nlohmann::json summary;
    if (rank_ != reporter_) return summary;
    const long steps_run = last - first + 1;
    summary["problem"] = sim::theory_name<Theory>();
    summary["strategy"] = exchange::traits<Exchange>::name;
    summary["ranks"] = size_;
    summary["training_ranks"] = worker_count();
    summary["steps"] = last;
    summary["steps_planned"] = cfg_.steps;
    summary["steps_this_run"] = steps_run;
    summary["seconds"] = elapsed;
    summary["seconds_per_step"] = steps_run > 0 ? elapsed / steps_run : 0;
    summary["skipped_steps"] = skipped_steps_;
    summary["events_per_second"] = elapsed > 0 ? static_cast<double>(events_) * worker_count() / elapsed : 0;
    summary["parameters"]["names"] = std::vector<std::string>(names.begin(), names.end());
    summary["parameters"]["mean"] = mine.mean;
    summary["parameters"]["std"] = mine.std;
    summary["parameters"]["samples"] = static_cast<int>(samples.extent(0));
    if constexpr (sim::has_truth_v<Theory>) {
      const auto truth = Theory::truth();
      summary["parameters"]["truth"] = std::vector<double>(truth.begin(), truth.end());
      summary["parameters"]["residual"] = residuals(mine.mean, truth);
    }
    summary["rank_estimates"] = all_means;
    if constexpr (std::is_same_v<Exchange, exchange::Ensemble>) {
      // The members' estimates (each group's first rank) and their spread: the ensemble's uncertainty.
      const int g = exchanger_.group_size();
      const ParameterStats e = ensemble_stats(all_means, worker_count(), g, P);
      summary["ensemble"] = {{"members", worker_count() / g}, {"mean", e.mean}, {"spread", e.std}};
      if constexpr (sim::has_truth_v<Theory>) summary["ensemble"]["residual"] = residuals(e.mean, Theory::truth());
    }
    summary["configuration"] = configuration_json();
    return summary;
  }

  MPI_Comm comm_;
  Comm workers_;
  int rank_ = 0, size_ = 1, reporter_ = 0;
  TrainerConfig cfg_;
  exchange::Config xcfg_;
  Pipeline pipeline_;
  sim::ParameterScaling<T, P> scaling_;
  std::array<double, P> lower_, upper_;
  Generator gen_;
  Discriminator disc_;
  std::unique_ptr<optim::Adam<T>> gen_opt_, disc_opt_;
  exchange::Exchanger<Exchange, T> exchanger_;
  std::unique_ptr<exchange::Exchanger<exchange::Allreduce, T>> disc_exchanger_;
  sim::EventShard<T> shard_;
  typename Generator::Context gen_ctx_, eval_ctx_;
  typename Discriminator::Context fake_ctx_, real_ctx_;
  Matrix<T> noise_, eval_noise_, eval_params_, params_, d_params_, d_unit_;
  Matrix<T> d_out_fake_g_, d_out_fake_d_, d_out_real_, d_events_, real_;
  Vector<T> d_weights_;
  typename Vector<T>::HostMirror gen_grads_host_, gen_params_host_;
  MetricsCsv metrics_;
  PhaseTimes times_;
  double loss_d_ = 0, loss_g_ = 0;  // sums of (mean loss x events) since the last report
  long loss_events_ = 0;
  long events_ = 0;
  long last_checkpoint_ = 0;
  long last_report_ = 0;  // the step of the last metrics row
  std::function<void(Trainer&, long)> before_step_;  // the step of the newest checkpoint written or resumed from (0: none)
  // The finiteness vote of the current step.
  MPI_Request vote_ = MPI_REQUEST_NULL;
  int verdict_ = 0;
  std::vector<int> verdicts_;
  long my_bad_element_ = -1, skipped_steps_ = 0;
  double my_bad_value_ = 0;
};

}  // namespace sagips::train

namespace sagips {
using train::Trainer;
}  // namespace sagips
