#pragma once
// How far a point lies from the maximum-likelihood fit, in the likelihood's own terms.
//
// delta(point) = -ln L(point) - (-ln L at the fit's minimum). For k parameters that the data fix, 2 delta
// of the true point follows a chi-squared distribution with k degrees of freedom (Wilks' theorem), so
// the c-level confidence region of all k parameters together is delta <= chi2_k quantile(c) / 2: 0.5
// for one parameter at 68.27%, 2.36 for four. This is the test that still means something when the data
// fix parameters only in combination (a flat direction, a parameter held at its bound), where a
// per-parameter sigma is not defined or not meaningful. At a bound Wilks' distribution is only
// approximate (a mixture with fewer degrees of freedom): the region is then conservative.

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#include <algorithm>
#include <array>
#include <cmath>

#include "sagips/fit/mle.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::fit {

// The chi-squared distribution's quantile: x with P(k/2, x/2) = c (P the regularised lower incomplete
// gamma function, Eigen's igamma), by bisection to a relative 1e-12.
inline double chi2_quantile(int k, double c) {
  SAGIPS_REQUIRE(k >= 1, "chi2_quantile: at least one degree of freedom; it is " << k);
  SAGIPS_REQUIRE(c > 0 && c < 1, "chi2_quantile: a probability in (0, 1); it is " << c);
  const double a = 0.5 * k;
  auto cdf = [a](double x) { return Eigen::numext::igamma(a, 0.5 * x); };
  double lo = 0, hi = std::max(1.0, 2.0 * k);
  while (cdf(hi) < c) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (cdf(mid) < c ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The 68.27% and 95% joint regions for k parameters, as limits on delta.
struct LikelihoodRegions {
  int parameters = 0;
  double delta68 = 0, delta95 = 0;
};
inline LikelihoodRegions likelihood_regions(int k) {
  return {k, 0.5 * chi2_quantile(k, 0.682689492137086), 0.5 * chi2_quantile(k, 0.95)};
}

// delta at a point (inside the fit's box): -ln L there minus the fit's minimum. Collective over the
// likelihood's communicator: every rank passes the same point. A point outside the box is refused.
template <class Nll, std::size_t P>
double above_minimum(const Nll& nll, const FitResult& fit, const std::array<double, P>& point,
                     const std::array<double, P>& lower, const std::array<double, P>& upper) {
  static_assert(static_cast<int>(P) == Nll::P, "above_minimum: the point has one value per parameter of the fit");
  typename Nll::Vec p;
  for (std::size_t j = 0; j < P; ++j) {
    SAGIPS_REQUIRE(point[j] >= lower[j] && point[j] <= upper[j],
                   "above_minimum: parameter " << j << " = " << point[j] << " is outside the fit's box [" << lower[j]
                                               << ", " << upper[j] << "]");
    p[j] = point[j];
  }
  return nll.evaluate(p) - fit.nll;
}

}  // namespace sagips::fit
