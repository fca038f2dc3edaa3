#pragma once
// L-BFGS on an objective spread over ranks: each rank evaluates its share of the value and the
// gradient, one all-reduce of (1 + n) numbers per evaluation adds the shares, and every rank runs
// the same deterministic iterations of LBFGSpp's L-BFGS-B solver (the compact limited-memory
// Hessian, the More-Thuente line search, projection onto a box) on the same global numbers, so all
// ranks end at the same point, bit for bit.
//
//   // this rank's share of a global loss; a mean divides by the *global* count itself
//   auto share = [&](const Eigen::VectorXd& x, Eigen::VectorXd& grad) -> double { ... };
//   optim::LbfgsResult r = optim::lbfgs(share, x0, comm);                         // unbounded
//   optim::LbfgsResult r = optim::lbfgs(share, x0, comm, options, lower, upper);  // in a box
//
// Pass MPI_COMM_SELF when the objective already returns global numbers (fit::UnbinnedNll does).
//
// Why a function and not an optimizer policy (optim/contract.hpp): a policy turns one gradient into
// one step; L-BFGS evaluates the objective again inside every step (its line search), so it needs the
// objective itself. It suits a deterministic loss: a likelihood, a full-batch or fixed-sample fit.
//
// It ends, on every rank alike, in one of these ways:
//   - converged: the projected gradient's largest entry fell below the tolerance, or the value
//     stopped improving (relative change below `value_tolerance` over `past` iterations), or a line
//     search failed where the value has stalled at its rounding (detail::stalled_at_rounding: a sum
//     over 10^6 events cannot resolve a gradient of 1e-8);
//   - stopped: max_iterations or max_evaluations reached (status says which; not an error);
//   - a CollectiveError (every rank throws the same, since every rank has the same numbers):
//       a value or gradient that is not finite (with the evaluation number and the point), or
//       a line search that finds no lower value (with the evaluation, the trial step's length, the
//       value there and the best value so far; LBFGSpp's own reason appended).
// max_linesearch bounds each line search, so no way of failing loops forever.

#include <mpi.h>

#include "sagips/core/eigen.hpp"
#include <LBFGSB.h>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::optim {

struct LbfgsOptions {
  int memory = 8;                    // correction pairs kept (LBFGSpp's m)
  int max_iterations = 1000;         // 0: no limit (then max_evaluations bounds the run)
  int max_evaluations = 20000;       // objective evaluations, line searches included
  double gradient_tolerance = 1e-8;  // converged when max_j |projected gradient_j| <= this
  double value_tolerance = 1e-12;    // ... or the value changes by less than this (relative to max(|f|, 1))
  int past = 3;                      //     over this many iterations (0: no such test)
  int max_linesearch = 40;           // trial points per line search
};

struct LbfgsResult {
  Eigen::VectorXd x;              // the end point (the same on every rank)
  double value = 0;               // the global value there
  Eigen::VectorXd gradient;       // the global gradient there (empty if the end point was never evaluated)
  int iterations = 0;             // the solver's (after a stall at rounding: the evaluations that lowered the value)
  int evaluations = 0;
  bool converged = false;
  std::string status;             // "converged", "stopped after N iterations", "stopped after N evaluations"
  std::vector<double> values;     // the value at each evaluation, in order
  std::vector<double> seconds;    // wall time since the start at each evaluation
};

namespace detail {
// Thrown by the wrapper to end the solver at max_evaluations; not an error.
struct EvaluationBudget {};

inline std::string describe_point(const Eigen::VectorXd& x) {
  std::ostringstream os;
  os << "|x| = " << x.norm();
  if (x.size() <= 8) {
    os << ", x = (";
    for (int j = 0; j < x.size(); ++j) os << (j ? ", " : "") << x[j];
    os << ")";
  }
  return os.str();
}

// The objective LBFGSpp calls: this rank's share, reduced over comm, checked, recorded.
template <class Share>
class GlobalObjective {
 public:
  GlobalObjective(Share& share, MPI_Comm comm, const LbfgsOptions& o, LbfgsResult& r)
      : share_(share), comm_(comm), options_(o), result_(r), start_(std::chrono::steady_clock::now()) {}

  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    if (options_.max_evaluations > 0 && result_.evaluations >= options_.max_evaluations) throw EvaluationBudget{};
    const int n = static_cast<int>(x.size());
    Eigen::VectorXd local = Eigen::VectorXd::Zero(n);
    const double f_local = share_(x, local);
    SAGIPS_REQUIRE(local.size() == n, "lbfgs: the objective returned a gradient of " << local.size()
                                                                                  << " entries for " << n << " parameters");
    // One all-reduce: [value, gradient].
    send_.resize(n + 1);
    recv_.resize(n + 1);
    send_[0] = f_local;
    for (int j = 0; j < n; ++j) send_[j + 1] = local[j];
    int size = 1;
    MPI_Comm_size(comm_, &size);
    if (size > 1) mpi::allreduce(send_.data(), recv_.data(), n + 1, MPI_DOUBLE, MPI_SUM, comm_, "lbfgs: the objective's sum over ranks");
    else recv_ = send_;
    grad.resize(n);
    for (int j = 0; j < n; ++j) grad[j] = recv_[j + 1];
    const double f = recv_[0];
    ++result_.evaluations;
    result_.values.push_back(f);
    result_.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    // The same numbers on every rank, so the same verdict: a collective error without a vote.
    if (!std::isfinite(f) || !grad.allFinite()) {
      std::ostringstream os;
      os << "lbfgs: the objective is not finite at evaluation " << result_.evaluations << " (value " << f
         << (grad.allFinite() ? "" : ", a gradient entry not finite") << ") at " << describe_point(x)
         << (result_.evaluations > 1 ? "; bound the parameters (lower, upper) to where it is defined" : "");
      throw CollectiveError(os.str());
    }
    if (result_.evaluations == 1 || f < best_value_) {
      improvements_ += result_.evaluations > 1;
      best_value_ = f;
      best_ = x;
      best_grad_ = grad;
    }
    last_ = x;
    last_grad_ = grad;
    last_value_ = f;
    return f;
  }

  const Eigen::VectorXd& best() const { return best_; }
  int improvements() const { return improvements_; }  // evaluations that lowered the best value
  double best_value() const { return best_value_; }
  const Eigen::VectorXd& last() const { return last_; }
  double last_value() const { return last_value_; }
  // The gradient evaluated at x (the best or the last point; empty if x was neither).
  Eigen::VectorXd gradient_at(const Eigen::VectorXd& x) const {
    if (best_.size() == x.size() && best_ == x) return best_grad_;
    if (last_.size() == x.size() && last_ == x) return last_grad_;
    return {};
  }

 private:
  Share& share_;
  MPI_Comm comm_;
  const LbfgsOptions& options_;
  LbfgsResult& result_;
  std::chrono::steady_clock::time_point start_;
  std::vector<double> send_, recv_;
  Eigen::VectorXd best_, last_, best_grad_, last_grad_;
  double best_value_ = std::numeric_limits<double>::infinity(), last_value_ = 0;
  int improvements_ = 0;
};
// Whether a run whose line search failed has in fact converged as far as the value's rounding allows:
// the best value improved by less than 1e-9 of its size over the last 10 evaluations, and the
// largest projected gradient entry is below 1e-4 of the value's size (a sum of N terms is known to
// about N * 1e-16 relative, and its gradient can fall no further than about sqrt(that) times the curvature).
inline bool stalled_at_rounding(const std::vector<double>& values, const Eigen::VectorXd& best,
                                const Eigen::VectorXd& grad, const Eigen::VectorXd& lower,
                                const Eigen::VectorXd& upper) {
  const int k = static_cast<int>(values.size());
  if (k <= 10 || grad.size() != best.size()) return false;
  double before = values[0], now = values[0];
  for (int i = 0; i < k; ++i) {
    if (i < k - 10) before = std::min(before, values[i]);
    now = std::min(now, values[i]);
  }
  const double scale = std::max(1.0, std::abs(now));
  const double projected = ((best - grad).cwiseMax(lower).cwiseMin(upper) - best).cwiseAbs().maxCoeff();
  return before - now <= 1e-9 * scale && projected <= 1e-4 * scale;
}
}  // namespace detail

// Minimise the sum over the ranks of `comm` of share(x, grad) within [lower, upper] (entries may be
// +-infinity; empty vectors: unbounded). Collective: every rank of comm calls it with the same x0,
// options and bounds.
template <class Share>
LbfgsResult lbfgs(Share&& share, Eigen::VectorXd x0, MPI_Comm comm, const LbfgsOptions& options = {},
                  Eigen::VectorXd lower = {}, Eigen::VectorXd upper = {}) {
  const int n = static_cast<int>(x0.size());
  const double inf = std::numeric_limits<double>::infinity();
  if (lower.size() == 0) lower = Eigen::VectorXd::Constant(n, -inf);
  if (upper.size() == 0) upper = Eigen::VectorXd::Constant(n, inf);
  SAGIPS_REQUIRE(n > 0, "lbfgs: no parameters");
  SAGIPS_REQUIRE(lower.size() == n && upper.size() == n,
                 "lbfgs: bounds of " << lower.size() << " and " << upper.size() << " entries for " << n << " parameters");
  for (int j = 0; j < n; ++j)
    SAGIPS_REQUIRE(lower[j] < upper[j] && std::isfinite(x0[j]),
                   "lbfgs: parameter " << j << " has an empty box [" << lower[j] << ", " << upper[j]
                                       << "] or a start that is not finite (" << x0[j] << ")");
  SAGIPS_REQUIRE(options.memory > 0 && options.max_linesearch > 0 && options.max_iterations >= 0 &&
                     options.gradient_tolerance >= 0 && options.value_tolerance >= 0 && options.past >= 0,
                 "lbfgs: memory and max_linesearch must be positive, the limits and tolerances not negative");

  LBFGSpp::LBFGSBParam<double> param;
  param.m = options.memory;
  param.epsilon = options.gradient_tolerance;
  param.epsilon_rel = 0;
  param.past = options.past;
  param.delta = options.value_tolerance;
  param.max_iterations = options.max_iterations;
  param.max_linesearch = options.max_linesearch;
  LBFGSpp::LBFGSBSolver<double> solver(param);

  LbfgsResult r;
  detail::GlobalObjective<std::remove_reference_t<Share>> f(share, comm, options, r);
  Eigen::VectorXd x = x0;
  double fx = 0;
  try {
    r.iterations = solver.minimize(f, x, fx, lower, upper);
    r.converged = options.max_iterations == 0 || r.iterations < options.max_iterations;
    r.status = r.converged ? "converged" : "stopped after " + std::to_string(r.iterations) + " iterations";
  } catch (const detail::EvaluationBudget&) {
    x = f.best();  // the best point seen: the solver stopped inside a line search
    fx = f.best_value();
    r.status = "stopped after " + std::to_string(r.evaluations) + " evaluations";
  } catch (const std::exception& e) {
    if (dynamic_cast<const Error*>(&e)) throw;  // ours (not finite, a wrong gradient size): as it is
    // LBFGSpp gave up inside a line search; every rank has the same numbers, so every rank is here.
    // At the value's rounding (the best value stalled over the last 10 evaluations, the projected
    // gradient small against the value) that is convergence: no line search can see a decrease there.
    if (detail::stalled_at_rounding(r.values, f.best(), f.gradient_at(f.best()), lower, upper)) {
      x = f.best();
      fx = f.best_value();
      r.converged = true;
      r.status = "converged";
      r.iterations = f.improvements();
      r.x = x;
      r.value = fx;
      r.gradient = f.gradient_at(x);
      return r;
    }
    std::ostringstream os;
    os << "lbfgs: the line search found no lower value after evaluation " << r.evaluations
       << ": the last trial step had length " << (f.last() - f.best()).norm() << " and value " << f.last_value()
       << " against the best " << f.best_value() << " (LBFGSpp: " << e.what()
       << "); check that the gradient is the value's derivative";
    throw CollectiveError(os.str());
  }
  r.x = x;
  r.value = fx;
  r.gradient = f.gradient_at(x);
  return r;
}

}  // namespace sagips::optim
