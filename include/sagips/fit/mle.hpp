#pragma once
// The traditional baseline: an unbinned maximum-likelihood fit of a theory's parameters within
// bounds, with uncertainties from the Hessian of -ln L at the minimum.
//
// The minimiser is a damped Newton method on a box: the Hessian is the central difference of the
// exact (dual-number) gradient, the step solves (H + lambda diag(H)) dp = -g over the parameters not
// held at a bound, the trial point is projected into the box, and lambda shrinks after a successful
// step and grows after a failed one. With a handful of parameters this converges in a few
// iterations. Newton's method stops wherever the gradient vanishes, a saddle too (the DIS example's
// proton-only fit did: the likelihood falls on both sides along the down-quark shape); so where it
// stops, the Hessian's most negative curvature, if any, is followed downhill and Newton starts again,
// until the point is a minimum or -ln L no longer falls. Every rank runs the same iterations (the likelihood is reduced over the communicator),
// so all ranks return the same result.

#include "sagips/core/eigen.hpp"
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "sagips/runtime/error.hpp"

#include "sagips/fit/likelihood.hpp"

namespace sagips::fit {

struct FitOptions {
  int max_iterations = 100;
  double tolerance = 1e-9;   // stop when -ln L improves by less than this (absolute, in nats)
  double hessian_step = 1e-5;  // relative step of the central differences
};

struct FitResult {
  std::vector<double> value;        // the estimate
  std::vector<double> sigma;        // sqrt(diag(covariance)); 0 for a parameter held at a bound or not determined
  Eigen::MatrixXd covariance;       // inverse Hessian over the free parameters (zero rows/cols for bound ones)
  std::vector<bool> at_bound;
  double nll = 0;
  int iterations = 0;
  bool converged = false;           // at an interior minimum: no parameter held at a bound
  long events = 0;
  std::string status;               // "converged", "no events", "at a bound: <parameters>", "not determined: <parameters> ...",
                                    // "stopped after N iterations"
  std::string undetermined;         // free parameters whose variance is not positive: "p0, p2" (empty: none)
};

namespace detail {
template <class Nll>
Eigen::Matrix<double, Nll::P, Nll::P> hessian(const Nll& nll, const typename Nll::Vec& p,
                                              const typename Nll::Vec& lo, const typename Nll::Vec& hi,
                                              double rel) {
  constexpr int P = Nll::P;
  Eigen::Matrix<double, P, P> h;
  for (int j = 0; j < P; ++j) {
    const double step = rel * std::max(1.0, std::abs(p[j]));
    typename Nll::Vec a = p, b = p, ga, gb;
    // Central where the box allows, one-sided at a bound.
    a[j] = std::min(p[j] + step, hi[j]);
    b[j] = std::max(p[j] - step, lo[j]);
    nll.evaluate(a, &ga);
    nll.evaluate(b, &gb);
    h.col(j) = (ga - gb) / (a[j] - b[j]);
  }
  return 0.5 * (h + h.transpose());
}

// The box [lower, upper] (each bound checked non-empty) and the start projected into it, into vectors
// of the fit's own type (Eigen fixed or dynamic, sized P).
template <std::size_t P, class V>
void box_and_start(const std::array<double, P>& start, const std::array<double, P>& lower,
                   const std::array<double, P>& upper, V& lo, V& hi, V& p) {
  for (std::size_t j = 0; j < P; ++j) {
    SAGIPS_REQUIRE(lower[j] < upper[j], "fit: bound " << j << " is empty: [" << lower[j] << ", " << upper[j] << "]");
    lo[j] = lower[j];
    hi[j] = upper[j];
    p[j] = std::min(std::max(start[j], lower[j]), upper[j]);
  }
}

// Nothing to fit: the start, no uncertainties, and a status that says so (a flat likelihood is not a
// minimum).
inline FitResult no_events(const double* p, int P) {
  FitResult r;
  r.value.assign(p, p + P);
  r.sigma.assign(P, 0.0);
  r.at_bound.assign(P, false);
  r.covariance = Eigen::MatrixXd::Zero(P, P);
  r.status = "no events";
  return r;
}

// Whether parameter j sits at a bound of the box with the gradient pushing outward.
template <class Vec>
bool held_at_bound(const Vec& p, const Vec& g, const Vec& lo, const Vec& hi, int j) {
  const double span = hi[j] - lo[j];
  return (p[j] <= lo[j] + 1e-12 * span && g[j] > 0) || (p[j] >= hi[j] - 1e-12 * span && g[j] < 0);
}

// The rows and columns of h at the indices `free` (the parameters not held at a bound).
template <class M>
Eigen::MatrixXd free_block(const M& h, const std::vector<int>& free) {
  Eigen::MatrixXd hf(free.size(), free.size());
  for (std::size_t a = 0; a < free.size(); ++a)
    for (std::size_t b = 0; b < free.size(); ++b) hf(a, b) = h(free[a], free[b]);
  return hf;
}

// r.value, at_bound, covariance and sigma at the minimum p (gradient g): the inverse Hessian over the
// parameters not held at a bound. Returns those held, "p0, p3" (empty: none): a minimum with a
// parameter at its bound is not a measurement of that parameter.
template <class Nll>
std::string uncertainties(const Nll& nll, const typename Nll::Vec& p, const typename Nll::Vec& g,
                          const typename Nll::Vec& lo, const typename Nll::Vec& hi, double hessian_step, FitResult& r) {
  constexpr int P = Nll::P;
  const Eigen::Matrix<double, P, P> h = hessian(nll, p, lo, hi, hessian_step);
  r.value.assign(p.data(), p.data() + P);
  r.at_bound.assign(P, false);
  std::vector<int> free;
  std::string held_at;
  for (int j = 0; j < P; ++j) {
    r.at_bound[j] = held_at_bound(p, g, lo, hi, j);
    if (!r.at_bound[j]) free.push_back(j);
    else held_at += (held_at.empty() ? "p" : ", p") + std::to_string(j);
  }
  const Eigen::MatrixXd hf = free_block(h, free);
  const Eigen::MatrixXd cf = hf.inverse();
  r.covariance = Eigen::MatrixXd::Zero(P, P);
  r.sigma.assign(P, 0.0);
  // A variance that is not positive (a flat or saddle direction: the data do not fix that parameter
  // apart from others) is no measurement: sigma 0, and the parameter named in r.undetermined.
  r.undetermined.clear();
  for (std::size_t a = 0; a < free.size(); ++a) {
    for (std::size_t b = 0; b < free.size(); ++b) r.covariance(free[a], free[b]) = cf(a, b);
    const bool determined = std::isfinite(cf(a, a)) && cf(a, a) > 0;
    r.sigma[free[a]] = determined ? std::sqrt(cf(a, a)) : 0.0;
    if (!determined) r.undetermined += (r.undetermined.empty() ? "p" : ", p") + std::to_string(free[a]);
  }
  return held_at;
}
// Damped Newton iterations from p (its -ln L f, gradient g) until a step gains less than the
// tolerance or none lowers -ln L (returns true: stopped where the gradient vanishes), or `iterations`
// reaches the limit (returns false).
template <class Nll>
bool newton(const Nll& nll, typename Nll::Vec& p, double& f, typename Nll::Vec& g, const typename Nll::Vec& lo,
            const typename Nll::Vec& hi, const FitOptions& options, int& iterations) {
  constexpr int P = Nll::P;
  using Vec = typename Nll::Vec;
  double lambda = 1e-3;
  for (; iterations < options.max_iterations; ++iterations) {
    const Eigen::Matrix<double, P, P> h = hessian(nll, p, lo, hi, options.hessian_step);
    bool improved = false, minimum = false;
    for (int attempt = 0; attempt < 30 && !improved; ++attempt) {
      Eigen::Matrix<double, P, P> a = h;
      Vec b = -g;
      for (int j = 0; j < P; ++j) {
        a(j, j) += lambda * std::max(std::abs(h(j, j)), 1e-12);
        if (held_at_bound(p, g, lo, hi, j)) {  // freeze: dp_j = 0
          a.row(j).setZero();
          a.col(j).setZero();
          a(j, j) = 1;
          b[j] = 0;
        }
      }
      const Vec dp = a.ldlt().solve(b);
      Vec trial = p + dp;
      for (int j = 0; j < P; ++j) trial[j] = std::min(std::max(trial[j], lo[j]), hi[j]);
      Vec gt;
      const double ft = nll.evaluate(trial, &gt);
      if (std::isfinite(ft) && ft <= f) {
        const double gain = f - ft;
        p = trial;
        f = ft;
        g = gt;
        lambda = std::max(lambda / 4, 1e-12);
        improved = true;
        if (gain < options.tolerance) minimum = true;
      } else {
        lambda *= 8;
      }
    }
    if (!improved || minimum) {  // no step lowers -ln L (more than rounding): the gradient vanishes here
      ++iterations;
      return true;
    }
  }
  return false;
}

// At a point where Newton stopped (p, its -ln L f and gradient g): if the Hessian over the parameters
// not held at a bound has a negative eigenvalue, a step along its eigenvector, either way, of the
// largest length in (box width) x 2^-k that lowers -ln L by more than `tolerance`. Returns whether it
// moved (p, f, g updated).
template <class Nll>
bool leave_saddle(const Nll& nll, typename Nll::Vec& p, double& f, typename Nll::Vec& g, const typename Nll::Vec& lo,
                  const typename Nll::Vec& hi, const FitOptions& options) {
  constexpr int P = Nll::P;
  using Vec = typename Nll::Vec;
  const Eigen::Matrix<double, P, P> h = hessian(nll, p, lo, hi, options.hessian_step);
  std::vector<int> free;
  for (int j = 0; j < P; ++j)
    if (!held_at_bound(p, g, lo, hi, j)) free.push_back(j);
  if (free.empty()) return false;
  const Eigen::MatrixXd hf = free_block(h, free);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(hf);
  if (eigen.info() != Eigen::Success) return false;
  const auto& values = eigen.eigenvalues();
  if (!(values[0] < -1e-9 * std::max(1.0, values.cwiseAbs().maxCoeff()))) return false;  // no negative curvature
  // The direction in units of each parameter's box width, so that one length suits every parameter.
  Vec v = Vec::Zero(P);
  for (std::size_t a = 0; a < free.size(); ++a) v[free[a]] = eigen.eigenvectors()(a, 0);
  double width = 0;
  for (int j = 0; j < P; ++j) width = std::max(width, std::abs(v[j]) / (hi[j] - lo[j]));
  v /= width;  // a step of length 1 moves one parameter by its whole box
  for (int k = 1; k <= 30; ++k) {
    const double length = std::ldexp(1.0, -k);
    Vec best_p = p, best_g = g;
    double best = f - options.tolerance;
    for (double sign : {1.0, -1.0}) {
      Vec trial = p + sign * length * v;
      for (int j = 0; j < P; ++j) trial[j] = std::min(std::max(trial[j], lo[j]), hi[j]);
      Vec gt;
      const double ft = nll.evaluate(trial, &gt);
      if (std::isfinite(ft) && ft < best) {
        best = ft;
        best_p = trial;
        best_g = gt;
      }
    }
    if (best < f - options.tolerance) {
      p = best_p;
      g = best_g;
      f = best;
      return true;
    }
  }
  return false;
}
}  // namespace detail

template <class Nll>
FitResult minimize(const Nll& nll, std::array<double, Nll::P> start, const std::array<double, Nll::P>& lower,
                   const std::array<double, Nll::P>& upper, FitOptions options = {}) {
  constexpr int P = Nll::P;
  using Vec = typename Nll::Vec;
  Vec lo, hi, p;
  detail::box_and_start(start, lower, upper, lo, hi, p);
  if (nll.events() == 0) return detail::no_events(p.data(), P);
  FitResult r;
  r.events = nll.events();
  Vec g;
  double f = nll.evaluate(p, &g);
  // Every rank has the same value (the likelihood is reduced), so this is a collective verdict.
  if (!std::isfinite(f)) throw CollectiveError("fit: the likelihood is zero at the starting point");
  bool minimum = false;
  // Newton from p until -ln L stops falling; at a saddle, downhill along the negative curvature and
  // Newton again (each time the likelihood falls, so this ends).
  for (r.iterations = 0; r.iterations < options.max_iterations;) {
    minimum = detail::newton(nll, p, f, g, lo, hi, options, r.iterations);
    if (!minimum || !detail::leave_saddle(nll, p, f, g, lo, hi, options)) break;
    minimum = false;
  }

  const std::string held_at = detail::uncertainties(nll, p, g, lo, hi, options.hessian_step, r);
  r.nll = f;
  r.converged = minimum && held_at.empty() && r.undetermined.empty();
  r.status = !minimum          ? "stopped after " + std::to_string(r.iterations) + " iterations"
             : !held_at.empty() ? "at a bound: " + held_at
             : !r.undetermined.empty()
                 ? "not determined: " + r.undetermined + " (the Hessian is not positive definite there: no sigma)"
                 : "converged";
  return r;
}

}  // namespace sagips::fit
