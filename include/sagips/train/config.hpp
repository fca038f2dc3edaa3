#pragma once
// The trainer's configuration: one struct with the defaults, filled from the command line (CLI11) and
// optionally a TOML/INI file (--config), written into summary.json and checkpoints.
//
// Two kinds of options: those that define the run (learning rates, batch shape, seeds, exchange
// schedule, ...) must be the same when a run resumes from a checkpoint; the others (how many steps in
// total, where and how often to write, how long an exchange may stall) may change.
// resume_fingerprint() holds the former.
//
// validate() says what is wrong with a configuration; the command line and the config file refuse
// the same values at parse time (core/cli.hpp), naming the option and the allowed range.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sagips/core/cli.hpp"
#include "sagips/core/config_file.hpp"
#include "sagips/core/utf8.hpp"

namespace sagips::train {

struct TrainerConfig {
  // -- the run
  long steps = 2500;              // training steps (each: one generator and one discriminator update)
  int param_samples = 32;         // B: parameter sets drawn from the generator per step and rank
  int events_per_sample = 128;     // M: events simulated per parameter set
  double lr_generator = 2e-4;
  double lr_discriminator = 1e-3;
  double lr_final = 0.05;         // learning rates decay linearly to this fraction by the last step (1: constant)
  double beta1 = 0.5;
  double beta2 = 0.999;
  // Each network's optimizer, by name among the trainer's (optim::Builtin: adam, sgd); sgd's momentum.
  std::string generator_optimizer = "adam";
  std::string discriminator_optimizer = "adam";
  double momentum = 0.9;
  std::string loss = "least-squares";  // by name, when the trainer's loss is a run-time choice (loss::Builtin)
  // The generator's noise: its input is standard normal noise times this. 0 (the default) makes the
  // generator a point estimate, which removes the bias a spread generator's mixture puts on its mean
  // (docs/results.md); 1 is the SAGIPS paper's generator.
  double generator_noise = 0;
  double ema = 0.995;             // decay of the generator's weight average, which the estimates read (0: none)
  int disc_steps = 1;             // discriminator updates per generator update (the extra ones on fresh events)
  bool average_discriminator = false;  // also average the discriminator's gradients over a model's ranks
  bool poll_each_layer = false;   // drive the exchange between the discriminator's layers too (default: row blocks)
  std::uint64_t seed = 1;              // networks' initialisation and every random stream of training
  // Independent models: the ranks split into this many equal groups of consecutive ranks, each one
  // model (its own initial weights, its own bootstrap resample) trained by the exchange strategy over
  // its ranks; their spread is the uncertainty. 0: one model per rank.
  int models = 1;
  // -- the data
  std::uint64_t data_seed = 12345;     // the data's shuffle into shards, bootstraps, generated data
  double shard_fraction = 0;      // fraction of the data each rank of a model holds; 0: 1/ranks (all data, disjoint)
  bool bootstrap = true;          // several independent models each train on their own resample of the data
  // -- outputs (may change on resume)
  std::string output_dir = "sagips-out";
  long metrics_every = 50;
  long progress_every = 100;
  long checkpoint_every = 1000;
  int keep_checkpoints = 2;
  int eval_samples = 1000;        // generator samples behind each parameter mean and spread
  bool resume = false;
  long stop_at = 0;               // stop after this step as if interrupted (0: run to the end)
  bool profile = false;           // fence between phases to time them (bench_step)
  bool skip_nonfinite = false;    // a non-finite generator gradient skips the step on every rank (default: stop)
  double max_skipped = 0.1;       // with skip_nonfinite: the run stops once more than this fraction of its steps were skipped
  // -- the program's own settings that shape the problem (App: the data's source and your options):
  // fingerprinted for --resume like every run-shaping option, written to summary.json
  nlohmann::json program = nlohmann::json::object();
};

inline void to_json(nlohmann::json& j, const TrainerConfig& c) {
  j = nlohmann::json{{"steps", c.steps},
                     {"param_samples", c.param_samples},
                     {"events_per_sample", c.events_per_sample},
                     {"lr_generator", c.lr_generator},
                     {"lr_discriminator", c.lr_discriminator},
                     {"lr_final", c.lr_final},
                     {"beta1", c.beta1},
                     {"beta2", c.beta2},
                     {"generator_optimizer", c.generator_optimizer},
                     {"discriminator_optimizer", c.discriminator_optimizer},
                     {"momentum", c.momentum},
                     {"loss", c.loss},
                     {"generator_noise", c.generator_noise},
                     {"ema", c.ema},
                     {"disc_steps", c.disc_steps},
                     {"average_discriminator", c.average_discriminator},
                     {"poll_each_layer", c.poll_each_layer},
                     {"seed", c.seed},
                     {"models", c.models},
                     {"data_seed", c.data_seed},
                     {"shard_fraction", c.shard_fraction},
                     {"bootstrap", c.bootstrap},
                     {"output_dir", c.output_dir},
                     {"metrics_every", c.metrics_every},
                     {"progress_every", c.progress_every},
                     {"checkpoint_every", c.checkpoint_every},
                     {"keep_checkpoints", c.keep_checkpoints},
                     {"eval_samples", c.eval_samples},
                     {"resume", c.resume},
                     {"stop_at", c.stop_at},
                     {"profile", c.profile},
                     {"skip_nonfinite", c.skip_nonfinite},
                     {"max_skipped", c.max_skipped}};
  if (!c.program.empty()) j["program"] = c.program;
  j["output_dir"] = utf8::escape_invalid(c.output_dir);  // any bytes may name a folder; JSON holds UTF-8
}

// The options a resumed run must share with the run that wrote the checkpoint. `config` is the
// trainer's configuration record: these fields, "strategy", and the exchange settings under
// "exchange" (of which only the stall timeout may change: it decides when a hung job is aborted,
// not what the run computes).
inline nlohmann::json resume_fingerprint(const nlohmann::json& config) {
  if (!config.is_object()) return config;  // not a trainer's record (a test's, a foreign program's): as is
  nlohmann::json f = config;
  for (const char* free : {"steps", "output_dir", "metrics_every", "progress_every", "checkpoint_every",
                           "keep_checkpoints", "eval_samples", "resume", "stop_at", "profile",
                           "skip_nonfinite", "max_skipped", "poll_each_layer"})
    f.erase(free);
  if (f.contains("exchange") && f["exchange"].is_object()) f["exchange"].erase("timeout_seconds");
  return f;
}

namespace detail {
// The allowed values, shared by the options and validate().
inline const cli::IntRange<long> at_least_one_long = cli::at_least(1L);
inline const cli::IntRange<long> at_least_zero_long = cli::at_least(0L);
inline const cli::IntRange<int> at_least_one_int = cli::at_least(1);
inline const cli::IntRange<int> at_least_zero_int = cli::at_least(0);
inline const cli::IntRange<std::uint64_t> any_seed{};
inline const cli::RealRange learning_rate_range = cli::positive();
inline const cli::RealRange fraction_range = cli::closed(0.0, 1.0);
inline const cli::RealRange adam_beta_range = cli::half_open(0.0, 1.0);  // 1 divides by zero in Adam's bias correction
inline const cli::RealRange momentum_range = cli::half_open(0.0, 1.0);
inline const cli::RealRange noise_range = cli::closed(0.0, 10.0);
inline const cli::RealRange ema_range = cli::half_open(0.0, 1.0);
inline const cli::RealRange skipped_range = cli::closed(0.0, 1.0);

inline std::string named_problem(const char* name, const std::string& problem) {
  return problem.empty() ? "" : std::string(name) + ": " + problem;
}
}  // namespace detail

// The first problem with `c` (empty: none). Names are the fields' (as in summary.json).
inline std::string validate(const TrainerConfig& c) {
  using cli::check_integer;
  using cli::check_real;
  namespace d = detail;
  for (const std::string& problem :
       {d::named_problem("steps", check_integer(c.steps, d::at_least_one_long)),
        d::named_problem("param_samples", check_integer(c.param_samples, d::at_least_one_int)),
        d::named_problem("events_per_sample", check_integer(c.events_per_sample, d::at_least_one_int)),
        d::named_problem("lr_generator", check_real(c.lr_generator, d::learning_rate_range)),
        d::named_problem("lr_discriminator", check_real(c.lr_discriminator, d::learning_rate_range)),
        d::named_problem("lr_final", check_real(c.lr_final, d::fraction_range)),
        d::named_problem("beta1", check_real(c.beta1, d::adam_beta_range)),
        d::named_problem("beta2", check_real(c.beta2, d::adam_beta_range)),
        d::named_problem("momentum", check_real(c.momentum, d::momentum_range)),
        d::named_problem("generator_noise", check_real(c.generator_noise, d::noise_range)),
        d::named_problem("ema", check_real(c.ema, d::ema_range)),
        d::named_problem("max_skipped", check_real(c.max_skipped, d::skipped_range)),
        d::named_problem("disc_steps", check_integer(c.disc_steps, d::at_least_one_int)),
        d::named_problem("models", check_integer(c.models, d::at_least_zero_int)),
        d::named_problem("shard_fraction", check_real(c.shard_fraction, d::fraction_range)),
        d::named_problem("metrics_every", check_integer(c.metrics_every, d::at_least_one_long)),
        d::named_problem("progress_every", check_integer(c.progress_every, d::at_least_one_long)),
        d::named_problem("checkpoint_every", check_integer(c.checkpoint_every, d::at_least_zero_long)),
        d::named_problem("keep_checkpoints", check_integer(c.keep_checkpoints, d::at_least_one_int)),
        d::named_problem("eval_samples", check_integer(c.eval_samples, d::at_least_one_int)),
        d::named_problem("stop_at", check_integer(c.stop_at, d::at_least_zero_long))})
    if (!problem.empty()) return problem;
  if (c.output_dir.empty()) return "output_dir: empty (give a folder, e.g. .)";
  // A step's fake and real batches hold param_samples * events_per_sample events, indexed with int.
  const long long batch = static_cast<long long>(c.param_samples) * c.events_per_sample;
  if (batch > INT_MAX)
    return "param_samples * events_per_sample = " + std::to_string(c.param_samples) + " * " +
           std::to_string(c.events_per_sample) + " = " + std::to_string(batch) +
           " events per step and rank: at most " + std::to_string(INT_MAX) + " (the kernels index events with int)";
  if (c.loss.empty()) return "loss: empty";
  return "";
}

namespace detail {
// "unknown loss 'x' (choose a, b)" when value is not among names; empty when it is.
inline std::string not_among(const char* what, const std::string& value, const std::vector<std::string>& names) {
  if (std::find(names.begin(), names.end(), value) != names.end()) return "";
  std::string problem = std::string("unknown ") + what + " '" + value + "' (choose";
  for (std::size_t i = 0; i < names.size(); ++i) problem += (i ? ", " : " ") + names[i];
  return problem + ")";
}
}  // namespace detail

// validate(c), and c.loss one of `losses`, each network's optimizer one of `optimizers` (the names a
// trainer was built with; no list: not checked).
inline std::string validate(const TrainerConfig& c, const std::vector<std::string>& losses,
                            const std::vector<std::string>& optimizers = {}) {
  std::string problem = validate(c);
  if (problem.empty()) problem = detail::not_among("loss", c.loss, losses);
  if (problem.empty() && !optimizers.empty())
    problem = detail::named_problem("generator_optimizer",
                                    detail::not_among("optimizer", c.generator_optimizer, optimizers));
  if (problem.empty() && !optimizers.empty())
    problem = detail::named_problem("discriminator_optimizer",
                                    detail::not_among("optimizer", c.discriminator_optimizer, optimizers));
  return problem;
}

// Adds every option to a CLI11 app, each documented in --help with its default, and --config FILE.
// Every value is checked at parse time (core/cli.hpp), and validate() runs once all are in.
inline void add_options(CLI::App& app, TrainerConfig& c) {
  namespace d = detail;
  cli::add_config_option(app, "--config", "read options from a TOML or INI file (command-line flags win)");
  // summary.json's names for the options whose flag says it differently.
  cli::config_file(app).add_key("output_dir", "output");
  auto* run = "Training run";
  app.add_option("--steps", c.steps, "training steps")
      ->transform(cli::integer(d::at_least_one_long))->capture_default_str()->group(run);
  app.add_option("--param-samples", c.param_samples, "parameter sets drawn from the generator per step and rank")
      ->transform(cli::integer(d::at_least_one_int))->capture_default_str()->group(run);
  app.add_option("--events-per-sample", c.events_per_sample, "events simulated per parameter set")
      ->transform(cli::integer(d::at_least_one_int))->capture_default_str()->group(run);
  app.add_option("--lr-generator", c.lr_generator, "generator learning rate")
      ->transform(cli::real(d::learning_rate_range))->capture_default_str()->group(run);
  app.add_option("--lr-discriminator", c.lr_discriminator, "discriminator learning rate")
      ->transform(cli::real(d::learning_rate_range))->capture_default_str()->group(run);
  app.add_option("--lr-final", c.lr_final,
                 "both learning rates decay linearly to this fraction at the last step (1: no decay)")
      ->transform(cli::real(d::fraction_range))->capture_default_str()->group(run);
  app.add_option("--beta1", c.beta1, "Adam beta1")
      ->transform(cli::real(d::adam_beta_range))->capture_default_str()->group(run);
  app.add_option("--beta2", c.beta2, "Adam beta2")
      ->transform(cli::real(d::adam_beta_range))->capture_default_str()->group(run);
  app.add_option("--generator-optimizer", c.generator_optimizer, "the generator's optimizer: adam or sgd (with --momentum)")
      ->capture_default_str()->group(run);
  app.add_option("--discriminator-optimizer", c.discriminator_optimizer, "the discriminator's optimizer: adam or sgd")
      ->capture_default_str()->group(run);
  app.add_option("--momentum", c.momentum, "sgd's momentum")
      ->transform(cli::real(d::momentum_range))->capture_default_str()->group(run);
  app.add_option("--loss", c.loss, "GAN loss: least-squares or bce (when the program chooses it at run time)")
      ->capture_default_str()->group(run);
  app.add_option("--generator-noise", c.generator_noise,
                 "the generator's input noise scale: 0 a point estimate (default), 1 the SAGIPS paper's generator")
      ->transform(cli::real(d::noise_range))->capture_default_str()->group(run);
  app.add_option("--ema", c.ema, "decay of the generator's weight average behind the estimates (0: none)")
      ->transform(cli::real(d::ema_range))->capture_default_str()->group(run);
  app.add_option("--disc-steps", c.disc_steps, "discriminator updates per generator update")
      ->transform(cli::integer(d::at_least_one_int))->capture_default_str()->group(run);
  app.add_flag("--average-discriminator", c.average_discriminator,
               "also average the discriminator's gradients over a model's ranks (default: each rank keeps its own)")
      ->group(run);
  app.add_flag("--poll-each-layer", c.poll_each_layer,
               "drive the gradient exchange between the discriminator's layers too (default: between row blocks)")
      ->group(run);
  app.add_option("--seed", c.seed, "seed of the networks' initialisation and of all training randomness")
      ->transform(cli::integer(d::any_seed))->capture_default_str()->group(run);
  app.add_option("--models", c.models,
                 "independent models: the ranks split into this many equal groups, the exchange strategy inside "
                 "each; their spread is the uncertainty (0: one model per rank)")
      ->transform(cli::integer(d::at_least_zero_int))->capture_default_str()->group(run);
  auto* data = "Data";
  app.add_option("--data-seed", c.data_seed, "seed of the data's shuffle into shards, of bootstraps and of generated data")
      ->transform(cli::integer(d::any_seed))->capture_default_str()->group(data);
  app.add_option("--shard-fraction", c.shard_fraction,
                 "fraction of the real data each rank of a model holds (disjoint); 0: 1/ranks")
      ->transform(cli::real(d::fraction_range))->capture_default_str()->group(data);
  app.add_flag("--bootstrap,!--no-bootstrap", c.bootstrap,
               "with several independent models (--models), each trains on its own resample of the data, so "
               "their spread is the statistical uncertainty")
      ->disable_flag_override()->capture_default_str()->group(data);
  auto* out = "Output";
  app.add_option("--output", c.output_dir, "output folder (metrics.csv, summary.json, checkpoints/)")
      ->capture_default_str()->group(out);
  app.add_option("--metrics-every", c.metrics_every, "write a metrics.csv row every N steps")
      ->transform(cli::integer(d::at_least_one_long))->capture_default_str()->group(out);
  app.add_option("--progress-every", c.progress_every, "print a progress line every N steps (when not a terminal)")
      ->transform(cli::integer(d::at_least_one_long))->capture_default_str()->group(out);
  app.add_option("--checkpoint-every", c.checkpoint_every, "write a checkpoint every N steps (0: never)")
      ->transform(cli::integer(d::at_least_zero_long))->capture_default_str()->group(out);
  app.add_option("--keep-checkpoints", c.keep_checkpoints, "checkpoints kept on disk")
      ->transform(cli::integer(d::at_least_one_int))->capture_default_str()->group(out);
  app.add_option("--eval-samples", c.eval_samples, "generator samples behind each parameter mean and spread")
      ->transform(cli::integer(d::at_least_one_int))->capture_default_str()->group(out);
  app.add_flag("--resume", c.resume, "continue from the last checkpoint in the output folder")->group(out);
  app.add_option("--stop-at", c.stop_at,
                 "stop after this step, as if interrupted (with checkpoints: continue later with --resume)")
      ->transform(cli::integer(d::at_least_zero_long))->capture_default_str()->group(out);
  app.add_flag("--profile", c.profile, "time each phase of a step (adds fences)")->group(out);
  app.add_flag("--skip-nonfinite", c.skip_nonfinite,
               "when a rank's generator gradient is not finite, skip that step on every rank (default: stop the "
               "run, the last checkpoint intact)")
      ->group(out);
  app.add_option("--max-skipped", c.max_skipped,
                 "with --skip-nonfinite: stop the run once more than this fraction of its steps were skipped")
      ->transform(cli::real(d::skipped_range))->capture_default_str()->group(out);
  // What no single option can see (the batch size, ...), once every option holds its value.
  cli::check_after_parse(app, "sagips-check-training-options", [&c] { return validate(c); });
}

}  // namespace sagips::train
