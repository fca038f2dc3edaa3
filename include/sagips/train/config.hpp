#pragma once
// The trainer's configuration: one struct with the defaults, and one row per option
// (for_each_option) from which everything else is derived: the command line and config files
// (options::add_options, options/cli.hpp), summary.json (options/json.hpp), validate() below, and
// the resume fingerprint (train/fingerprint.hpp: a resumed run keeps every option that shapes the
// run; the operational ones, how many steps, where and how often to write, may change).
// Adding an option is one member and one row. Neither CLI11 nor nlohmann/json is needed here.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "sagips/options/option.hpp"
#include "sagips/sim/shard_layout.hpp"

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
  // What the generator is trained against (docs/objectives.md): "gan", a discriminator trained beside
  // it, or a sample distance between fake and real events by name (objective::Builtin: energy, mmd,
  // mmd-imq, sliced), with its settings.
  std::string objective = "gan";
  double kernel_bandwidth = 0;  // the MMD kernels' length scale; 0: the median distance between real events
  int slices = 64;              // the sliced Wasserstein distance's random directions per step
  // The generator's noise: its input is standard normal noise times this. 0 (the default) makes the
  // generator a point estimate, which removes the bias a spread generator's mixture puts on its mean
  // (docs/results.md); 1 is the SAGIPS paper's generator.
  double generator_noise = 0;
  // Each model's start: 0 (the default) starts every generator near the centre of the parameter box;
  // s in (0, 1) fits each model's generator first to a point of its own, uniform in the middle fraction
  // s of each parameter's range, so that directions the data do not fix keep the models apart
  // (train/start.hpp).
  double start_spread = 0;
  double ema = 0.995;             // decay of the generator's weight average, which the estimates read (0: none)
  int disc_steps = 1;             // discriminator updates per generator update (the extra ones on fresh events)
  bool average_discriminator = false;  // also average the discriminator's gradients over a model's ranks
  bool sync_batch_norm = true;    // batch-normalised layers reduce their statistics over the model's ranks
  bool poll_each_layer = false;   // drive the exchange between the discriminator's layers too (default: row blocks)
  std::uint64_t seed = 1;              // networks' initialisation and every random stream of training
  // Independent models: the ranks split into this many equal groups of consecutive ranks, each one
  // model (its own initial weights, its own bootstrap resample) trained by the exchange strategy over
  // its ranks; their spread is the uncertainty. 0: one model per rank.
  int models = 1;
  // -- the data
  std::uint64_t data_seed = 12345;     // the data's shuffle into shards, bootstraps, generated data
  double shard_fraction = 0;      // fraction of the data each rank of a model holds; 0: 1/ranks (all data, disjoint)
  // split: each rank's batch from its whole shard; strata: each parameter set's events from its own
  // stratum, so that a step does not depend on the rank count (sim/shard.hpp, docs/training.md)
  sim::ShardLayout shard_layout = sim::ShardLayout::split;
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
  // -- the program's own settings that shape the problem (App: the data's source and your options),
  // by name, as given: fingerprinted for --resume like every run-shaping option, written to summary.json
  std::map<std::string, std::string> program;
};

template <class C, class Visit>  // C: TrainerConfig, const or not
void for_each_option(C& c, Visit&& visit) {
  namespace o = options;
  const o::Section run{"Training run"}, data{"Data"}, out{"Output", o::Kind::operational};
  const auto at_least_one_long = o::at_least(1L), at_least_zero_long = o::at_least(0L);
  const auto at_least_one = o::at_least(1), at_least_zero = o::at_least(0);
  const o::IntRange<std::uint64_t> any_seed{};
  const o::RealRange fraction = o::closed(0.0, 1.0);
  const o::RealRange beta = o::half_open(0.0, 1.0);  // 1 divides by zero in Adam's bias correction
  visit(run.option(c.steps, "steps", "--steps", "training steps", at_least_one_long).operational());
  visit(run.option(c.param_samples, "param_samples", "--param-samples",
                   "parameter sets drawn from the generator per step and rank", at_least_one));
  visit(run.option(c.events_per_sample, "events_per_sample", "--events-per-sample", "events simulated per parameter set",
                   at_least_one));
  visit(run.option(c.lr_generator, "lr_generator", "--lr-generator", "generator learning rate", o::positive()));
  visit(run.option(c.lr_discriminator, "lr_discriminator", "--lr-discriminator", "discriminator learning rate",
                   o::positive()));
  visit(run.option(c.lr_final, "lr_final", "--lr-final",
                   "both learning rates decay linearly to this fraction at the last step (1: no decay)", fraction));
  visit(run.option(c.beta1, "beta1", "--beta1", "Adam beta1", beta));
  visit(run.option(c.beta2, "beta2", "--beta2", "Adam beta2", beta));
  visit(run.option(c.generator_optimizer, "generator_optimizer", "--generator-optimizer",
                   "the generator's optimizer: adam or sgd (with --momentum)"));
  visit(run.option(c.discriminator_optimizer, "discriminator_optimizer", "--discriminator-optimizer",
                   "the discriminator's optimizer: adam or sgd"));
  visit(run.option(c.momentum, "momentum", "--momentum", "sgd's momentum", o::half_open(0.0, 1.0)));
  visit(run.option(c.loss, "loss", "--loss", "GAN loss: least-squares or bce (when the program chooses it at run time)"));
  visit(run.option(c.objective, "objective", "--objective",
                   "what the generator is trained against: gan (a discriminator) or a sample distance: energy, mmd, "
                   "mmd-imq or sliced"));
  visit(run.option(c.kernel_bandwidth, "kernel_bandwidth", "--kernel-bandwidth",
                   "mmd's kernel length scale (0: the median distance between real events)", o::non_negative()));
  visit(run.option(c.slices, "slices", "--slices", "random directions per step of the sliced distance", at_least_one));
  visit(run.option(c.generator_noise, "generator_noise", "--generator-noise",
                   "the generator's input noise scale: 0 a point estimate (default), 1 the SAGIPS paper's generator",
                   o::closed(0.0, 10.0)));
  visit(run.option(c.start_spread, "start_spread", "--start-spread",
                   "each model's generator starts at a point of its own, uniform in this middle fraction of each "
                   "parameter's range (0: every model near the centre)",
                   o::half_open(0.0, 1.0)));
  visit(run.option(c.ema, "ema", "--ema", "decay of the generator's weight average behind the estimates (0: none)",
                   o::half_open(0.0, 1.0)));
  visit(run.option(c.disc_steps, "disc_steps", "--disc-steps", "discriminator updates per generator update",
                   at_least_one));
  visit(run.option(c.average_discriminator, "average_discriminator", "--average-discriminator",
                   "also average the discriminator's gradients over a model's ranks (default: each rank keeps its own)"));
  visit(run.option(c.sync_batch_norm, "sync_batch_norm", "--sync-batch-norm,!--no-sync-batch-norm",
                   "batch-normalised layers reduce their statistics over the model's ranks: the generator's, the "
                   "discriminator's with --average-discriminator (--no-sync-batch-norm: each rank its own batch)"));
  visit(run.option(c.poll_each_layer, "poll_each_layer", "--poll-each-layer",
                   "drive the gradient exchange between the discriminator's layers too (default: between row blocks)")
            .operational());
  visit(run.option(c.seed, "seed", "--seed", "seed of the networks' initialisation and of all training randomness",
                   any_seed));
  visit(run.option(c.models, "models", "--models",
                   "independent models: the ranks split into this many equal groups, the exchange strategy inside "
                   "each; their spread is the uncertainty (0: one model per rank)",
                   at_least_zero));
  visit(data.option(c.data_seed, "data_seed", "--data-seed",
                    "seed of the data's shuffle into shards, of bootstraps and of generated data", any_seed));
  visit(data.option(c.shard_fraction, "shard_fraction", "--shard-fraction",
                    "fraction of the real data each rank of a model holds (disjoint); 0: 1/ranks", fraction));
  visit(data.option(c.shard_layout, "shard_layout", "--shard-layout",
                    "split: each rank's real batch drawn from its whole shard; strata: each parameter set's from its "
                    "own stratum of the data, so a step does not depend on the rank count",
                    o::Names<sim::ShardLayout>{"shard layout", {{"split", sim::ShardLayout::split},
                                                                {"strata", sim::ShardLayout::strata}}}));
  visit(data.option(c.bootstrap, "bootstrap", "--bootstrap,!--no-bootstrap",
                    "with several independent models (--models), each trains on its own resample of the data, so "
                    "their spread is the statistical uncertainty"));
  visit(out.option(c.output_dir, "output_dir", "--output", "output folder (metrics.csv, summary.json, checkpoints/)"));
  visit(out.option(c.metrics_every, "metrics_every", "--metrics-every", "write a metrics.csv row every N steps",
                   at_least_one_long));
  visit(out.option(c.progress_every, "progress_every", "--progress-every",
                   "print a progress line every N steps (when not a terminal)", at_least_one_long));
  visit(out.option(c.checkpoint_every, "checkpoint_every", "--checkpoint-every",
                   "write a checkpoint every N steps (0: never)", at_least_zero_long));
  visit(out.option(c.keep_checkpoints, "keep_checkpoints", "--keep-checkpoints", "checkpoints kept on disk",
                   at_least_one));
  visit(out.option(c.eval_samples, "eval_samples", "--eval-samples",
                   "generator samples behind each parameter mean and spread", at_least_one));
  visit(out.option(c.resume, "resume", "--resume", "continue from the last checkpoint in the output folder"));
  visit(out.option(c.stop_at, "stop_at", "--stop-at",
                   "stop after this step, as if interrupted (with checkpoints: continue later with --resume)",
                   at_least_zero_long));
  visit(out.option(c.profile, "profile", "--profile", "time each phase of a step (adds fences)"));
  visit(out.option(c.skip_nonfinite, "skip_nonfinite", "--skip-nonfinite",
                   "when a rank's generator gradient is not finite, skip that step on every rank (default: stop the "
                   "run, the last checkpoint intact)"));
  visit(out.option(c.max_skipped, "max_skipped", "--max-skipped",
                   "with --skip-nonfinite: stop the run once more than this fraction of its steps were skipped",
                   fraction));
  // The program's own options (App records them; not on the command line as such).
  visit(run.option(c.program, "program", "", "the program's own options"));
}

// The first problem with `c` (empty: none). Names are the keys (as in summary.json).
inline std::string validate(const TrainerConfig& c) {
  if (std::string problem = options::first_problem(c); !problem.empty()) return problem;
  if (c.output_dir.empty()) return "output_dir: empty (give a folder, e.g. .)";
  // A step's fake and real batches hold param_samples * events_per_sample events, indexed with int.
  const long long batch = static_cast<long long>(c.param_samples) * c.events_per_sample;
  if (batch > INT_MAX)
    return "param_samples * events_per_sample = " + std::to_string(c.param_samples) + " * " +
           std::to_string(c.events_per_sample) + " = " + std::to_string(batch) +
           " events per step and rank: at most " + std::to_string(INT_MAX) + " (the kernels index events with int)";
  if (c.loss.empty()) return "loss: empty";
  if (c.objective.empty()) return "objective: empty";
  // A sample distance trains no discriminator: its options would change nothing.
  if (c.objective != "gan" && c.disc_steps != 1)
    return "disc_steps: --objective " + c.objective + " trains no discriminator (give --objective gan, or leave --disc-steps 1)";
  if (c.objective != "gan" && c.average_discriminator)
    return "average_discriminator: --objective " + c.objective + " trains no discriminator";
  return "";
}

namespace detail {
inline std::string named_problem(const char* name, const std::string& problem) {
  return problem.empty() ? "" : std::string(name) + ": " + problem;
}

// "unknown loss 'x' (choose a, b)" when value is not among names; empty when it is.
inline std::string not_among(const char* what, const std::string& value, const std::vector<std::string>& names) {
  if (std::find(names.begin(), names.end(), value) != names.end()) return "";
  std::string problem = std::string("unknown ") + what + " '" + value + "' (choose";
  for (std::size_t i = 0; i < names.size(); ++i) problem += (i ? ", " : " ") + names[i];
  return problem + ")";
}
}  // namespace detail

// validate(c), and c.loss one of `losses`, each network's optimizer one of `optimizers`, the objective
// one of `objectives` (the names a trainer was built with; no list: not checked).
inline std::string validate(const TrainerConfig& c, const std::vector<std::string>& losses,
                            const std::vector<std::string>& optimizers = {},
                            const std::vector<std::string>& objectives = {}) {
  std::string problem = validate(c);
  if (problem.empty()) problem = detail::not_among("loss", c.loss, losses);
  if (problem.empty() && !objectives.empty()) problem = detail::not_among("objective", c.objective, objectives);
  if (problem.empty() && !optimizers.empty())
    problem = detail::named_problem("generator_optimizer",
                                    detail::not_among("optimizer", c.generator_optimizer, optimizers));
  if (problem.empty() && !optimizers.empty())
    problem = detail::named_problem("discriminator_optimizer",
                                    detail::not_among("optimizer", c.discriminator_optimizer, optimizers));
  return problem;
}

}  // namespace sagips::train
