#pragma once
// Finite-difference references for the Dual tests (test_dual.cpp, test_dual_numbers.cpp): central
// differences extrapolated to step 0, and the check of a Dual derivative against them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

// Computed in long double (64-bit mantissa on x86-64) on the standard library's functions, so that
// the reference resolves derivatives that are small next to the function (tanh, erf near ±1).
using Real = long double;

struct Estimate {
  Real value;
  Real error;
};

// Central differences at steps h, h/1.4, h/1.4^2, ..., extrapolated to step 0 by Richardson's
// rule (Ridders' method); returns the estimate whose error is the smallest. The error counts the
// tableau's disagreement and rounding: f known to relative precision eps_f gives a difference
// quotient uncertain by about eps_f·|f|/h (without it, a step so small that f(x ± h) round to the
// same number would look exact).
inline Estimate derivative(const std::function<Real(Real)>& f, Real x, Real h, Real eps_f) {
  constexpr int n = 12;
  constexpr Real c = 1.4L, c2 = c * c;
  const Real fx = std::abs(f(x));
  Real t[n][n];
  Estimate best{std::numeric_limits<Real>::quiet_NaN(), std::numeric_limits<Real>::infinity()};
  t[0][0] = (f(x + h) - f(x - h)) / (2 * h);
  for (int i = 1; i < n; ++i) {
    h /= c;
    t[0][i] = (f(x + h) - f(x - h)) / (2 * h);
    const Real rounding = 4 * eps_f * fx / h;
    Real factor = c2;
    for (int j = 1; j <= i; ++j) {
      t[j][i] = (t[j - 1][i] * factor - t[j - 1][i - 1]) / (factor - 1);
      factor *= c2;
      const Real err = std::max({std::abs(t[j][i] - t[j - 1][i]), std::abs(t[j][i] - t[j - 1][i - 1]), rounding});
      if (err <= best.error) best = {t[j][i], err};
    }
    if (std::abs(t[i][i] - t[i - 1][i - 1]) >= 2 * best.error) break;  // extrapolation diverges
  }
  return best;
}

// A first step that stays well inside the smooth region around x.
inline double first_step(double x, const std::vector<double>& edges) {
  double h = 0.1 * std::max(1.0, std::abs(x));
  for (double e : edges) h = std::min(h, 0.5 * std::abs(x - e));
  return h;
}

// The finite-difference derivative must itself be good, and the Dual's must agree with it to 1e-12
// (plus the reference's error, and `slack` for a derivative computed as a sum that cancels, such
// as digamma near its root). The first step h0 shrinks tenfold until the error is small (a
// Gaussian tail or a sine at large x needs a step far below |x|). The reference is good when its
// error is below 1e-6 of the derivative, or, for a derivative that is 0, the rounding of f at the
// first step.
inline void check_derivative(double dual, double x, double h0, const std::function<Real(Real)>& f,
                      Real eps_f = std::numeric_limits<Real>::epsilon(), Real slack = 0) {
  Estimate fd{std::numeric_limits<Real>::quiet_NaN(), std::numeric_limits<Real>::infinity()};
  Real h = h0;
  for (int k = 0; k < 6 && !(fd.error <= 1e-12L * std::abs(fd.value)); ++k, h /= 10) {
    const Estimate e = derivative(f, x, h, eps_f);
    if (e.error < fd.error) fd = e;
  }
  CAPTURE(static_cast<double>(fd.value));
  CAPTURE(static_cast<double>(fd.error));
  CHECK(fd.error <= 1e-6L * std::abs(fd.value) + 64 * eps_f * std::abs(f(x)) / h0);
  CHECK(std::abs(dual - fd.value) <= 1e-12L * std::abs(fd.value) + 2 * fd.error + slack);
}
