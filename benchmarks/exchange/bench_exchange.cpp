// bench_exchange: one gradient exchange per strategy and buffer size, against a plain MPI_Allreduce
// of the same buffer measured in the same run, and how much of each exchange the discriminator step
// hides, driven at the trainer's own cadence.
//
// Rows: every built-in strategy (the list exchange::Builtin), the user strategy of examples/06_torus,
// and MPI_Allreduce itself; each strategy that compresses (Traits::compressible) again with
// --compression bf16 and fp16 ("sync-ring+bf16": half the bytes, plus encoding, decoding and the
// error feedback). For each buffer size:
//   exchange   start() .. finish() with nothing in between (median over repeats of the slowest rank;
//              the parameter server: a worker's push and pull, rank 0 serving);
//   overlapped start(), the discriminator's real half (the paper's 2 -> 4x128 -> 1 network, forward and
//              backward on --batch events, calling test() between row blocks as the trainer does),
//              finish(); against the discriminator alone. hidden = (exchange + D - overlapped) / exchange.
//
//   mpirun -np N bench_exchange [--sizes-kib 1,16,...] [--repeats 20] [--batch 4096] [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <sagips/sagips.hpp>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../../examples/06_torus/torus.hpp"
#include "bench.hpp"

namespace ex = sagips::exchange;
using sagips::bench::now_seconds;
using Disc = sagips::nn::Mlp<2, 1, sagips::nn::Hidden<128, 128, 128, 128>, sagips::nn::LeakyRelu>;
// The rows: the built-in list itself, so a strategy added to it gets its row here without an edit.
using Rows = ex::detail::choice_list<ex::BuiltinAnd<examples::Torus2D>>::type;

namespace {

double max_over_ranks(double t, MPI_Comm comm = MPI_COMM_WORLD) {
  MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm);
  return t;
}

// The discriminator's real half of a training step, polling `poll` between row blocks.
struct DiscriminatorHalf {
  Disc d;
  Disc::Context ctx;
  sagips::Matrix<float> x, dy;
  explicit DiscriminatorHalf(int batch) : ctx(d.make_context(batch)), x("x", batch, 2), dy("dy", batch, 1) {
    d.initialize(7);
    Kokkos::deep_copy(x, 0.5f);
    Kokkos::deep_copy(dy, 1e-3f);
  }
  void run(const std::function<void()>& poll) {
    ctx.progress = poll;
    d.forward(ctx, x);
    d.backward(ctx, dy, sagips::Matrix<float>(), sagips::nn::ParamGrad::overwrite);
    ctx.progress = nullptr;
    Kokkos::fence();
  }
};

struct Row {
  std::string name;
  ex::Compression compression = ex::Compression::none;
  sagips::bench::Stats exchange;
  double overlapped = 0;
};

// Every rank gets the lowest training rank's row (rank 0 may be a parameter-server master).
Row share(Row row, bool server) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int root = server ? size : rank;
  MPI_Allreduce(MPI_IN_PLACE, &root, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  double v[5] = {row.exchange.median, row.exchange.min, row.exchange.max, double(row.exchange.repeats), row.overlapped};
  MPI_Bcast(v, 5, MPI_DOUBLE, root, MPI_COMM_WORLD);
  row.exchange = {v[0], v[1], v[2], static_cast<int>(v[3])};
  row.overlapped = v[4];
  return row;
}

// Times one strategy: alone, and overlapped with the discriminator half (median of the slowest rank).
template <class S>
Row time_strategy(const ex::Config& c, std::size_t n, int repeats, DiscriminatorHalf& disc) {
  Row row{S::name, c.compression, {}, 0};
  if (c.compression != ex::Compression::none) row.name += std::string("+") + ex::to_string(c.compression);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (ex::Traits<S>::has_server && size < 2) return row;  // a server needs a worker
  // Local exchanges nothing: each rank a model of its own (--models 0), as the trainer runs it.
  const sagips::train::ModelPartition one_rank_models(MPI_COMM_WORLD, 0);
  ex::Exchanger<S, float> e(std::is_same_v<S, ex::Local> ? one_rank_models.comm().get() : MPI_COMM_WORLD, c, n);
  sagips::Vector<float> g("g", n), params("params", n);
  const sagips::Comm workers = sagips::Comm::split(MPI_COMM_WORLD, e.is_server() ? MPI_UNDEFINED : 0, rank, "bench");
  if (e.is_server()) {  // a parameter-server master serves both timing passes
    for (int pass = 0; pass < 2; ++pass)
      e.serve(params, [](sagips::Vector<float>, sagips::ConstVector<float>) {});
    return share(row, true);
  }
  const bool server_strategy = ex::Traits<S>::has_server;
  std::vector<double> alone, both;
  for (int pass = 0; pass < 2; ++pass) {
    for (int r = -2; r < repeats; ++r) {
      Kokkos::deep_copy(g, 1.0f);
      if (!server_strategy) MPI_Barrier(workers);
      const double t0 = now_seconds();
      e.start(g, 1);
      if (pass == 1) disc.run([&] { e.test(); });
      e.finish();
      e.after_update(params);
      const double dt = now_seconds() - t0;
      const double slowest = max_over_ranks(dt, workers);
      if (r >= 0) (pass == 0 ? alone : both).push_back(slowest);
    }
    if (server_strategy) e.worker_done();
  }
  row.exchange = sagips::bench::summarize(alone);
  row.overlapped = sagips::bench::summarize(both).median;
  return share(row, false);
}

// MPI_Allreduce itself: the baseline every ratio is taken against.
sagips::bench::Stats time_mpi_allreduce(std::size_t n, int repeats) {
  std::vector<float> g(n, 1.0f);
  std::vector<double> t;
  for (int r = -2; r < repeats; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now_seconds();
    MPI_Allreduce(MPI_IN_PLACE, g.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    const double dt = max_over_ranks(now_seconds() - t0);
    if (r >= 0) t.push_back(dt);
  }
  return sagips::bench::summarize(t);
}

}  // namespace

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"bench_exchange: gradient exchange strategies against MPI_Allreduce, alone and overlapped"};
    std::vector<long> sizes_kib = {1, 16, 206, 1024, 4096, 16384};
    int repeats = 20, batch = 4096;
    app.add_option("--sizes-kib", sizes_kib, "buffer sizes in KiB (float; 206 KiB: the paper's generator)")
        ->delimiter(',')->capture_default_str();
    app.add_option("--repeats", repeats, "timed repeats")->capture_default_str();
    app.add_option("--batch", batch, "events of the discriminator's real half overlapped with the exchange")
        ->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    if (common.quick) {
      sizes_kib = {1, 64};
      repeats = 3;
      batch = 1024;
    }
    const int ranks = env.size();
    ex::Config c;
    c.group_size = ranks % 2 == 0 ? 2 : 1;  // two-rank groups when the rank count allows
    DiscriminatorHalf disc(batch);
    // The discriminator alone, for the hidden fraction.
    std::vector<double> td;
    for (int r = -2; r < repeats; ++r) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = now_seconds();
      disc.run(nullptr);
      const double dt = max_over_ranks(now_seconds() - t0);
      if (r >= 0) td.push_back(dt);
    }
    const double t_disc = sagips::bench::summarize(td).median;

    nlohmann::json out = {{"name", "bench_exchange"}, {"machine", sagips::bench::machine_info()},
                          {"ranks", ranks}, {"group_size", c.group_size}, {"batch", batch},
                          {"discriminator_s", t_disc},
                          {"oversubscribed", ranks > static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))}};
    for (long kib : sizes_kib) {
      const std::size_t n = static_cast<std::size_t>(kib) * 1024 / sizeof(float);
      const auto base = time_mpi_allreduce(n, repeats);
      std::vector<Row> rows;
      auto rows_of = [&](auto s) {
        using S = decltype(s);
        rows.push_back(time_strategy<S>(c, n, repeats, disc));
        if constexpr (ex::Traits<S>::compressible) {
          for (ex::Compression f : {ex::Compression::bf16, ex::Compression::fp16}) {
            ex::Config compressed = c;
            compressed.compression = f;
            rows.push_back(time_strategy<S>(compressed, n, repeats, disc));
          }
        }
      };
      std::apply([&](auto... s) { (rows_of(s), ...); }, Rows{});
      sagips::bench::Table table({"strategy", "exchange ms", "/ MPI_Allreduce", "with D ms", "hidden"});
      table.add({"MPI_Allreduce", sagips::bench::fmt("%.3f", base.median * 1e3), "1.00", "-", "-"});
      nlohmann::json size = {{"kib", kib}, {"elements", n}, {"mpi_allreduce", sagips::bench::to_json(base)}};
      for (const Row& r : rows) {
        if (r.exchange.repeats == 0) continue;  // not run (a parameter server on one rank)
        const double hidden = r.exchange.median > 0
                                  ? std::max(0.0, (r.exchange.median + t_disc - r.overlapped) / r.exchange.median)
                                  : 0.0;
        table.add({r.name, sagips::bench::fmt("%.3f", r.exchange.median * 1e3),
                   sagips::bench::fmt("%.2f", r.exchange.median / base.median),
                   sagips::bench::fmt("%.3f", r.overlapped * 1e3), sagips::bench::fmt("%.0f%%", 100 * std::min(1.0, hidden))});
        size["strategies"][r.name] = {{"compression", ex::to_string(r.compression)},
                                      {"exchange", sagips::bench::to_json(r.exchange)},
                                      {"ratio_to_mpi_allreduce", r.exchange.median / base.median},
                                      {"overlapped_s", r.overlapped},
                                      {"hidden_fraction", std::min(1.0, hidden)}};
      }
      out["results"].push_back(size);
      if (env.is_root()) {
        std::printf("\n%ld KiB (%zu floats), %d rank(s)%s, groups of %d, D half %.3f ms (median of %d, slowest rank)\n",
                    kib, n, ranks, out["oversubscribed"].get<bool>() ? " (oversubscribed)" : "", c.group_size,
                    t_disc * 1e3, repeats);
        table.print();
      }
    }
    if (env.is_root()) sagips::bench::write_json(common.json_path, out);
    return 0;
  });
}
