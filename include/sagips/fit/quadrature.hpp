#pragma once
// Numerical integration over a theory's box domain, for the likelihood's normalisation.
//
// Composite Gauss-Legendre: each dimension is cut into S sub-intervals whose edges crowd toward both
// ends of the domain (edges at lo + (hi - lo)(1 - cos(pi k / S)) / 2), with Q nodes in each. Densities
// such as x^a (1-x)^b with a, b near 0 or negative are smooth inside the domain but have their
// singularities just outside it; the crowded edges keep the error of such integrands at the level
// of rounding, where a uniform mesh would leave a bias comparable to the statistical error.

#include <array>
#include <cmath>
#include <vector>

#include "sagips/runtime/error.hpp"

namespace sagips::fit {

// Nodes and weights of the Q-point Gauss-Legendre rule on [-1, 1] (Newton on P_Q from Chebyshev guesses).
inline void gauss_legendre(int q, std::vector<double>& nodes, std::vector<double>& weights) {
  SAGIPS_REQUIRE(q >= 1 && q <= 256, "gauss_legendre: " << q << " nodes requested (1..256)");
  nodes.assign(static_cast<std::size_t>(q), 0.0);
  weights.assign(static_cast<std::size_t>(q), 0.0);
  const double pi = 3.14159265358979323846;
  for (int i = 0; i < (q + 1) / 2; ++i) {
    double x = std::cos(pi * (i + 0.75) / (q + 0.5));
    double dp = 0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = x;  // P_0, P_1; recurrence up to P_q
      for (int k = 2; k <= q; ++k) {
        const double pk = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = pk;
      }
      if (q == 1) p0 = 1;
      dp = q * (x * p1 - p0) / (x * x - 1);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-16) break;
    }
    const double w = 2 / ((1 - x * x) * dp * dp);
    nodes[static_cast<std::size_t>(i)] = -x;
    nodes[static_cast<std::size_t>(q - 1 - i)] = x;
    weights[static_cast<std::size_t>(i)] = w;
    weights[static_cast<std::size_t>(q - 1 - i)] = w;
  }
}

// The composite rule on [lo, hi] described above: points and weights, sum of weights = hi - lo.
struct Rule1D {
  std::vector<double> x, w;
};
inline Rule1D composite_rule(double lo, double hi, int subintervals, int nodes_per_interval) {
  SAGIPS_REQUIRE(hi > lo, "integration domain [" << lo << ", " << hi << "] has no width");
  SAGIPS_REQUIRE(subintervals >= 1, "composite_rule: " << subintervals << " sub-intervals");
  std::vector<double> gx, gw;
  gauss_legendre(nodes_per_interval, gx, gw);
  const double pi = 3.14159265358979323846;
  Rule1D r;
  for (int s = 0; s < subintervals; ++s) {
    const double a = lo + (hi - lo) * 0.5 * (1 - std::cos(pi * s / subintervals));
    const double b = lo + (hi - lo) * 0.5 * (1 - std::cos(pi * (s + 1) / subintervals));
    for (std::size_t k = 0; k < gx.size(); ++k) {
      r.x.push_back(0.5 * (a + b) + 0.5 * (b - a) * gx[k]);
      r.w.push_back(0.5 * (b - a) * gw[k]);
    }
  }
  return r;
}

// The tensor product of composite rules over a D-dimensional box: points row-major [n, D].
template <int D>
struct BoxRule {
  std::vector<double> points;  // n * D
  std::vector<double> weights;
  std::size_t size() const { return weights.size(); }
};
template <int D>
BoxRule<D> box_rule(const std::array<double, D>& lo, const std::array<double, D>& hi, int subintervals,
                    int nodes_per_interval) {
  std::array<Rule1D, D> rules;
  for (int d = 0; d < D; ++d) rules[d] = composite_rule(lo[d], hi[d], subintervals, nodes_per_interval);
  BoxRule<D> out;
  std::size_t n = 1;
  for (int d = 0; d < D; ++d) n *= rules[d].w.size();
  out.points.resize(n * D);
  out.weights.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t rest = i;
    double w = 1;
    for (int d = D - 1; d >= 0; --d) {
      const std::size_t m = rules[d].w.size();
      const std::size_t k = rest % m;
      rest /= m;
      out.points[i * D + d] = rules[d].x[k];
      w *= rules[d].w[k];
    }
    out.weights[i] = w;
  }
  return out;
}

}  // namespace sagips::fit
