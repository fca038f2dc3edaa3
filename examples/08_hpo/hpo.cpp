// Example 8: hyper-parameter search over blocks of ranks. Rank 0 coordinates; the other ranks form
// blocks of --block-size, each training the main job's problem (the 2-D proxy, smaller) with one
// trial's options at a time. The score needs no truth: the energy distance between events generated
// at the trial's answer and held-out real events it never trained on (the residual against the truth
// is reported beside it, since this problem has one). The first trial is the defaults, so the table
// shows the best trial against them.
//
//   mpirun -np 5 hpo                                   # 4 blocks of 1 rank, 16 trials, Gaussian process
//   mpirun -np 5 hpo --method random                   # the same budget, uniform draws
//   mpirun -np 5 hpo --min-steps 100 --max-steps 900   # successive halving: 100, 300, 900 steps
//   mpirun -np 5 hpo --resume                          # continue a search that was stopped
//   hpo --space my_space.json                          # search other options (docs/hpo.md)
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sagips/hpo.hpp>
#include <sagips/sagips.hpp>

namespace sim = sagips::sim;
using Pipeline = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<64>, sim::GaussianSmearing>;
using RealPipeline = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<256>, sim::GaussianSmearing>;
using Trainer = sagips::Trainer<Pipeline, sagips::train::DefaultGenerator<Pipeline>,
                                sagips::train::DefaultDiscriminator<Pipeline>, sagips::loss::LeastSquares,
                                sagips::exchange::Allreduce>;

// The main job's learning rates and Adam's beta1, around their defaults.
const char* default_space = R"({"lr_generator": {"log": [2e-5, 2e-3]},
                                "lr_discriminator": {"log": [1e-4, 1e-2]},
                                "beta1": {"real": [0.0, 0.9]}})";

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"sagips example 8: hyper-parameter search over blocks of MPI ranks"};
    sagips::hpo::Settings s;
    s.folder = "hpo-out";
    s.min_budget = s.max_budget = 400;
    int block_size = 1;
    long events = 20000, held_out = 10000;
    std::string space_file;
    app.add_option("--block-size", block_size, "ranks per trial (the world is 1 + k * block size)");
    app.add_option("--trials", s.trials, "trials started in all");
    app.add_option("--initial-random", s.initial_random, "uniform trials before the model-based proposals");
    app.add_option("--method", s.method, "gp (Gaussian process, expected improvement) or random");
    app.add_option("--min-steps", s.min_budget, "training steps at the first rung");
    app.add_option("--max-steps", s.max_budget, "training steps at the last rung");
    app.add_option("--eta", s.eta, "successive halving's factor (the best 1/eta of a rung go on)");
    app.add_option("--seed", s.seed, "the search's seed");
    app.add_option("--trial-timeout", s.trial_timeout, "seconds before a trial is recorded as timed out (0: none)");
    app.add_option("--output", s.folder, "the search's folder: state.json, results.json, one folder per trial");
    app.add_flag("--resume", s.resume, "continue the search in --output");
    app.add_option("--events", events, "real events to train on");
    app.add_option("--held-out", held_out, "real events held out for the score");
    app.add_option("--space", space_file, "a JSON search space (default: the learning rates and beta1)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return env.is_root() ? app.exit(e) : e.get_exit_code();
    }
    nlohmann::json space_json = nlohmann::json::parse(default_space);
    if (!space_file.empty()) {
      std::ifstream in(space_file);
      SAGIPS_REQUIRE(in, "hpo: cannot read the search space " << space_file);
      space_json = nlohmann::json::parse(in);
    }
    const auto space = sagips::hpo::Space::from_json(space_json);

    // The trial's defaults: the main job's, smaller. The first trial is exactly these.
    sagips::train::TrainerConfig base;
    base.param_samples = 16;
    base.events_per_sample = 64;
    base.progress_every = 1000000;
    base.metrics_every = 100;
    base.eval_samples = 200;
    nlohmann::json defaults = nlohmann::json::object();
    const nlohmann::json record = base;
    for (const auto& d : space.dimensions()) defaults[d.name] = record.at(d.name);
    s.initial_points = nlohmann::json::array({defaults});

    // Every rank makes the same events: training and held-out from different seeds.
    RealPipeline real;
    const auto train = sim::generate_events(real, sim::Proxy2D::truth(), events, 101);
    const auto held = sim::generate_events(real, sim::Proxy2D::truth(), held_out, 202);

    const auto summary = sagips::hpo::search(
        env.comm(), space, s, block_size, [&](MPI_Comm block, const sagips::hpo::Job& job) {
          auto cfg = base;
          sagips::exchange::Config xcfg;
          sagips::options::assign_all(job.point, cfg, xcfg);
          cfg.steps = job.budget;
          cfg.checkpoint_every = job.budget;  // the rung's end, for a promotion to continue from
          cfg.output_dir = job.folder;
          cfg.resume = job.resume;
          cfg.seed = 1 + static_cast<std::uint64_t>(job.trial);
          Trainer t(block, cfg, xcfg, Pipeline(), train);
          const auto r = t.train();
          std::array<double, 5> p{};
          double residual = 0;
          for (int j = 0; j < 5; ++j) {
            p[j] = r.parameters[j].estimate;
            const double rel = (p[j] - sim::Proxy2D::truth()[j]) / sim::Proxy2D::truth()[j];
            residual += rel * rel;
          }
          Pipeline at_answer;
          const auto generated = sim::generate_events(at_answer, p, held_out, 303);
          sagips::hpo::Outcome o;
          o.score = sagips::hpo::energy_distance(generated, held, held_out);
          o.details = {{"residual", std::sqrt(residual)}, {"estimate", p}};
          return o;
        });

    if (env.is_root()) {
      std::printf("%-6s %-6s %8s", "rank", "trial", "steps");
      for (const auto& d : space.dimensions()) std::printf(" %16s", d.name.c_str());
      std::printf(" %12s %10s %8s\n", "score", "residual", "seconds");
      int place = 0;
      for (const auto& id : summary.at("ranking")) {
        const auto& t = summary.at("trials").at(id.get<std::size_t>());
        const auto& last = t.at("results").back();
        std::printf("%-6d %-6ld %8ld", ++place, id.get<long>(), last.at("budget").get<long>());
        for (const auto& d : space.dimensions()) {
          const auto& v = t.at("point").at(d.name);
          if (v.is_number()) std::printf(" %16.4g", v.get<double>());
          else std::printf(" %16s", v.dump().c_str());
        }
        if (last.at("status") == "ok")
          std::printf(" %12.3e %10.4f %8.1f%s\n", last.at("score").get<double>(),
                      last.at("details").at("residual").get<double>(), last.at("seconds").get<double>(),
                      id.get<long>() == 0 ? "  (the defaults)" : "");
        else
          std::printf(" %s: %s\n", last.at("status").get<std::string>().c_str(),
                      last.at("message").get<std::string>().c_str());
      }
      std::printf("results: %s/results.json\n", s.folder.c_str());
    }
    return 0;
  });
}
