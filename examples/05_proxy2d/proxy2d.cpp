// Example 5, the main job: the SAGIPS 2-D proxy. Recover p = (p0..p4) of
//   sigma(x, y; p) = x^p0 (1-x)^p1 y^p2 (1-y)^p3 (1 + p4 x y),   x, y in [0.001, 0.999],
// from 10^6 events smeared by a detector resolution of 0.01, with the GAN trained over MPI ranks, and
// compare with the unbinned maximum-likelihood fit of the same events.
//
//   mpirun -np 8 proxy2d                  # 8 independent models, one per rank, each on its own
//                                         # resample of the data: their spread is the uncertainty
//   mpirun -np 4 proxy2d --strategy async-ring --group-size 2 --no-bootstrap   # SAGIPS's grouped ring
//   proxy2d --help                        # every option
#include <sagips/sagips.hpp>

namespace sim = sagips::sim;
template <int G>
using ProxyPipeline = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<G>, sim::GaussianSmearing>;

int main(int argc, char** argv) {
  // The training sampler's grid: 128 nodes per dimension. At 64 its discretisation shifts the answer
  // by 0.2-0.3% on p0-p3 and 1% on p4 (a third of the uncertainty at 10^5 events; docs/results.md).
  sagips::App<ProxyPipeline<128>> app("proxy2d: the SAGIPS 2-D proxy inverse problem, trained over MPI ranks");
  double resolution = 0.01;
  app.cli()
      .add_option("--resolution", resolution, "detector resolution (Gaussian smearing)")
      ->transform(sagips::cli::real(sagips::cli::non_negative()))
      ->capture_default_str();
  // The main job's defaults (docs/results.md says how they were chosen).
  app.defaults().steps = 2500;
  app.defaults().param_samples = 16;
  // The real data come from a finer sampler than the training one: they follow the density itself.
  app.real_data_pipeline([&] { return ProxyPipeline<256>(sim::Proxy2D{}, {}, sim::GaussianSmearing{resolution}); });
  return app.run(argc, argv, [&] { return ProxyPipeline<128>(sim::Proxy2D{}, {}, sim::GaussianSmearing{resolution}); });
}
