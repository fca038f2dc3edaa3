#pragma once
// The maximum-likelihood fit by L-BFGS-B (optim/lbfgs.hpp) instead of fit::minimize's damped Newton:
// the same likelihoods (fit::UnbinnedNll, fit::BernsteinNll, anything with their interface), the
// same box, the same FitResult, uncertainties from the Hessian at the minimum as there.
//
// Newton builds the full Hessian every iteration (2P gradient evaluations); L-BFGS keeps a
// low-rank estimate from the gradients it has seen and needs about one gradient per iteration. With a
// handful of parameters Newton's few iterations win; with tens of parameters L-BFGS does
// (docs/training.md has the measurement). The Hessian is still built once, at the minimum, for
// the uncertainties (skip it with LbfgsFitOptions::uncertainties = false).
//
// The likelihood's evaluate() is collective and already global, so every rank runs the same
// iterations; a line search that fails or a value that is not finite is a CollectiveError on every
// rank (optim::lbfgs says which, at which evaluation).

#include <mpi.h>

#include "sagips/core/eigen.hpp"
#include <algorithm>
#include <array>
#include <string>

#include "sagips/fit/mle.hpp"
#include "sagips/optim/lbfgs.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::fit {

struct LbfgsFitOptions {
  optim::LbfgsOptions lbfgs;     // memory, tolerances, limits
  bool uncertainties = true;     // the Hessian at the minimum (2P more gradient evaluations)
  double hessian_step = 1e-5;    // relative step of its central differences
};

template <class Nll>
FitResult minimize_lbfgs(const Nll& nll, const std::array<double, Nll::P>& start,
                         const std::array<double, Nll::P>& lower, const std::array<double, Nll::P>& upper,
                         LbfgsFitOptions options = {}) {
  constexpr int P = Nll::P;
  using Vec = typename Nll::Vec;
  Eigen::VectorXd x0(P), lo(P), hi(P);
  detail::box_and_start(start, lower, upper, lo, hi, x0);
  if (nll.events() == 0) return detail::no_events(x0.data(), P);
  FitResult r;
  r.events = nll.events();
  // The likelihood is global already: no further sum over ranks.
  auto objective = [&](const Eigen::VectorXd& x, Eigen::VectorXd& grad) {
    Vec p = x, g;
    const double f = nll.evaluate(p, &g);
    grad = g;
    return f;
  };
  const optim::LbfgsResult o = optim::lbfgs(objective, x0, MPI_COMM_SELF, options.lbfgs, lo, hi);
  r.iterations = o.iterations;
  r.nll = o.value;
  Vec p = o.x, g;
  if (o.gradient.size() == P) g = o.gradient;
  else nll.evaluate(p, &g);
  std::string held_at;
  if (options.uncertainties) {
    held_at = detail::uncertainties(nll, p, g, Vec(lo), Vec(hi), options.hessian_step, r);
  } else {
    r.value.assign(p.data(), p.data() + P);
    r.at_bound.assign(P, false);
    for (int j = 0; j < P; ++j)
      if ((r.at_bound[j] = detail::held_at_bound(p, g, Vec(lo), Vec(hi), j)))
        held_at += (held_at.empty() ? "p" : ", p") + std::to_string(j);
    r.sigma.assign(P, 0.0);
    r.covariance = Eigen::MatrixXd::Zero(P, P);
  }
  r.converged = o.converged && held_at.empty();
  r.status = !o.converged ? o.status : (held_at.empty() ? "converged" : "at a bound: " + held_at);
  return r;
}

}  // namespace sagips::fit
