#pragma once
// The trainer's configuration: one struct with the defaults, filled from the command line (CLI11) and
// optionally a TOML/INI file (--config), written into summary.json and checkpoints.
//
// Two kinds of options: those that define the run (learning rates, batch shape, seeds, exchange
// schedule, ...) must be the same when a run resumes from a checkpoint; the others (how many steps in
// total, where and how often to write) may change. resume_fingerprint() holds the former.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

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
  bool average_discriminator = false;  // also average the discriminator's gradients over all ranks
  std::uint64_t seed = 1;              // networks' initialisation and every random stream of training
  // -- the data
  std::string data_file;          // .npy events; empty: generate real_events from the theory's truth
  long real_events = 1000000;
  std::uint64_t data_seed = 12345;
  double shard_fraction = 0;      // fraction of the data each rank holds; 0: 1/ranks (all data, disjoint)
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
                     {"average_discriminator", c.average_discriminator},
                     {"seed", c.seed},
                     {"data_file", c.data_file},
                     {"real_events", c.real_events},
                     {"data_seed", c.data_seed},
                     {"shard_fraction", c.shard_fraction},
                     {"output_dir", c.output_dir},
                     {"metrics_every", c.metrics_every},
                     {"progress_every", c.progress_every},
                     {"checkpoint_every", c.checkpoint_every},
                     {"keep_checkpoints", c.keep_checkpoints},
                     {"eval_samples", c.eval_samples},
                     {"resume", c.resume},
                     {"stop_at", c.stop_at},
                     {"profile", c.profile},
                     {"skip_nonfinite", c.skip_nonfinite}};
}

// The options a resumed run must share with the run that wrote the checkpoint.
inline nlohmann::json resume_fingerprint(const nlohmann::json& config) {
  nlohmann::json f = config;
  for (const char* free : {"steps", "output_dir", "metrics_every", "progress_every", "checkpoint_every",
                           "keep_checkpoints", "eval_samples", "resume", "stop_at", "profile",
                           "skip_nonfinite"})
    f.erase(free);
  return f;
}

// Adds every option to a CLI11 app, each documented in --help with its default.
inline void add_options(CLI::App& app, TrainerConfig& c) {
  app.set_config("--config", "", "read options from a TOML or INI file (command-line flags win)");
  auto* run = "Training run";
  app.add_option("--steps", c.steps, "training steps")->check(CLI::PositiveNumber)->capture_default_str()->group(run);
  app.add_option("--param-samples", c.param_samples, "parameter sets drawn from the generator per step and rank")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(run);
  app.add_option("--events-per-sample", c.events_per_sample, "events simulated per parameter set")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(run);
  app.add_option("--lr-generator", c.lr_generator, "generator learning rate (Adam)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(run);
  app.add_option("--lr-discriminator", c.lr_discriminator, "discriminator learning rate (Adam)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(run);
  app.add_option("--lr-final", c.lr_final,
                 "both learning rates decay linearly to this fraction at the last step (1: no decay)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str()->group(run);
  app.add_option("--beta1", c.beta1, "Adam beta1")->check(CLI::Range(0.0, 1.0))->capture_default_str()->group(run);
  app.add_option("--beta2", c.beta2, "Adam beta2")->check(CLI::Range(0.0, 1.0))->capture_default_str()->group(run);
  app.add_flag("--average-discriminator", c.average_discriminator,
               "also average the discriminator's gradients over all ranks (default: each rank keeps its own)")
      ->group(run);
  app.add_option("--seed", c.seed, "seed of the networks' initialisation and of all training randomness")
      ->capture_default_str()->group(run);
  auto* data = "Data";
  app.add_option("--data", c.data_file, "real events as a .npy file (float32/float64, [N, dim]); "
                                        "default: generate them from the theory's truth")
      ->group(data);
  app.add_option("--real-events", c.real_events, "real events to generate when --data is not given")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(data);
  app.add_option("--data-seed", c.data_seed, "seed of the generated real data")->capture_default_str()->group(data);
  app.add_option("--shard-fraction", c.shard_fraction,
                 "fraction of the real data each rank holds (disjoint); 0: 1/ranks")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str()->group(data);
  auto* out = "Output";
  app.add_option("--output", c.output_dir, "output folder (metrics.csv, summary.json, checkpoints/)")
      ->capture_default_str()->group(out);
  app.add_option("--metrics-every", c.metrics_every, "write a metrics.csv row every N steps")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(out);
  app.add_option("--progress-every", c.progress_every, "print a progress line every N steps (when not a terminal)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(out);
  app.add_option("--checkpoint-every", c.checkpoint_every, "write a checkpoint every N steps (0: never)")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(out);
  app.add_option("--keep-checkpoints", c.keep_checkpoints, "checkpoints kept on disk")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(out);
  app.add_option("--eval-samples", c.eval_samples, "generator samples behind each parameter mean and spread")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(out);
  app.add_flag("--resume", c.resume, "continue from the last checkpoint in the output folder")->group(out);
  app.add_option("--stop-at", c.stop_at,
                 "stop after this step, as if interrupted (with checkpoints: continue later with --resume)")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(out);
  app.add_flag("--profile", c.profile, "time each phase of a step (adds fences)")->group(out);
  app.add_flag("--skip-nonfinite", c.skip_nonfinite,
               "when a rank's generator gradient is not finite, skip that step on every rank (default: stop the "
               "run, the last checkpoint intact)")
      ->group(out);
}

}  // namespace sagips::train
