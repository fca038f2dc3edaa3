// scaling_driver: sagips's gradient exchanges on many ranks, simulated by SimGrid's SMPI. Every rank
// runs the trainer's step (train/step.hpp) with its compute replaced by simulated time:
//
//   compute --before-ms       the generator, the pipeline, the discriminator on the fakes, the backward passes
//   exchange.start(grads, s)  (and the trainer's finiteness vote beside it, with --vote)
//   --polls slices of --overlap-ms, exchange.test() after each: the discriminator's real half, which the
//                             trainer interrupts between row blocks (2 * ceil(events / 1024) polls on a
//                             host backend, 2 on a device)
//   exchange.finish()         (and the vote's wait)
//   compute --after-ms        the optimizer steps, then exchange.after_update(params)
//
// The exchange is the trainer's own: an Exchanger over every built-in strategy (exchange::Builtin),
// --strategy and the other exchange options as the programs take them. Compute is injected with
// smpi_execute_benched, so host time never enters the simulated clock (run with
// --cfg=smpi/simulate-computation:no; smpi_run.py does).
//
// Verified, every element of every step: rank r's gradient at step s is g_r(i) = A(r, s) + B(i), small
// integers (exact in float: every partial sum is exact, the mean costs one rounding); after finish()
// element i must be the mean of A over contributors(s), plus B(i). A(r, s) changes with s, so a
// result from the previous step fails too. A parameter server's masters apply params += grads; at
// the end rank 0 must hold the sum of every gradient pushed (downpour; with sub-masters only when
// every update is passed on, sync_every = 1).
//
// Prints one JSON object (rank 0) with the simulated step time of the slowest rank (from the moment
// the last rank leaves the starting barrier) and the exchange time it could not hide, and writes it
// to --json. Exit code 1 when a result is wrong.
//
//   smpirun -np N -platform P.xml -hostfile H --cfg=... scaling_driver.so --strategy async-ring
//           [--floats 51589] [--steps 4] [--before-ms 3.1 --overlap-ms 1.9 --after-ms 0.01 --polls 2]
//   (benchmarks/scaling/smpi_run.py writes the platform's hostfile and passes the settings)
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sagips/runtime/environment.hpp>
#include <sagips/exchange.hpp>
#include <sagips/options/cli.hpp>
#include <sagips/sim.hpp>
#include <sagips/train/step.hpp>
#include <sagips/train/trainer.hpp>
#include <string>
#include <vector>

namespace ex = sagips::exchange;
using Pipe = sagips::sim::Pipeline<sagips::sim::Proxy2D, sagips::sim::InverseCdf2D<64>, sagips::sim::GaussianSmearing>;
// The buffer the main job exchanges: the default generator's parameters (10 -> 4x128 -> 5).
constexpr std::size_t generator_floats = sagips::train::DefaultGenerator<Pipe>::num_params;

namespace {

struct Options {
  std::size_t floats = generator_floats;
  int steps = 4;
  double before_ms = 0, overlap_ms = 0, after_ms = 0;
  int polls = 0;
  int models = 1;  // independent models (the trainer's --models): the strategy runs inside each
  bool vote = false;
  std::string json_path, label;
};

// Simulated compute: the clock of this rank advances, the host does nothing.
void compute(double ms) {
  if (ms > 0) smpi_execute_benched(ms * 1e-3);
}

// The test pattern: small integers, so every sum is exact in float whatever its order.
double a_of(int rank, long step) { return (rank + 1) + 512.0 * (step % 4); }
double b_of(std::size_t i) { return static_cast<double>(i % 509); }

void fill(const sagips::Vector<float>& g, int rank, long step) {
  const float a = static_cast<float>(a_of(rank, step));
  Kokkos::parallel_for("scaling::fill", Kokkos::RangePolicy<sagips::ExecSpace>(0, g.extent(0)),
                       KOKKOS_LAMBDA(std::size_t i) { g(i) = a + static_cast<float>(i % 509); });
  Kokkos::fence();
}

// Elements of g that are not mean_a + B(i) (relative tolerance: one rounding of the mean, and the
// scale by 1/N).
long count_wrong(const sagips::Vector<float>& g, double mean_a) {
  const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), g);
  long bad = 0;
  for (std::size_t i = 0; i < h.extent(0); ++i) {
    const double want = mean_a + b_of(i);
    if (!(std::abs(h(i) - want) <= 1e-6 * std::max(1.0, want))) ++bad;
  }
  return bad;
}

int run(sagips::Environment& env, int argc, char** argv) {
  CLI::App app{"scaling_driver: sagips's exchanges in the trainer's step, on SimGrid's simulated MPI"};
  Options o;
  ex::Config cfg;
  cfg.timeout_seconds = 0;  // no watchdog: its polling would cost simulated time; waits block
  app.add_option("--floats", o.floats, "gradient buffer length (default: the default generator's parameters)")
      ->capture_default_str();
  app.add_option("--steps", o.steps, "training steps (all timed)")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--before-ms", o.before_ms, "compute before start(): generator, pipeline, fake half, backward")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--overlap-ms", o.overlap_ms, "compute between start() and finish(): the discriminator's real half")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--after-ms", o.after_ms, "compute after finish(): the optimizer steps")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--models", o.models, "independent models, the strategy inside each (0: one per rank)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--polls", o.polls, "test() calls spread over the overlap (0: none)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_flag("--vote", o.vote, "the trainer's finiteness vote (an MPI_Iallgather) beside each exchange");
  app.add_option("--json", o.json_path, "write the result here (rank 0)");
  app.add_option("--label", o.label, "copied into the result (no spaces: smpirun splits arguments at them)");
  bool list = false;
  app.add_flag("--list-strategies", list, "print the strategies' names, one a line, and stop");
  sagips::options::add_options(app, cfg);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return env.is_root() ? app.exit(e) : e.get_exit_code();
  }
  if (list) {
    if (env.is_root())
      for (const auto& name : ex::strategy_names<ex::Builtin>()) std::printf("%s\n", name.c_str());
    return 0;
  }
  sagips::watchdog::set_timeout(cfg.timeout_seconds);
  const MPI_Comm comm = env.comm();
  const int rank = env.rank(), size = env.size();

  // The trainer's split into independent models; the exchange runs inside this rank's model.
  const sagips::train::ModelPartition models(comm, o.models);
  const int first = models.membership().index * models.membership().ranks;  // the model's rank 0, in comm
  ex::Exchanger<ex::Builtin, float> x(models.comm(), cfg, o.floats);
  sagips::Vector<float> grads("scaling::grads", o.floats), params;
  // Weights only where the strategy reads or writes them (a parameter server): memory is what limits
  // how many ranks one machine can simulate.
  if (x.description().replaces_params || x.description().has_server)
    params = sagips::Vector<float>("scaling::params", o.floats);
  sagips::train::FinitenessVote vote;
  const bool server = x.is_server();
  // The vote is among the ranks that train, as in the trainer (a parameter server's masters do not).
  const sagips::Comm workers = sagips::Comm::split(comm, server ? MPI_UNDEFINED : 0, rank, "the workers");
  long wrong = 0, checked = 0;
  double exposed = 0;

  MPI_Barrier(comm);
  const double t0 = MPI_Wtime();
  if (server) {
    x.serve(params, [](sagips::Vector<float> p, sagips::ConstVector<float> g) {
      Kokkos::parallel_for("scaling::apply", Kokkos::RangePolicy<sagips::ExecSpace>(0, p.extent(0)),
                           KOKKOS_LAMBDA(std::size_t i) { p(i) += g(i); });
      Kokkos::fence();
    });
  } else {
    for (long s = 1; s <= o.steps; ++s) {
      fill(grads, rank, s);
      compute(o.before_ms);
      double t = MPI_Wtime();
      x.start(grads, s);
      if (o.vote) vote.start(sagips::train::Verdict::ok, workers);
      exposed += MPI_Wtime() - t;
      if (o.polls == 0) compute(o.overlap_ms);
      for (int p = 0; p < o.polls; ++p) {
        compute(o.overlap_ms / o.polls);
        x.test();
      }
      t = MPI_Wtime();
      x.finish();
      if (o.vote) vote.finish(s);
      exposed += MPI_Wtime() - t;
      const std::vector<int> from = x.contributors(s);
      if (!from.empty()) {  // empty: not an average (a parameter-server worker)
        double mean_a = 0;
        for (int q : from) mean_a += a_of(first + q, s);  // q: a rank of the model
        wrong += count_wrong(grads, mean_a / static_cast<double>(from.size()));
        ++checked;
      }
      compute(o.after_ms);
      t = MPI_Wtime();
      x.after_update(params);
      exposed += MPI_Wtime() - t;
    }
    x.worker_done();
  }
  const double t_end = MPI_Wtime();
  // SMPI's clock is one clock for every rank, and ranks leave a barrier at different times (by the
  // barrier algorithm's latency, which depends on the collective selector). The run starts when the
  // last rank has left it: an exchange cannot finish before that, and the skew is not the exchange's.
  double start = t0;
  MPI_Allreduce(&t0, &start, 1, MPI_DOUBLE, MPI_MAX, comm);
  const double elapsed = t_end - start;

  // A parameter server: every pushed gradient applied once at rank 0.
  bool ps_checked = false;
  if (x.description().has_server && models.membership().count == 1 && cfg.algorithm == ex::PsAlgorithm::downpour &&
      (cfg.masters == 1 || cfg.sync_every == 1)) {
    ps_checked = true;
    if (rank == 0) {
      double sum_a = 0;
      for (int w = cfg.masters; w < size; ++w)
        for (long s = 1; s <= o.steps; ++s) sum_a += a_of(w, s);
      const double pushes = static_cast<double>(size - cfg.masters) * o.steps;
      const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
      for (std::size_t i = 0; i < h.extent(0); ++i) {
        const double want = sum_a + pushes * b_of(i);
        if (!(std::abs(h(i) - want) <= 1e-6 * std::max(1.0, want))) ++wrong;
      }
      ++checked;
    }
  }

  // The slowest worker's step time, and the exchange time each worker could not hide.
  double per_step = server ? 0 : elapsed / o.steps, exposed_step = server ? 0 : exposed / o.steps;
  double slowest = 0, exposed_max = 0, exposed_sum = 0;
  long wrong_all = 0, checked_all = 0;
  MPI_Allreduce(&per_step, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(&exposed_step, &exposed_max, 1, MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(&exposed_step, &exposed_sum, 1, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(&wrong, &wrong_all, 1, MPI_LONG, MPI_SUM, comm);
  MPI_Allreduce(&checked, &checked_all, 1, MPI_LONG, MPI_SUM, comm);
  int working = server ? 0 : 1, workers_all = 0;
  MPI_Allreduce(&working, &workers_all, 1, MPI_INT, MPI_SUM, comm);

  if (env.is_root()) {
    nlohmann::json out = {{"label", o.label},
                          {"strategy", x.name()},
                          {"ranks", size},
                          {"models", models.membership().count},
                          {"workers", workers_all},
                          {"floats", o.floats},
                          {"bytes", o.floats * sizeof(float)},
                          {"steps", o.steps},
                          {"compute_ms", {{"before", o.before_ms}, {"overlap", o.overlap_ms}, {"after", o.after_ms}}},
                          {"polls", o.polls},
                          {"vote", o.vote},
                          {"exchange", cfg},
                          {"step_s", slowest},
                          // what the exchange adds to the compute of a step, on the slowest rank
                          {"overhead_s", slowest - (o.before_ms + o.overlap_ms + o.after_ms) * 1e-3},
                          {"exposed_max_s", exposed_max},
                          {"exposed_mean_s", workers_all > 0 ? exposed_sum / workers_all : 0.0},
                          {"checked_results", checked_all},
                          {"parameter_server_checked", ps_checked},
                          {"wrong_values", wrong_all},
                          {"verified", wrong_all == 0 && checked_all > 0}};
    std::printf("%s\n", out.dump().c_str());
    if (!o.json_path.empty()) std::ofstream(o.json_path) << out.dump(2) << "\n";
    if (wrong_all > 0) std::fprintf(stderr, "error: %ld values differ from the true mean\n", wrong_all);
    if (checked_all == 0) std::fprintf(stderr, "error: no result was checked\n");
    std::fflush(stdout);
  }
  return wrong_all == 0 && checked_all > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // SMPI provides MPI_THREAD_SINGLE, and sagips calls MPI from one thread only.
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) { return run(env, argc, argv); },
                          MPI_THREAD_SINGLE);
}
