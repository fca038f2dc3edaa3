// bench_exchange: the time of one gradient exchange per strategy and buffer size (median over
// repeats of the slowest rank), its ratio to MPI_Allreduce measured in the same run, and the overlap
// efficiency of the non-blocking strategies: exchange + a fixed compute kernel (calling test()
// between chunks, as the trainer does) against the two run one after the other.
//
//   mpirun -np N bench_exchange [--sizes-kib 1,4,...,65536] [--repeats 20] [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <cmath>
#include <sagips/sagips.hpp>
#include <vector>

#include "bench.hpp"

namespace ex = sagips::exchange;
using sagips::bench::now_seconds;

namespace {

// A fixed amount of arithmetic, in chunks; between chunks `between()` is called.
template <class F>
double compute(std::vector<float>& work, int chunks, F&& between) {
  double acc = 0;
  for (int c = 0; c < chunks; ++c) {
    for (auto& v : work) v = v * 0.999f + 0.001f;
    acc += work[static_cast<std::size_t>(c) % work.size()];
    between();
  }
  return acc;
}

double max_over_ranks(double t) {
  MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return t;
}

template <class Tag>
sagips::bench::Stats time_exchange(const ex::Config& c, std::size_t n, int repeats, std::int64_t step) {
  ex::Exchanger<Tag, float> e(MPI_COMM_WORLD, c, n);
  std::vector<float> g(n, 1.0f);
  std::vector<double> t;
  for (int r = -2; r < repeats; ++r) {
    std::fill(g.begin(), g.end(), 1.0f);
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now_seconds();
    e.start(g.data(), nullptr, step);
    e.finish();
    const double dt = max_over_ranks(now_seconds() - t0);
    if (r >= 0) t.push_back(dt);
  }
  return sagips::bench::summarize(t);
}

// Exchange and compute, overlapped: start, compute calling test() between chunks, finish.
template <class Tag>
double time_overlapped(const ex::Config& c, std::size_t n, int repeats, std::int64_t step, std::vector<float>& work,
                       int chunks) {
  ex::Exchanger<Tag, float> e(MPI_COMM_WORLD, c, n);
  std::vector<float> g(n, 1.0f);
  std::vector<double> t;
  for (int r = -2; r < repeats; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now_seconds();
    e.start(g.data(), nullptr, step);
    compute(work, chunks, [&] { e.test(); });
    e.finish();
    const double dt = max_over_ranks(now_seconds() - t0);
    if (r >= 0) t.push_back(dt);
  }
  return sagips::bench::summarize(t).median;
}

}  // namespace

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"bench_exchange: gradient exchange strategies against MPI_Allreduce"};
    std::vector<long> sizes_kib = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536};
    int repeats = 20;
    app.add_option("--sizes-kib", sizes_kib, "buffer sizes in KiB (float)")->delimiter(',')->capture_default_str();
    app.add_option("--repeats", repeats, "timed repeats")->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    const std::string& json_path = common.json_path;
    const bool quick = common.quick;
    if (quick) {
      sizes_kib = {1, 64};
      repeats = 3;
    }
    const int ranks = env.size();
    ex::Config c;
    c.group_size = ranks % 2 == 0 ? 2 : 1;  // two-rank groups when the rank count allows
    nlohmann::json out = {{"name", "bench_exchange"}, {"machine", sagips::bench::machine_info()},
                          {"ranks", ranks}, {"group_size", c.group_size},
                          {"oversubscribed", ranks > static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))}};
    sagips::bench::Table table({"KiB", "allreduce ms", "iallreduce", "sync-ring", "async inner", "async outer",
                                "ensemble", "ring/allreduce", "overlap t/(ex+comp)"});
    for (long kib : sizes_kib) {
      const std::size_t n = static_cast<std::size_t>(kib) * 1024 / sizeof(float);
      const auto ar = time_exchange<ex::Allreduce>(c, n, repeats, 1);
      const auto iar = time_exchange<ex::Iallreduce>(c, n, repeats, 1);
      const auto ring = time_exchange<ex::SyncRing>(c, n, repeats, 1);
      const auto inner = time_exchange<ex::AsyncRing>(c, n, repeats, 1);
      const auto outer = time_exchange<ex::AsyncRing>(c, n, repeats, 2);
      const auto ens = time_exchange<ex::Ensemble>(c, n, repeats, 1);
      // Overlap: a compute kernel about as long as the async inner exchange.
      std::vector<float> work(16384, 1.0f);
      const double t_chunk = [&] {
        const double t0 = now_seconds();
        compute(work, 20, [] {});
        return (now_seconds() - t0) / 20;
      }();
      const int chunks = std::max(1, static_cast<int>(inner.median / std::max(t_chunk, 1e-7)));
      double t_comp = 0;
      {
        std::vector<double> t;
        for (int r = 0; r < repeats; ++r) {
          const double t0 = now_seconds();
          compute(work, chunks, [] {});
          t.push_back(max_over_ranks(now_seconds() - t0));
        }
        t_comp = sagips::bench::summarize(t).median;
      }
      const double t_both = time_overlapped<ex::AsyncRing>(c, n, repeats, 1, work, chunks);
      const double overlap = t_both / (inner.median + t_comp);
      table.add({std::to_string(kib), sagips::bench::fmt("%.3f", ar.median * 1e3), sagips::bench::fmt("%.3f", iar.median * 1e3),
                 sagips::bench::fmt("%.3f", ring.median * 1e3), sagips::bench::fmt("%.3f", inner.median * 1e3),
                 sagips::bench::fmt("%.3f", outer.median * 1e3), sagips::bench::fmt("%.3f", ens.median * 1e3),
                 sagips::bench::fmt("%.2f", ring.median / ar.median), sagips::bench::fmt("%.2f", overlap)});
      out["results"].push_back({{"kib", kib},
                                {"elements", n},
                                {"allreduce", sagips::bench::to_json(ar)},
                                {"iallreduce", sagips::bench::to_json(iar)},
                                {"sync_ring", sagips::bench::to_json(ring)},
                                {"async_ring_inner", sagips::bench::to_json(inner)},
                                {"async_ring_outer", sagips::bench::to_json(outer)},
                                {"ensemble", sagips::bench::to_json(ens)},
                                {"ratio_to_allreduce",
                                 {{"iallreduce", iar.median / ar.median},
                                  {"sync_ring", ring.median / ar.median},
                                  {"async_ring_inner", inner.median / ar.median},
                                  {"async_ring_outer", outer.median / ar.median},
                                  {"ensemble", ens.median / ar.median}}},
                                {"overlap",
                                 {{"exchange_s", inner.median},
                                  {"compute_s", t_comp},
                                  {"together_s", t_both},
                                  {"together_over_sum", overlap},
                                  {"hidden_fraction", std::max(0.0, (inner.median + t_comp - t_both) / inner.median)}}}});
    }
    if (env.is_root()) {
      std::printf("bench_exchange: %d rank(s)%s, float buffers, groups of %d (median of %d, slowest rank)\n", ranks,
                  out["oversubscribed"].get<bool>() ? " (more ranks than cores: oversubscribed)" : "", c.group_size,
                  repeats);
      table.print();
      sagips::bench::write_json(json_path, out);
    }
    return 0;
  });
}
