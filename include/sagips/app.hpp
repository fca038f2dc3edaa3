#pragma once
// sagips::App: a whole inverse-problem program, from the command line to the answer, in one call.
//
//   using Pipeline = sagips::sim::Pipeline<MyTheory, sagips::sim::InverseCdf1D<128>, sagips::sim::GaussianSmearing>;
//   int main(int argc, char** argv) {
//     sagips::App<Pipeline> app("my-solver: the mass and width of a resonance");
//     double resolution = 0.01;
//     app.cli().add_option("--resolution", resolution, "detector resolution");     // your own options
//     return app.run(argc, argv, [&] { return Pipeline(MyTheory{}, {}, {resolution}); });
//   }
//
// What it gives a program: MPI and Kokkos; the standard command line (every trainer and exchange
// option, --strategy, --loss and each network's optimizer chosen at run time among the built-ins (or
// the lists App is given: App<Pipeline, G, D, Strategies, Losses, Optimizers>), --config FILE, --data FILE or
// generated data, --fit/--no-fit, --output), checked on every rank (an exchange option the chosen
// strategy does not read is refused); the real data read and checked (or generated from the theory's
// truth); the trainer (progress line, metrics.csv, checkpoints, --resume); the maximum-likelihood fit
// of the same events beside the GAN; a printed table; summary.json. Every rank gets the typed result
// (result()).
//
// run() is five public steps, which a program that wants its own loop (or something between them)
// calls itself, on every rank, in this order:
//
//   sagips::run_main(argc, argv, [&](sagips::Environment& env) {
//     if (auto code = app.parse(env, argc, argv)) return *code;       // the command line
//     Pipeline pipeline = ...;
//     auto data = app.load(env, pipeline);                            // the real events
//     App::Trainer trainer(env.comm(), app.config(), app.exchange_config(), pipeline, data);
//     app.train(env, trainer);                                        // or your own loop of train_step()
//     app.fit(env, pipeline, data);                                   // the MLE, where valid
//     return app.report(trainer);                                     // table, summary.json, samples.csv
//   });
//
// The theory must state truth() to generate data (without --data), lower_bounds()/upper_bounds()
// (the generator's range and the fit's box), and may state names(). Real data can be generated with
// another pipeline than the training one (a finer sampler, so that the data follow the density
// itself, not the training grid's model of it): real_data_pipeline(). A weighted training pipeline
// (a stage with `weighted = true`: events carry weights, e.g. an efficiency) trains on real events
// from --data, or from an unweighted pipeline given to real_data_pipeline() (real events are never
// weighted: a detector keeps or loses them).

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sagips/app/command_line.hpp"
#include "sagips/app/data.hpp"
#include "sagips/app/fit.hpp"
#include "sagips/app/result.hpp"
#include "sagips/core/views.hpp"
#include "sagips/exchange.hpp"
#include "sagips/fit.hpp"
#include "sagips/loss.hpp"
#include "sagips/objective.hpp"
#include "sagips/options/cli.hpp"
#include "sagips/runtime/environment.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/folder_lock.hpp"
#include "sagips/runtime/signals.hpp"
#include "sagips/runtime/utf8.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/sim.hpp"
#include "sagips/train.hpp"
#include "sagips/version.hpp"

namespace sagips {

// Where the real events come from.
struct DataOptions {
  std::string file;            // a .npy of events [N, dim] (or [N] for dim 1); empty: generate them
  long generated = 1000000;    // events generated from the theory's truth without a file
};

template <class Pipeline, class Generator = train::DefaultGenerator<Pipeline>,
          class Discriminator = train::DefaultDiscriminator<Pipeline>, class Strategies = exchange::Builtin,
          class Losses = loss::Builtin, class Optimizers = optim::Builtin, class Objectives = objective::Builtin>
class App {
 public:
  using Theory = typename Pipeline::theory_type;
  using T = typename Pipeline::value_type;
  static constexpr int P = Pipeline::num_params;
  static constexpr int D = Pipeline::event_dim;
  using Trainer = train::Trainer<Pipeline, Generator, Discriminator, Losses, Strategies, Optimizers, Objectives>;
  using Result = app::Result;
  static_assert(sim::has_bounds_v<Theory>,
                "sagips::App: the theory must state lower_bounds() and upper_bounds() (the generator's range)");

  // The defaults a physicist wants first: one model per rank (--models 0), each on its own bootstrap
  // resample, so the answer comes with an uncertainty; --models N makes N models of several ranks,
  // each trained by --strategy (the SAGIPS asynchronous ring unless told otherwise).
  explicit App(std::string description) : cli_(std::move(description)) {
    train_.output_dir = "sagips-out";
    train_.models = 0;
    xcfg_.strategy = "async-ring";
    // A program built with one strategy, loss or optimizer runs that one: its --help and
    // summary.json say so.
    const auto strategies = exchange::strategy_names<Strategies>();
    if (strategies.size() == 1) xcfg_.strategy = strategies.front();
    const auto losses = loss_names();
    if (losses.size() == 1) train_.loss = losses.front();
    const auto optimizers = Optimizers::names();
    if (optimizers.size() == 1) train_.generator_optimizer = train_.discriminator_optimizer = optimizers.front();
  }

  CLI::App& cli() { return cli_; }                       // add your own options before run()
  train::TrainerConfig& defaults() { return train_; }     // change the defaults before run()
  exchange::Config& exchange_defaults() { return xcfg_; }
  DataOptions& data_defaults() { return data_; }
  bool& fit_default() { return fit_; }
  // After parse(): the configuration the command line made.
  const train::TrainerConfig& config() const { return train_; }
  const exchange::Config& exchange_config() const { return xcfg_; }

  // Real data (without --data) generated by this pipeline instead of the training one.
  template <class MakeRealPipeline>
  App& real_data_pipeline(MakeRealPipeline make) {
    using RealPipeline = decltype(make());
    static_assert(!RealPipeline::weighted,
                  "sagips::App::real_data_pipeline: real events are unweighted (a detector keeps or loses an event): "
                  "give a pipeline whose stages drop events, e.g. Acceptance<Eff, AcceptanceMode::rejection>");
    generate_ = [make](const std::array<double, P>& truth, long n, std::uint64_t seed, bool truth_level) {
      auto pipe = make();
      if (!truth_level) return HostMatrix<T>(sim::generate_events(pipe, truth, n, seed));
      auto bare = pipe.truth_level();
      return HostMatrix<T>(sim::generate_events(bare, truth, n, seed));
    };
    return *this;
  }

  // The whole program; returns the exit code (0, 1 after an error reported on every rank, or the
  // command line's own code for --help or a bad option). make_pipeline() is called after the command
  // line is parsed, so it may read your options.
  //
  // The answer comes first: the table is printed and summary.json written before samples.csv, and a
  // file that cannot be written is reported (exit 1) only after everything else was tried. A stop
  // signal ends the run after the next step with a checkpoint (exit signals::exit_code).
  template <class MakePipeline>
  int run(int argc, char** argv, MakePipeline&& make_pipeline) {
    return run_main(argc, argv, [&](Environment& env) {
      if (const auto code = parse(env, argc, argv)) return *code;
      const Pipeline pipeline = make_pipeline();
      if constexpr (!Pipeline::weighted)  // the real events: from a fresh pipeline, as the program makes it
        if (!generate_) real_data_pipeline([&make_pipeline] { return make_pipeline(); });
      const HostMatrix<T> data = load(env, pipeline);
      Trainer trainer(env.comm(), train_, xcfg_, pipeline, data);
      train(env, trainer);
      fit(env, pipeline, data);
      return report(trainer);
    });
  }

  // ---- the steps of run(), each collective ------------------------------------------------------

  // The command line; an exit code when the program should stop (--help, bad input: said on rank 0).
  // From here a stop signal ends the run after the next step with a checkpoint (exit
  // signals::exit_code); the output folder is taken (one run per folder: a second one is refused
  // now, not after loading its data).
  std::optional<int> parse(Environment& env, int argc, char** argv) {
    stop_requests_ = std::make_unique<signals::StopRequests>();  // honoured from the first step on
    program_ = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "sagips";
    if (const auto code = parse_command_line(env, argc, argv)) return code;
    lock_ = train::prepare_output_dir(env.comm(), train_.output_dir, env.is_root());
    return std::nullopt;
  }

  // The real events: the --data file (read by rank 0, checked: shape, finite values, inside the
  // pipeline's reach; broadcast) or generated from the theory's truth (--real-events of them) by
  // real_data_pipeline()'s pipeline, else (an unweighted one) by this one.
  HostMatrix<T> load(Environment& env, const Pipeline& pipeline) {
    HostMatrix<T> data;
    if (!data_.file.empty()) {
      data = app::read_events<T, D>(env.comm(), data_.file, pipeline.support());
    } else {
      collectively(env.comm(), [&] { data = generated(pipeline, false); }, "the generation of the real data");
    }
    events_ = static_cast<long>(data.extent(0));
    return data;
  }

  // The GAN: a line saying what runs, then the trainer's whole run (checkpoints, --resume, stop signals).
  const train::TrainingResult& train(Environment& env, Trainer& trainer) {
    if (env.is_root()) print_banner(env, trainer);
    data_identity_ = trainer.data_identity();
    result_.gan = trainer.train();
    return result_.gan;
  }

  // The maximum-likelihood fit of the same events, with --fit (the default) where it is valid
  // (fit_skipped()): the generated events before the detector stages, or the file's events inside
  // the theory's domain.
  const std::optional<fit::FitResult>& fit(Environment& env, const Pipeline& pipeline, HostMatrix<const T> data) {
    result_.mle_skipped = fit_ ? fit_skipped() : "";
    if (fit_ && result_.mle_skipped.empty()) fit_events(env, pipeline, data);
    return result_.mle;
  }

  // The answer: the table printed and summary.json written by the reporting rank, then samples.csv;
  // 0, or 1 (on every rank) when an output could not be written.
  int report(Trainer& trainer) {
    std::string failed;  // the outputs that could not be written
    if (trainer.is_reporter()) {
      app::print(result_);
      try {
        train::write_text_atomically(train_.output_dir + "/summary.json", app::json_text(summary()));
        std::printf("wrote %s/summary.json\n", utf8::escape_invalid(train_.output_dir).c_str());
      } catch (const std::exception& e) {
        failed = e.what();
      }
    }
    try {
      trainer.write_samples();
    } catch (const CollectiveError& e) {
      if (trainer.is_reporter()) failed += (failed.empty() ? "" : "; ") + std::string(e.what());
    }
    check_all(trainer.communicator(), failed, "the report of the outputs");
    return 0;
  }

  const Result& result() const { return result_; }

  // summary.json: the GAN's result, the real data it saw (with their checksum), the fit's result and
  // the versions of sagips, Kokkos and MPI.
  nlohmann::json summary() const {
    nlohmann::json j = result_.gan.to_json();
    j["data"] = {{"file", data_.file.empty() ? nlohmann::json() : nlohmann::json(utf8::escape_invalid(data_.file))},
                 {"events", events_},
                 {"generated", data_.file.empty()},
                 {"checksum", data_identity_.value("checksum", "")}};
    for (const auto& [name, version] : versions()) j["versions"][name] = utf8::escape_invalid(version);
    if (result_.mle) j["mle"] = app::mle_json(result_);
    if (!result_.mle_skipped.empty()) j["mle_skipped"] = result_.mle_skipped;
    return j;
  }

  // Why the fit would not run on these events (empty: it is valid). The fit reads events as the
  // theory's own: generated events before the detector stages, or a file's events when the pipeline
  // has no stages. A file's events went through a detector the fit does not fold in, so there the
  // fit runs only when --fit is given explicitly.
  std::string fit_skipped() const {
    if (data_.file.empty() || Pipeline::num_stages == 0 || cli_.count("--fit") > 0) return "";
    return "the maximum-likelihood fit is off: the file's events went through the pipeline's detector stages, which "
           "the fit does not fold in (--fit runs it anyway, on the events as they are)";
  }

 private:
  std::optional<int> parse_command_line(Environment& env, int argc, char** argv) {
    // The options the program added itself (before run()): they shape its pipeline, so they are
    // recorded in the configuration, fingerprinted for --resume and written to summary.json.
    std::vector<const CLI::Option*> own;
    for (const CLI::Option* opt : cli_.get_options())
      if (opt != cli_.get_help_ptr() && opt != cli_.get_help_all_ptr() && !opt->get_lnames().empty()) own.push_back(opt);
    cli_.set_version_flag("--version", app::version_text);
    options::add_options(cli_, train_);
    options::add_options(cli_, xcfg_);
    // The run-time choices: the names this program was built with, in any case (and where the old
    // "ensemble" went: a transform added later runs first).
    cli_.get_option("--strategy")
        ->transform(CLI::IsMember(exchange::strategy_names<Strategies>(), CLI::ignore_case))
        ->transform(CLI::Validator(
            [](std::string& text) { return text == "ensemble" ? exchange::detail::old_ensemble_hint : ""; }, ""))
        ->description("gradient exchange strategy");
    cli_.get_option("--loss")->transform(CLI::IsMember(loss_names(), CLI::ignore_case))->description("GAN loss");
    std::vector<std::string> objectives = Objectives::names();
    objectives.insert(objectives.begin(), objective::gan);
    cli_.get_option("--objective")->transform(CLI::IsMember(objectives, CLI::ignore_case));
    for (const char* flag : {"--generator-optimizer", "--discriminator-optimizer"})
      cli_.get_option(flag)->transform(CLI::IsMember(Optimizers::names(), CLI::ignore_case));
    auto* data = "Data";
    cli_.add_option("--data", data_.file, "real events as a .npy file ([N, dim] float32/float64; [N] for dim 1); "
                                          "default: generate them from the theory's truth")
        ->group(data);
    cli_.add_option("--real-events", data_.generated, "real events to generate when --data is not given")
        ->transform(cli::integer(options::IntRange<long>{1, 2147483647L}))
        ->capture_default_str()
        ->group(data);
    cli_.add_flag("--fit,!--no-fit", fit_,
                  "the maximum-likelihood fit of the same events, beside the GAN (by default not on a --data file "
                  "when the pipeline has detector stages: the fit does not fold them in)")
        ->disable_flag_override()
        ->capture_default_str()
        ->group("Output");
    cli_.add_flag("--fit-profile", profile_,
                  "beside the fit, each parameter's profile-likelihood 68% and 95% intervals and the estimate's place "
                  "in them (about 30 fits of the other parameters per parameter)")
        ->group("Output");
    try {
      cli_.parse(argc, argv);
      if (profile_ && !fit_) throw CLI::ValidationError("--fit-profile", "profiles the fit's likelihood: drop --no-fit");
      app::refuse_unread_exchange_options<Strategies>(cli_, xcfg_);
    } catch (const CLI::ParseError& e) {
      return env.is_root() ? cli_.exit(e) : e.get_exit_code();
    }
    watchdog::set_timeout(xcfg_.timeout_seconds);  // from here on every collective is watched
    train_.program.clear();
    for (const CLI::Option* opt : own) train_.program[app::key_of(*opt)] = app::option_value(*opt);
    if (data_.file.empty()) train_.program["real_events"] = std::to_string(data_.generated);
    return std::nullopt;
  }

  static std::vector<std::string> loss_names() { return loss::choice_names<Losses>(); }

  void print_banner(Environment& env, const Trainer& trainer) const {
    const train::Membership& m = trainer.membership();
    const std::string exchange = m.ranks == 1 ? std::string("nothing to exchange")
                                              : std::string("strategy ") + trainer.exchanger().name() +
                                                    ", gradients from " + trainer.exchanger().path();
    const auto& c = trainer.config();
    const std::string against = c.objective == objective::gan ? "loss " + c.loss : "objective " + c.objective;
    std::printf("%s: %d rank(s) on %s, %ld real events, %d model(s) of %d rank(s) (%s), %s\n", program_.c_str(),
                env.size(), env.execution_space().c_str(), events_, m.count, m.ranks, exchange.c_str(),
                against.c_str());
  }

  // --real-events events at the theory's truth (truth_level: the same ones before the detector stages),
  // by real_data_pipeline()'s pipeline, else by this one when it does not weight its events.
  HostMatrix<T> generated(const Pipeline& pipeline, bool truth_level) const {
    if constexpr (!sim::has_truth_v<Theory>) {
      throw Error("the theory states no truth(): give the real events with --data FILE");
    } else {
      if (generate_) return generate_(Theory::truth(), data_.generated, train_.data_seed, truth_level);
      if constexpr (Pipeline::weighted) {
        throw Error("the training pipeline weights its events, so it cannot generate the real ones: give them "
                    "with --data FILE (or the program an unweighted pipeline for them: real_data_pipeline())");
      } else {
        Pipeline pipe = pipeline;  // (App keeps no pipeline: its views must not outlive Kokkos)
        if (!truth_level) return HostMatrix<T>(sim::generate_events(pipe, Theory::truth(), data_.generated, train_.data_seed));
        auto bare = pipe.truth_level();
        return HostMatrix<T>(sim::generate_events(bare, Theory::truth(), data_.generated, train_.data_seed));
      }
    }
  }

  // The traditional baseline on the same events (app/fit.hpp): the generated events before the
  // detector stages, or the file's events inside the theory's domain (detector effects not folded in).
  void fit_events(Environment& env, const Pipeline& pipeline, HostMatrix<const T> data) {
    std::vector<double> mine;
    if (data_.file.empty()) {
      mine = app::events_for_fit<Theory, D>(generated(pipeline, true), env.rank(), env.size());
      result_.mle_sample = "the same generated events before the detector stages";
    } else {
      mine = app::events_for_fit<Theory, D>(data, env.rank(), env.size());
      result_.mle_sample = "the file's events inside the domain (detector effects not folded in)";
    }
    const auto box = Theory::domain();
    const fit::UnbinnedNll<Theory> nll(pipeline.theory(), mine, box.lower, box.upper, env.comm());
    std::array<double, P> start{};
    const auto lo = Theory::lower_bounds(), hi = Theory::upper_bounds();
    for (int j = 0; j < P; ++j) start[j] = 0.5 * (lo[j] + hi[j]);
    result_.mle = fit::minimize(nll, start, lo, hi);
    app::place_in_likelihood(nll, result_, lo, hi);
    if (profile_) app::profile_parameters(nll, result_, lo, hi);
  }

  CLI::App cli_;
  train::TrainerConfig train_;
  exchange::Config xcfg_;
  DataOptions data_;
  bool fit_ = true;
  bool profile_ = false;
  std::unique_ptr<signals::StopRequests> stop_requests_;  // from parse() on
  std::string program_;     // argv[0]'s file name, for the banner
  files::FolderLock lock_;  // one run per output folder, from parse() on
  long events_ = 0;  // real events read or generated
  nlohmann::json data_identity_;  // their events and checksum, as the trainer agreed them
  // Real data (or, truth_level, the same events before the detector stages) at given parameters.
  std::function<HostMatrix<T>(const std::array<double, P>&, long, std::uint64_t, bool truth_level)> generate_;
  Result result_;
};

}  // namespace sagips
