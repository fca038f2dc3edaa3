// The SAGIPS 2-D proxy (DESIGN.md section 5): recover p = (p0..p4) of
//   sigma(x, y; p) = x^p0 (1-x)^p1 y^p2 (1-y)^p3 (1 + p4 x y)
// from 1e6 smeared events, with the GAN trained over all ranks, then compare with the unbinned
// maximum-likelihood fit of the same events.
//
//   mpirun -np 4 proxy2d --strategy async-ring --group-size 2 --output out/      (--help for every option)
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <sagips/sagips.hpp>

namespace sim = sagips::sim;
namespace ex = sagips::exchange;
using Theory = sim::Proxy2D;
constexpr int P = Theory::num_params;

enum class Strategy { local, allreduce, iallreduce, sync_ring, async_ring, parameter_server, ensemble };

namespace {

template <int G>
using ProxyPipeline = sim::Pipeline<Theory, sim::InverseCdf2D<G>, sim::GaussianSmearing>;

// Trains with one exchange strategy; returns the summary (on the reporting rank).
template <int G, class Exchange>
nlohmann::json train(sagips::Environment& env, const sagips::train::TrainerConfig& cfg, const ex::Config& xcfg,
                     double resolution, sagips::HostMatrix<const float> data) {
  using Pipe = ProxyPipeline<G>;
  using Trainer = sagips::Trainer<Pipe, sagips::train::DefaultGenerator<Pipe>, sagips::train::DefaultDiscriminator<Pipe>,
                                  sagips::loss::LeastSquares, Exchange>;
  Trainer trainer(env.comm(), cfg, xcfg, Pipe(Theory{}, sim::InverseCdf2D<G>{}, sim::GaussianSmearing{resolution}), data,
                  Theory::lower_bounds(), Theory::upper_bounds());
  return trainer.run();
}

template <int G>
nlohmann::json dispatch(Strategy s, sagips::Environment& env, const sagips::train::TrainerConfig& cfg,
                        const ex::Config& xcfg, double resolution, sagips::HostMatrix<const float> data) {
  switch (s) {
    case Strategy::local: return train<G, ex::Local>(env, cfg, xcfg, resolution, data);
    case Strategy::allreduce: return train<G, ex::Allreduce>(env, cfg, xcfg, resolution, data);
    case Strategy::iallreduce: return train<G, ex::Iallreduce>(env, cfg, xcfg, resolution, data);
    case Strategy::sync_ring: return train<G, ex::SyncRing>(env, cfg, xcfg, resolution, data);
    case Strategy::async_ring: return train<G, ex::AsyncRing>(env, cfg, xcfg, resolution, data);
    case Strategy::parameter_server: return train<G, ex::ParameterServer>(env, cfg, xcfg, resolution, data);
    case Strategy::ensemble: return train<G, ex::Ensemble>(env, cfg, xcfg, resolution, data);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"sagips: the SAGIPS 2-D proxy inverse problem, trained over MPI ranks"};
    sagips::train::TrainerConfig cfg;
    ex::Config xcfg;
    xcfg.group_size = 2;
    Strategy strategy = Strategy::async_ring;
    int grid = 64;
    double resolution = 0.01;
    bool fit = true;
    sagips::train::add_options(app, cfg);
    ex::add_options(app, xcfg);
    // One table for the names: CLI11 checks the name (any case) and stores the strategy itself.
    const std::map<std::string, Strategy> strategies = {{"local", Strategy::local},
                                                        {"allreduce", Strategy::allreduce},
                                                        {"iallreduce", Strategy::iallreduce},
                                                        {"sync-ring", Strategy::sync_ring},
                                                        {"async-ring", Strategy::async_ring},
                                                        {"parameter-server", Strategy::parameter_server},
                                                        {"ensemble", Strategy::ensemble}};
    app.add_option("--strategy", strategy, "gradient exchange")
        ->transform(CLI::CheckedTransformer(strategies, CLI::ignore_case))
        ->default_str("async-ring");
    app.add_option("--grid", grid, "sampler grid nodes per dimension")->check(CLI::IsMember({32, 64, 128}))
        ->capture_default_str();
    app.add_option("--resolution", resolution, "detector resolution (Gaussian smearing)")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_flag("--fit,!--no-fit", fit, "run the maximum-likelihood fit of the same events afterwards")
        ->capture_default_str();
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      const int code = env.is_root() ? app.exit(e) : e.get_exit_code();
      return code;
    }
    sagips::watchdog::set_timeout(xcfg.timeout_seconds);  // from here on every collective is watched

    std::string strategy_name;
    for (const auto& [name, s] : strategies)
      if (s == strategy) strategy_name = name;

    // The real data: a file, or 1e6 events generated from the truth through the same pipeline.
    sagips::HostMatrix<float> data;
    sagips::collectively(env.comm(), [&] {
      if (!cfg.data_file.empty()) {
        data = sagips::io::read_npy<float>(cfg.data_file);
        const ProxyPipeline<64> pipeline(Theory{}, sim::InverseCdf2D<64>{}, sim::GaussianSmearing{resolution});
        sim::check_events<float, 2>(data, pipeline.support(), cfg.data_file);
      } else {
        // A fine grid for the real data: they should follow the density itself, not a 64-node model of it.
        ProxyPipeline<256> real(Theory{}, sim::InverseCdf2D<256>{}, sim::GaussianSmearing{resolution});
        data = sim::generate_events(real, Theory::truth(), cfg.real_events, cfg.data_seed);
      }
    });
    if (env.is_root())
      std::printf("sagips proxy2d: %d rank(s) on %s, %ld real events, strategy %s\n", env.size(),
                  env.execution_space().c_str(), static_cast<long>(data.extent(0)), strategy_name.c_str());

    nlohmann::json summary;
    switch (grid) {
      case 32: summary = dispatch<32>(strategy, env, cfg, xcfg, resolution, data); break;
      case 128: summary = dispatch<128>(strategy, env, cfg, xcfg, resolution, data); break;
      default: summary = dispatch<64>(strategy, env, cfg, xcfg, resolution, data); break;
    }
    int reporter = summary.is_null() ? env.size() : env.rank();
    sagips::mpi::allreduce(MPI_IN_PLACE, &reporter, 1, MPI_INT, MPI_MIN, env.comm(), "the choice of the reporting rank");

    // The traditional baseline on the same events: the truth-level (unsmeared) version of the
    // generated sample, or the file's events inside the domain.
    if (fit) {
      std::vector<double> mine;
      std::string sample;
      if (cfg.data_file.empty()) {
        sim::Pipeline<Theory, sim::InverseCdf2D<256>> truth_level;
        const auto raw = sim::generate_events(truth_level, Theory::truth(), cfg.real_events, cfg.data_seed);
        for (long i = env.rank(); i < static_cast<long>(raw.extent(0)); i += env.size())
          mine.insert(mine.end(), {double(raw(i, 0)), double(raw(i, 1))});
        sample = "the same generated events before detector smearing";
      } else {
        const auto box = Theory::domain();
        for (long i = env.rank(); i < static_cast<long>(data.extent(0)); i += env.size())
          if (data(i, 0) >= box.lower[0] && data(i, 0) <= box.upper[0] && data(i, 1) >= box.lower[1] &&
              data(i, 1) <= box.upper[1])
            mine.insert(mine.end(), {double(data(i, 0)), double(data(i, 1))});
        sample = "the file's events inside the domain (smearing not folded in)";
      }
      const auto box = Theory::domain();
      const sagips::fit::UnbinnedNll<Theory> nll(Theory{}, mine, box.lower, box.upper, env.comm());
      std::array<double, P> start{};
      for (int j = 0; j < P; ++j) start[j] = 0.5 * (Theory::lower_bounds()[j] + Theory::upper_bounds()[j]);
      const auto r = sagips::fit::minimize(nll, start, Theory::lower_bounds(), Theory::upper_bounds());
      if (env.rank() == reporter) {
        // The correlations show the directions the data constrain weakly (p4 moves with p1 and p3).
        std::vector<std::vector<double>> corr(P, std::vector<double>(P, 0.0));
        for (int a = 0; a < P; ++a)
          for (int b = 0; b < P; ++b)
            if (r.sigma[a] > 0 && r.sigma[b] > 0) corr[a][b] = r.covariance(a, b) / (r.sigma[a] * r.sigma[b]);
        summary["mle"] = {{"value", r.value},       {"sigma", r.sigma},         {"correlation", corr},
                          {"nll", r.nll},           {"events", r.events},       {"converged", r.converged},
                          {"status", r.status},
                          {"iterations", r.iterations}, {"sample", sample}};
      }
    }
    if (env.rank() == reporter) {
      const auto names = Theory::names();
      const auto truth = Theory::truth();
      std::printf("\n%-4s %9s %20s %10s %20s\n", "", "truth", "GAN mean +- spread", "residual", "MLE +- sigma");
      for (int j = 0; j < P; ++j) {
        const double m = summary["parameters"]["mean"][j], s = summary["parameters"]["std"][j];
        char mle[64] = "-";
        if (summary.contains("mle"))
          std::snprintf(mle, sizeof mle, "%.4f +- %.4f", summary["mle"]["value"][j].get<double>(),
                        summary["mle"]["sigma"][j].get<double>());
        std::printf("%-4s %9.4f %11.4f +- %6.4f %+9.2f%% %20s\n", names[j], truth[j], m, s, 100 * (m - truth[j]) / truth[j], mle);
      }
      if (summary.contains("mle") && !summary["mle"]["converged"].get<bool>())
        std::printf("the maximum-likelihood fit did not converge (%s, %ld events): its values are not a measurement\n",
                    summary["mle"]["status"].get<std::string>().c_str(), summary["mle"]["events"].get<long>());
      if (summary.contains("ensemble")) {
        std::printf("ensemble of %d: mean", summary["ensemble"]["members"].get<int>());
        for (int j = 0; j < P; ++j)
          std::printf(" %s=%.4f+-%.4f", names[j], summary["ensemble"]["mean"][j].get<double>(),
                      summary["ensemble"]["spread"][j].get<double>());
        std::printf("\n");
      }
      std::printf("%.3f s per step, %.3g events/s over all ranks\n", summary["seconds_per_step"].get<double>(),
                  summary["events_per_second"].get<double>());
      sagips::train::write_text_atomically(cfg.output_dir + "/summary.json", summary.dump(2) + "\n");
      std::printf("wrote %s/summary.json\n", cfg.output_dir.c_str());
    }
    return 0;
  });
}
