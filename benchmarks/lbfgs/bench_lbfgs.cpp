// bench_lbfgs: L-BFGS against the damped Newton fit and Adam, on deterministic losses spread over the
// ranks (run it under mpirun -np 1, 2, 4: every rank holds an even share of the events or rows).
//
//  1. A 30-parameter Bernstein density (fit/bernstein.hpp) fitted to --events events by maximum
//     likelihood from a flat start: L-BFGS-B (fit::minimize_lbfgs), Newton (fit::minimize, a full
//     Hessian of 2P gradients per iteration) and Adam on the mean -ln L (each --adam-lr). "To target":
//     the first evaluation within 0.5 of the best -ln L found (a difference no data set can tell).
//  2. A network surrogate (1 -> 32 -> 32 -> 1 tanh, double) fitted by least squares
//     (optim/least_squares.hpp) to --rows fixed points of sin(3x) + x^2/2: L-BFGS against Adam, the
//     evaluations and time to a mean squared error of 1e-3 and 1e-4.
//
// Evaluations are the unit of work (one value and gradient over all events: one all-reduce);
// seconds are wall time on this machine.
//
//   bench_lbfgs [--events 1000000] [--rows 2048] [--adam-lr 0.03,0.1] [--adam-steps 1000]
//               [--newton-iterations 30] [--surrogate-adam-lr 0.003,0.01] [--surrogate-steps 10000]
//               [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <cmath>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "bench.hpp"

namespace {
constexpr int kDegree = 30;
using Bern = sagips::fit::BernsteinNll<kDegree>;
using Net = sagips::nn::Mlp<1, 1, sagips::nn::Hidden<32, 32>, sagips::nn::Tanh, sagips::nn::Identity, double>;

// A likelihood that records every evaluation's value and time.
struct Traced {
  static constexpr int P = Bern::P;
  using Vec = Bern::Vec;
  explicit Traced(const Bern& n) : nll(n) {}
  const Bern& nll;
  double start = sagips::bench::now_seconds();
  mutable std::vector<double> values, seconds;
  long events() const { return nll.events(); }
  double evaluate(const Vec& p, Vec* g = nullptr) const {
    const double f = nll.evaluate(p, g);
    values.push_back(f);
    seconds.push_back(sagips::bench::now_seconds() - start);
    return f;
  }
};

// The first evaluation at or below target: {evaluations, seconds}, or {-1, -1}.
std::pair<int, double> first_below(const std::vector<double>& values, const std::vector<double>& seconds, double target) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] <= target) return {static_cast<int>(i + 1), seconds[i]};
  return {-1, -1.0};
}

// Adam on a vector, through the library's optimizer (its state lives in views).
struct VectorAdam {
  sagips::optim::Adam<double> adam;
  sagips::Vector<double> p, g;
  VectorAdam(int n, double lr) : adam(n, config(lr)), p("p", n), g("g", n) {}
  static sagips::optim::Adam<double>::Config config(double lr) {
    sagips::optim::Adam<double>::Config c;
    c.lr = lr;
    c.beta1 = 0.9;
    return c;
  }
  void step(Eigen::VectorXd& x, const Eigen::VectorXd& grad) {
    auto hp = Kokkos::create_mirror_view(p);
    auto hg = Kokkos::create_mirror_view(g);
    for (int j = 0; j < x.size(); ++j) {
      hp(j) = x[j];
      hg(j) = grad[j];
    }
    Kokkos::deep_copy(p, hp);
    Kokkos::deep_copy(g, hg);
    adam.step(p, g);
    Kokkos::deep_copy(hp, p);
    for (int j = 0; j < x.size(); ++j) x[j] = hp(j);
  }
};

std::string cell(int evaluations, double seconds) {
  return evaluations < 0 ? std::string("not reached") : std::to_string(evaluations) + " / " + sagips::bench::fmt("%.2f s", seconds);
}

// Rank r's even share [begin, end) of n items.
std::pair<long, long> share_of(long n, int r, int size) { return {n * r / size, n * (r + 1) / size}; }
}  // namespace

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"bench_lbfgs: L-BFGS against Newton and Adam on deterministic losses over ranks"};
    long events = 1000000;
    long rows = 2048;
    std::vector<double> adam_lr = {0.03, 0.1}, surrogate_lr = {0.003, 0.01};
    int adam_steps = 1000, surrogate_steps = 10000, newton_iterations = 30;
    app.add_option("--events", events, "events of the Bernstein fit")->check(CLI::Range(100L, 100000000L))->capture_default_str();
    app.add_option("--rows", rows, "fixed points of the surrogate fit")->check(CLI::Range(16L, 10000000L))->capture_default_str();
    app.add_option("--adam-lr", adam_lr, "Adam's learning rates on the Bernstein fit")->delimiter(',')->capture_default_str();
    app.add_option("--adam-steps", adam_steps, "Adam's steps on the Bernstein fit")->capture_default_str();
    app.add_option("--newton-iterations", newton_iterations, "Newton's iterations (each 2P + 1 evaluations or more)")->capture_default_str();
    app.add_option("--surrogate-adam-lr", surrogate_lr, "Adam's learning rates on the surrogate")->delimiter(',')->capture_default_str();
    app.add_option("--surrogate-steps", surrogate_steps, "Adam's steps on the surrogate")->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    if (common.quick) {
      events = 20000;
      rows = 256;
      adam_steps = 50;
      surrogate_steps = 200;
      newton_iterations = 2;
    }
    const MPI_Comm comm = env.comm();
    const int rank = env.rank(), size = env.size();
    nlohmann::json out = {{"name", "bench_lbfgs"}, {"machine", sagips::bench::machine_info()}, {"events", events},
                          {"rows", rows}, {"degree", kDegree}};

    // 1. The Bernstein likelihood.
    Bern::Vec truth;
    for (int k = 1; k <= kDegree; ++k) {  // w_k: (u + 0.1)^0.7 (1.1 - u)^3 at u = k/n, relative to u = 0
      const double u = double(k) / kDegree;
      truth[k - 1] = 0.7 * std::log((u + 0.1) / 0.1) + 3 * std::log((1.1 - u) / 1.1);
    }
    const auto all = sagips::fit::bernstein_sample<kDegree>(truth, events, 0.0, 1.0, 2026);
    const auto [b, e] = share_of(events, rank, size);
    const Bern nll(std::vector<double>(all.begin() + b, all.begin() + e), 0.0, 1.0, comm);
    std::array<double, kDegree> flat{}, lo{}, hi{};
    lo.fill(-20);
    hi.fill(20);
    sagips::fit::LbfgsFitOptions lo_opts;
    lo_opts.uncertainties = false;
    lo_opts.lbfgs.value_tolerance = 1e-10;  // about 1e-5 nats per iteration at 10^6 events: far below any sigma
    lo_opts.lbfgs.max_iterations = common.quick ? 100 : 1000;
    sagips::fit::FitOptions newton_opts;
    newton_opts.max_iterations = newton_iterations;
    Traced tl(nll), tn(nll);
    const auto lbfgs = sagips::fit::minimize_lbfgs(tl, flat, lo, hi, lo_opts);
    const auto newton = sagips::fit::minimize(tn, flat, lo, hi, newton_opts);
    struct Run {
      std::string method, status;
      std::vector<double> values, seconds;
    };
    std::vector<Run> runs = {{"L-BFGS-B", lbfgs.status, tl.values, tl.seconds},
                             {"Newton (damped)", newton.status, tn.values, tn.seconds}};
    for (double lr : adam_lr) {
      Run r{"Adam lr " + sagips::bench::fmt("%g", lr), "", {}, {}};
      VectorAdam adam(kDegree, lr);
      Eigen::VectorXd x = Eigen::VectorXd::Zero(kDegree);
      const double t0 = sagips::bench::now_seconds();
      for (int s = 0; s < adam_steps; ++s) {
        Bern::Vec p = x, g;
        r.values.push_back(nll.evaluate(p, &g));
        r.seconds.push_back(sagips::bench::now_seconds() - t0);
        adam.step(x, Eigen::VectorXd(g / static_cast<double>(events)));
        for (int j = 0; j < kDegree; ++j) x[j] = std::min(std::max(x[j], -20.0), 20.0);
      }
      r.status = std::to_string(adam_steps) + " steps";
      runs.push_back(r);
    }
    double best = std::min(lbfgs.nll, newton.nll);
    for (const auto& r : runs)
      for (double v : r.values) best = std::min(best, v);
    sagips::bench::Table t1({"Bernstein fit", "evaluations / s to target", "evaluations", "s", "-lnL - best", "status"});
    nlohmann::json j1 = nlohmann::json::array();
    for (const auto& r : runs) {
      const auto [k, s] = first_below(r.values, r.seconds, best + 0.5);
      double last_best = r.values.front();
      for (double v : r.values) last_best = std::min(last_best, v);
      t1.add({r.method, cell(k, s), std::to_string(r.values.size()), sagips::bench::fmt("%.2f", r.seconds.back()),
              sagips::bench::fmt("%.3g", last_best - best), r.status});
      j1.push_back({{"method", r.method}, {"evaluations_to_target", k}, {"seconds_to_target", s},
                    {"evaluations", r.values.size()}, {"seconds", r.seconds.back()}, {"excess_nll", last_best - best},
                    {"status", r.status}});
    }
    out["bernstein"] = j1;

    // 2. The network surrogate.
    const auto [rb, re] = share_of(rows, rank, size);
    auto column = [&](bool target) {
      sagips::Matrix<double> m(target ? "y" : "x", re - rb, 1);
      auto h = Kokkos::create_mirror_view(m);
      for (long i = rb; i < re; ++i) {
        const double x = -1.5 + 3.0 * (i + 0.5) / rows;
        h(i - rb, 0) = target ? std::sin(3 * x) + 0.5 * x * x : x;
      }
      Kokkos::deep_copy(m, h);
      return m;
    };
    const auto x = column(false), y = column(true);
    std::vector<Run> fits;
    {
      Net net;
      net.initialize(7);
      sagips::optim::LeastSquares<Net> share(net, x, y, rows);
      sagips::optim::LbfgsOptions o;
      o.max_iterations = common.quick ? 100 : 5000;
      o.gradient_tolerance = 1e-10;
      const auto r = sagips::optim::lbfgs(share, share.parameters(), comm, o);
      fits.push_back({"L-BFGS", r.status, r.values, r.seconds});
    }
    for (double lr : surrogate_lr) {
      Net net;
      net.initialize(7);
      sagips::optim::LeastSquares<Net> share(net, x, y, rows);
      Run r{"Adam lr " + sagips::bench::fmt("%g", lr), std::to_string(surrogate_steps) + " steps", {}, {}};
      Eigen::VectorXd p = share.parameters(), g, sum(p.size());
      VectorAdam adam(static_cast<int>(p.size()), lr);
      const double t0 = sagips::bench::now_seconds();
      for (int s = 0; s < surrogate_steps; ++s) {
        double f = share(p, g);
        sagips::mpi::allreduce(g.data(), sum.data(), static_cast<int>(g.size()), MPI_DOUBLE, MPI_SUM, comm, "the gradient");
        double total = 0;
        sagips::mpi::allreduce(&f, &total, 1, MPI_DOUBLE, MPI_SUM, comm, "the loss");
        r.values.push_back(total);
        r.seconds.push_back(sagips::bench::now_seconds() - t0);
        adam.step(p, sum);
      }
      fits.push_back(r);
    }
    sagips::bench::Table t2({"surrogate fit", "to MSE 1e-3", "to MSE 1e-4", "evaluations", "s", "final MSE", "status"});
    nlohmann::json j2 = nlohmann::json::array();
    for (const auto& r : fits) {
      const auto [k3, s3] = first_below(r.values, r.seconds, 1e-3);
      const auto [k4, s4] = first_below(r.values, r.seconds, 1e-4);
      double least = r.values.front();
      for (double v : r.values) least = std::min(least, v);
      t2.add({r.method, cell(k3, s3), cell(k4, s4), std::to_string(r.values.size()),
              sagips::bench::fmt("%.2f", r.seconds.back()), sagips::bench::fmt("%.3g", least), r.status});
      j2.push_back({{"method", r.method}, {"evaluations_to_1e-3", k3}, {"seconds_to_1e-3", s3},
                    {"evaluations_to_1e-4", k4}, {"seconds_to_1e-4", s4}, {"evaluations", r.values.size()},
                    {"seconds", r.seconds.back()}, {"least_mse", least}, {"status", r.status}});
    }
    out["surrogate"] = j2;
    if (env.is_root()) {
      std::printf("Bernstein density, degree %d, %ld events over %d rank(s); target: -lnL within 0.5 of the best\n",
                  kDegree, events, size);
      t1.print();
      std::printf("\nsurrogate 1 -> 32 -> 32 -> 1 tanh (double), %ld rows over %d rank(s)\n", rows, size);
      t2.print();
      sagips::bench::write_json(common.json_path, out);
    }
    return 0;
  });
}
