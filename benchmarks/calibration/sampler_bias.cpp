// sampler_bias: how far the training sampler's grid moves the answer. The GAN fits the parameters at
// which the *sampler's* events look like the data, so a sampler whose events differ from the density
// shifts the answer by as much. For the 2-D proxy with InverseCdf2D<G> at G = 64, 128 and 256, this
// draws N events at the truth (before smearing), fits them by maximum likelihood, and reports each
// grid's shift from the finest grid's fit of events drawn with the same random numbers (the pairing
// cancels the events' own fluctuation), in percent and in units of the fit's sigma at 10^5 and 10^6
// events. Several seeds show that the shift is a property of the grid, not of the sample.
//
//   sampler_bias [--events 4000000] [--seeds 7,8] [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <cmath>
#include <sagips/sagips.hpp>

#include "bench.hpp"

namespace sim = sagips::sim;
namespace fit = sagips::fit;
constexpr int P = sim::Proxy2D::num_params;

// The maximum-likelihood fit of n events drawn at the truth by InverseCdf2D<G> with `seed`.
template <int G>
fit::FitResult fit_grid(sagips::Environment& env, long n, std::uint64_t seed) {
  sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<G>> pipe(sim::Proxy2D{}, {});
  const auto events = sim::generate_events(pipe, sim::Proxy2D::truth(), n, seed);
  std::vector<double> mine;  // this rank's share of the events
  for (long i = env.rank(); i < n; i += env.size())
    for (int d = 0; d < 2; ++d) mine.push_back(double(events(i, d)));
  const auto box = sim::Proxy2D::domain();
  const fit::UnbinnedNll<sim::Proxy2D> nll(sim::Proxy2D{}, mine, box.lower, box.upper, env.comm());
  const auto lo = sim::Proxy2D::lower_bounds(), hi = sim::Proxy2D::upper_bounds();
  std::array<double, P> start{};
  for (int j = 0; j < P; ++j) start[j] = 0.5 * (lo[j] + hi[j]);
  return fit::minimize(nll, start, lo, hi);
}

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"sampler_bias: the shift of the maximum-likelihood answer caused by the training sampler's grid"};
    long events = 4000000;
    std::vector<std::uint64_t> seeds = {7, 8};
    app.add_option("--events", events, "events per fit")->check(CLI::Range(1000L, 1L << 30))->capture_default_str();
    app.add_option("--seeds", seeds, "seeds of the events (one paired comparison each)")
        ->delimiter(',')
        ->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    if (common.quick) {
      events = 20000;
      seeds = {7};
    }
    const auto truth = sim::Proxy2D::truth();
    const auto names = sagips::sim::parameter_names<sim::Proxy2D>();
    nlohmann::json out = {{"name", "sampler_bias"},
                          {"machine", sagips::bench::machine_info()},
                          {"events", events},
                          {"truth", truth},
                          {"reference_grid", 256}};
    std::vector<std::string> header = {"seed", "grid"};
    for (const auto& n : names) header.push_back(n + " shift %");
    for (const auto& n : names) header.push_back(n + " /sigma(1e5)");
    sagips::bench::Table table(header);
    bool converged = true;
    for (std::uint64_t seed : seeds) {
      const std::vector<std::pair<int, fit::FitResult>> fits = {
          {64, fit_grid<64>(env, events, seed)}, {128, fit_grid<128>(env, events, seed)},
          {256, fit_grid<256>(env, events, seed)}};
      const fit::FitResult& ref = fits.back().second;
      for (const auto& [g, r] : fits) {
        converged = converged && r.converged;
        std::vector<std::string> row = {std::to_string(seed), std::to_string(g)};
        nlohmann::json shift, shift_sigma_1e5, shift_sigma_1e6;
        for (int j = 0; j < P; ++j) {
          const double d = r.value[j] - ref.value[j];
          // The fit's sigma scales as 1/sqrt(N): its value at 10^5 and 10^6 events.
          const double s5 = r.sigma[j] * std::sqrt(events / 1e5), s6 = r.sigma[j] * std::sqrt(events / 1e6);
          row.push_back(sagips::bench::fmt("%+.3f", 100 * d / truth[j]));
          shift.push_back(d);
          shift_sigma_1e5.push_back(d / s5);
          shift_sigma_1e6.push_back(d / s6);
        }
        for (int j = 0; j < P; ++j) row.push_back(sagips::bench::fmt("%+.2f", shift_sigma_1e5[j].get<double>()));
        table.add(row);
        out["results"].push_back({{"seed", seed},
                                  {"grid", g},
                                  {"estimate", r.value},
                                  {"sigma", r.sigma},
                                  {"converged", r.converged},
                                  {"shift", shift},
                                  {"shift_in_sigma_1e5", shift_sigma_1e5},
                                  {"shift_in_sigma_1e6", shift_sigma_1e6}});
      }
    }
    if (env.is_root()) {
      std::printf("sampler_bias: %ld events at the truth per fit, shifts from the fit of InverseCdf2D<256>'s events\n",
                  events);
      table.print();
      sagips::bench::write_json(common.json_path, out);
    }
    if (!converged) throw sagips::CollectiveError("a maximum-likelihood fit did not converge: no shift is measured");
    return 0;
  });
}
