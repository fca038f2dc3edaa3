// Example 6: an exchange strategy of your own (torus.hpp) beside the built-in ones. The 2-D proxy of
// example 5, with --strategy torus-2d among the run-time choices:
//
//   mpirun -np 4 torus --strategy torus-2d --steps 500
#include <sagips/sagips.hpp>

#include "torus.hpp"

namespace sim = sagips::sim;
using Pipeline = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<64>, sim::GaussianSmearing>;
// The program's policies: the defaults, with the built-in strategies and yours to choose from.
struct Policies : sagips::Defaults<Pipeline> {
  using strategies = sagips::exchange::BuiltinAnd<examples::Torus2D>;
};

int main(int argc, char** argv) {
  sagips::AppFor<Policies> app("torus: the 2-D proxy with a user-written exchange strategy");
  app.exchange_defaults().strategy = "torus-2d";
  app.defaults().models = 1;  // one model over all ranks, so the torus has ranks to exchange with
  app.defaults().output_dir = "torus-out";
  return app.run(argc, argv, [] { return Pipeline(sim::Proxy2D{}, {}, sim::GaussianSmearing{0.01}); });
}
