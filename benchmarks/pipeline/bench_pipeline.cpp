// bench_pipeline: events per second of the 2-D proxy pipeline (InverseCdf2D<64> + Gaussian smearing
// 0.01, float), forward + vector-Jacobian product, at several events per step. B parameter sets of
// M events each (B = --param-samples, M = events / B).
//
//   bench_pipeline [--events 10000,100000,1000000] [--param-samples 100] [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <sagips/sagips.hpp>

#include "bench.hpp"

namespace sim = sagips::sim;
using Pipe = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<64>, sim::GaussianSmearing>;

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"bench_pipeline: 2-D proxy pipeline forward + VJP"};
    std::vector<int> sizes = {10000, 100000, 1000000};
    int sets = 100, repeats = 10;
    app.add_option("--events", sizes, "events per step")->delimiter(',')->capture_default_str();
    app.add_option("--param-samples", sets, "parameter sets per step (B)")->capture_default_str();
    app.add_option("--repeats", repeats, "timed repeats")->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    const std::string& json_path = common.json_path;
    const bool quick = common.quick;
    if (quick) {
      sizes = {2000};
      sets = 10;
      repeats = 2;
    }
    nlohmann::json out = {{"name", "bench_pipeline"}, {"machine", sagips::bench::machine_info()},
                          {"pipeline", "Proxy2D, InverseCdf2D<64> graded, GaussianSmearing 0.01, float"}};
    sagips::bench::Table table({"events", "B x M", "forward ms", "vjp ms", "fwd+vjp ms", "events/s"});
    for (int n : sizes) {
      const int m = n / sets;
      Pipe pipe;
      sagips::Matrix<float> p("p", sets, 5), dp("dp", sets, 5);
      auto hp = Kokkos::create_mirror_view(p);
      const auto t = sim::Proxy2D::truth();
      for (int b = 0; b < sets; ++b)
        for (int j = 0; j < 5; ++j) hp(b, j) = static_cast<float>(t[j] * (1 + 0.01 * ((b + j) % 7)));
      Kokkos::deep_copy(p, hp);
      sagips::Matrix<float> de("de", sets * m, 2);
      Kokkos::deep_copy(de, 1e-3f);
      std::uint64_t step = 0;
      const auto fwd = sagips::bench::time_it([&] { pipe.forward(p, m, {1, 0, ++step}); }, 1, repeats);
      const auto vjp = sagips::bench::time_it([&] { pipe.vjp(de, sagips::ConstVector<float>(), dp); }, 1, repeats);
      const auto both = sagips::bench::time_it(
          [&] {
            pipe.forward(p, m, {1, 0, ++step});
            pipe.vjp(de, sagips::ConstVector<float>(), dp);
          },
          1, repeats);
      const double rate = sets * m / both.median;
      table.add({std::to_string(sets * m), std::to_string(sets) + " x " + std::to_string(m),
                 sagips::bench::fmt("%.2f", fwd.median * 1e3), sagips::bench::fmt("%.2f", vjp.median * 1e3),
                 sagips::bench::fmt("%.2f", both.median * 1e3), sagips::bench::fmt("%.3g", rate)});
      out["results"].push_back({{"events", sets * m},
                                {"param_samples", sets},
                                {"events_per_sample", m},
                                {"forward", sagips::bench::to_json(fwd)},
                                {"vjp", sagips::bench::to_json(vjp)},
                                {"forward_vjp", sagips::bench::to_json(both)},
                                {"events_per_second", rate}});
    }
    if (env.is_root()) {
      std::printf("bench_pipeline on %s (%s)\n", sagips::Environment::execution_space().c_str(),
                  out["machine"]["cpu"].get<std::string>().c_str());
      table.print();
      sagips::bench::write_json(json_path, out);
    }
    return 0;
  });
}
