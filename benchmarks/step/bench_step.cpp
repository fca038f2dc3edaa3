// bench_step: median time of one SAGIPS training step on one rank, for the 2-D proxy (generator
// 10 -> 4x128 -> 5, InverseCdf2D<64> + smearing 0.01, discriminator 2 -> 4x128 -> 1, least-squares
// loss, Adam), at several events per step, with the split into generator, pipeline, discriminator,
// exchange and optimizer time. The step is the trainer's own (sagips::Trainer::train_step) with the
// Local exchange; phases are separated by fences (free on a host backend). The peer is
// torch_step.py; compare.py runs both and prints the ratio.
//
// With --objectives gan,energy,mmd,sliced each size is timed with each objective (docs/objectives.md);
// a distance's time is in the discriminator column.
//
//   bench_step [--events 10000,100000,1000000] [--objectives gan] [--param-samples 100] [--repeats 20]
//              [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <sagips/sagips.hpp>

#include "bench.hpp"

namespace sim = sagips::sim;
using Pipe = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<64>, sim::GaussianSmearing>;
using Trainer = sagips::Trainer<Pipe, sagips::train::DefaultGenerator<Pipe>, sagips::train::DefaultDiscriminator<Pipe>,
                                sagips::loss::LeastSquares, sagips::exchange::Local>;

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"bench_step: one SAGIPS training step of the 2-D proxy on one rank"};
    std::vector<int> sizes = {10000, 100000, 1000000};
    int sets = 100, repeats = 20, warmup = 2;
    app.add_option("--events", sizes, "events per step")->delimiter(',')->capture_default_str();
    app.add_option("--param-samples", sets, "parameter sets per step (B)")->capture_default_str();
    app.add_option("--repeats", repeats, "timed steps (fewer at large sizes: at most 2e6 events in all)")
        ->capture_default_str();
    app.add_option("--warmup", warmup, "untimed steps first")->capture_default_str();
    std::vector<std::string> objectives = {"gan"};
    app.add_option("--objectives", objectives, "objectives to time: gan, energy, mmd, mmd-imq, sliced")
        ->delimiter(',')
        ->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    const std::string& json_path = common.json_path;
    const bool quick = common.quick;
    if (quick) {
      sizes = {2000};
      sets = 10;
      repeats = 2;
      warmup = 1;
    }
    Pipe pipe;
    const auto real = sim::generate_events(pipe, sim::Proxy2D::truth(), quick ? 20000 : 1000000, 7);
    nlohmann::json out = {{"name", "bench_step"},
                          {"machine", sagips::bench::machine_info()},
                          {"problem", "Proxy2D; G 10-4x128-5 sigmoid; InverseCdf2D<64> graded + smearing 0.01; "
                                      "D 2-4x128-1; least squares; Adam; Local exchange; float"}};
    sagips::bench::Table table({"objective", "events", "B x M", "ms/step", "generator", "pipeline", "discriminator",
                                "exchange", "optimizer", "events/s"});
    for (const std::string& objective : objectives)
    for (int n : sizes) {
      sagips::train::TrainerConfig cfg;
      cfg.objective = objective;
      cfg.param_samples = sets;
      cfg.events_per_sample = std::max(1, n / sets);
      cfg.profile = true;
      cfg.steps = 1000000;
      // The step the PyTorch peer (torch_step.py) does: the paper's generator, one discriminator update.
      cfg.generator_noise = 1;
      cfg.ema = 0;
      cfg.disc_steps = 1;
      Trainer trainer(MPI_COMM_SELF, cfg, sagips::exchange::Config{}, pipe, real, sim::Proxy2D::lower_bounds(),
                      sim::Proxy2D::upper_bounds());
      long step = 0;
      for (int i = 0; i < warmup; ++i) trainer.train_step(++step);
      const auto before = trainer.phase_times();
      const int r = std::max(3, std::min(repeats, static_cast<int>(2e6 / n)));
      const auto stats = sagips::bench::time_it([&] { trainer.train_step(++step); }, 0, quick ? repeats : r);
      const auto after = trainer.phase_times();
      const double k = 1.0 / (after.steps - before.steps);
      const double g = (after.generator - before.generator) * k, p = (after.pipeline - before.pipeline) * k,
                   d = (after.discriminator - before.discriminator) * k, x = (after.exchange - before.exchange) * k,
                   o = (after.optimizer - before.optimizer) * k;
      const int events = sets * cfg.events_per_sample;
      const auto ms = [](double s) { return sagips::bench::fmt("%.2f", s * 1e3); };
      table.add({objective, std::to_string(events), std::to_string(sets) + " x " + std::to_string(cfg.events_per_sample),
                 ms(stats.median), ms(g), ms(p), ms(d), ms(x), ms(o),
                 sagips::bench::fmt("%.3g", events / stats.median)});
      out["results"].push_back({{"objective", objective},
                                {"events", events},
                                {"param_samples", sets},
                                {"events_per_sample", cfg.events_per_sample},
                                {"step", sagips::bench::to_json(stats)},
                                {"mean_phase_s",
                                 {{"generator", g}, {"pipeline", p}, {"discriminator", d}, {"exchange", x},
                                  {"optimizer", o}}},
                                {"events_per_second", events / stats.median}});
    }
    if (env.is_root()) {
      std::printf("bench_step on %s (%s); phases are means in ms\n", sagips::Environment::execution_space().c_str(),
                  out["machine"]["cpu"].get<std::string>().c_str());
      table.print();
      sagips::bench::write_json(json_path, out);
    }
    return 0;
  });
}
