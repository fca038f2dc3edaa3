// Your own theory, from scratch, in one file: the angular distribution of a decay,
//   dN/dcos(theta) ∝ 1 + a cos(theta) + b cos^2(theta),   cos(theta) in [-1, 1],
// recovered from 2e5 events by the GAN over all ranks, then by the maximum-likelihood fit.
//
//   mpirun -np 2 custom_theory [--steps 1500] [--output custom-out]      (--help for every option)
//
// A theory is a plain struct: its parameter count, event dimension, the (unnormalised) density as
// one templated call operator, and its domain. The operator is templated on the parameter scalar S
// (float, or a dual number when the sampler differentiates through it) and the coordinate scalar X;
// write it with sagips::math functions and it runs on CPU and GPU alike. truth(), lower_bounds(),
// upper_bounds() and names() are optional: with them the trainer reports residuals and names.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <sagips/sagips.hpp>

struct Angular {
  static constexpr int num_params = 2;  // a, b
  static constexpr int dim = 1;         // cos(theta)
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return X(1) + p[0] * x[0] + p[1] * x[0] * x[0];
  }
  static sagips::sim::Box<1> domain() { return {{-1.0}, {1.0}}; }
  static std::array<double, 2> truth() { return {0.4, 0.6}; }
  // Within these bounds the density stays positive on the whole domain (1 - a^2 / 4b >= 0.2).
  static std::array<double, 2> lower_bounds() { return {-0.8, 0.2}; }
  static std::array<double, 2> upper_bounds() { return {0.8, 1.2}; }
  static std::array<const char*, 2> names() { return {"a", "b"}; }
};

// Events from the density by a differentiable inverse-CDF sampler on a 64-node grid; no detector
// stages (add e.g. sagips::sim::GaussianSmearing or Acceptance<Efficiency> after the sampler).
using Pipeline = sagips::sim::Pipeline<Angular, sagips::sim::InverseCdf1D<64>>;
using Trainer = sagips::Trainer<Pipeline>;  // 4x128 LeakyReLU networks, least squares, async ring

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"sagips: a user-defined 1-D theory (a decay angular distribution), trained and fitted"};
    sagips::train::TrainerConfig cfg;  // every training option, with this example's defaults
    cfg.steps = 1500;
    cfg.real_events = 200000;
    cfg.output_dir = "custom-out";
    sagips::exchange::Config xcfg;
    sagips::train::add_options(app, cfg);
    sagips::exchange::add_options(app, xcfg);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {  // --help, or a bad option: rank 0 explains, every rank exits
      return env.is_root() ? app.exit(e) : e.get_exit_code();
    }
    sagips::watchdog::set_timeout(xcfg.timeout_seconds);  // from here on every collective is watched

    // The "measured" events: here generated from the truth on a fine grid (cfg.data_file reads a .npy).
    sagips::HostMatrix<float> data;
    sagips::collectively(env.comm(), [&] {
      if (!cfg.data_file.empty()) {
        data = sagips::io::read_npy<float>(cfg.data_file);
        sagips::sim::check_events<float, 1>(data, Pipeline().support(), cfg.data_file);
      } else {
        sagips::sim::Pipeline<Angular, sagips::sim::InverseCdf1D<1024>> fine;
        data = sagips::sim::generate_events(fine, Angular::truth(), cfg.real_events, cfg.data_seed);
      }
    });

    Trainer trainer(env.comm(), cfg, xcfg, Pipeline(), data, Angular::lower_bounds(), Angular::upper_bounds());
    nlohmann::json summary = trainer.run();

    // The traditional fit of the same events (each rank passes its share; the likelihood is reduced).
    std::vector<double> mine;
    for (long i = env.rank(); i < static_cast<long>(data.extent(0)); i += env.size()) mine.push_back(data(i, 0));
    const auto box = Angular::domain();
    const sagips::fit::UnbinnedNll<Angular> nll(Angular{}, mine, box.lower, box.upper, env.comm());
    const auto fit = sagips::fit::minimize(nll, {0.0, 0.7}, Angular::lower_bounds(), Angular::upper_bounds());

    if (trainer.is_reporter()) {
      summary["mle"] = {{"value", fit.value}, {"sigma", fit.sigma}, {"events", fit.events},
                        {"converged", fit.converged}, {"status", fit.status},
                        {"sample", "the same events"}};
      std::printf("\n%-3s %7s %20s %10s %18s\n", "", "truth", "GAN mean +- spread", "residual", "MLE +- sigma");
      for (int j = 0; j < 2; ++j) {
        const double m = summary["parameters"]["mean"][j], s = summary["parameters"]["std"][j];
        std::printf("%-3s %7.3f %11.4f +- %6.4f %+9.2f%% %9.4f +- %6.4f\n", Angular::names()[j], Angular::truth()[j], m,
                    s, 100 * (m - Angular::truth()[j]) / Angular::truth()[j], fit.value[j], fit.sigma[j]);
      }
      sagips::train::write_text_atomically(cfg.output_dir + "/summary.json", summary.dump(2) + "\n");
    }
    return 0;
  });
}
