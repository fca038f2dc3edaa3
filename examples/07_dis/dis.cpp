// Example 7: parton densities from deep-inelastic scattering events, the physics of SAGIPS.
//
//   mpirun -np 8 dis [--steps 2500] [--real-events 100000] [--sampler-grid 64] [--output dis-out]  (--help for all)
//   python3 examples/07_dis/plot.py dis-out                                       (the densities)
//
// Leading-order neutral-current DIS, e p -> e X at sqrt(s) = 140 GeV (sagips/sim/dis.hpp): events in
// (ln x, ln Q^2), the cross-section through F2 = x sum e_q^2 (q + qbar). The generator proposes the
// valence shapes (lambda_u, K_u, lambda_d, K_d) of x u_v = A_u x^lambda_u (1 - x)^K_u and x d_v =
// A_d x^lambda_d (1 - x)^K_d, normalised so that the number sum rules hold; the pipeline samples
// events on a grid uniform in ln x and ln Q^2 (log-spaced in x and Q^2) and smears them as a detector
// would, in ln x and ln Q^2. The measured events are generated at the truth on a finer grid and
// smeared the same way. Each rank is one model on its own bootstrap resample; their spread is the
// uncertainty of the densities themselves, which plot.py draws against the truth and the
// maximum-likelihood fit of the same events (before the detector, which the fit does not fold in).
#include <sagips/sagips.hpp>
#include <string>

namespace sim = sagips::sim;
using RealPipeline = sim::Pipeline<sim::DisNc, sim::InverseCdf2D<256>, sim::GaussianSmearing>;

// The program for a training sampler of Grid nodes per axis (--sampler-grid): 64 by default, or 256,
// the real events' own grid, which takes the sampler's discretisation out of the comparison.
template <int Grid>
int run(int argc, char** argv) {
  using Pipeline = sim::Pipeline<sim::DisNc, sim::InverseCdf2D<Grid>, sim::GaussianSmearing>;
  sagips::App<Pipeline> app("dis: valence quark densities from e p -> e X events (leading-order neutral current)");
  double resolution = 0.02;
  int grid = Grid;
  app.cli()
      .add_option("--resolution", resolution, "the detector's resolution in ln x and ln Q^2")
      ->transform(sagips::cli::real(sagips::cli::non_negative()))
      ->capture_default_str();
  app.cli()
      .add_option("--sampler-grid", grid,
                  "nodes per axis of the training sampler's grid in ln x and ln Q^2: 64, or 256 (the real events' "
                  "grid, about twice the time per step)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            if (v != "64" && v != "256") return "the grid is 64 or 256, not " + v;
            if (v != std::to_string(Grid)) return "give the grid on the command line (--sampler-grid 256)";
            return "";
          },
          "64 or 256"))
      ->capture_default_str();
  app.defaults().steps = 2500;
  app.defaults().output_dir = "dis-out";
  app.data_defaults().generated = 100000;
  app.real_data_pipeline([&] { return RealPipeline(sim::DisNc{}, {}, sim::GaussianSmearing{resolution}); });
  return app.run(argc, argv, [&] { return Pipeline(sim::DisNc{}, {}, sim::GaussianSmearing{resolution}); });
}

int main(int argc, char** argv) {
  // The grid is a type: read it before the program that parses everything (which checks the value).
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sampler-grid=256" || (a == "--sampler-grid" && i + 1 < argc && std::string(argv[i + 1]) == "256"))
      return run<256>(argc, argv);
  }
  return run<64>(argc, argv);
}
