#pragma once
// Leading-order neutral-current deep-inelastic scattering, e N -> e X: parton densities from events.
//
// An event is (ln x, ln Q^2), Q^2 in GeV^2: the log variables make the samplers' uniform grid a
// log-spaced one in x and Q^2, where DIS events live. The density in these variables is
//   d^2 sigma / (d ln x d ln Q^2) = x Q^2 d^2 sigma / (dx dQ^2),
//   d^2 sigma / (dx dQ^2)        = (4 pi alpha^2 / (x Q^4)) (1 - y + y^2 / 2) F2(x),   y = Q^2 / (x s),
// the one-photon-exchange cross-section with F_L = 0 (the Callan-Gross relation, exact at leading
// order); see e.g. Halzen and Martin, "Quarks and Leptons" (1984), ch. 9, or the PDG review
// "Structure functions". The constant 4 pi alpha^2 is left out: the samplers normalise.
//
//   proton:   F2p(x) = x sum_q e_q^2 (q + qbar) = (4/9) x u_v + (1/9) x d_v + (4/3) x S
//   (u = u_v + ubar, d = d_v + dbar, ubar = dbar = s = sbar = S: three light flavours, a symmetric sea)
//   neutron:  F2n by isospin symmetry (u in the neutron = d in the proton): (4/9) x d_v + (1/9) x u_v + (4/3) x S
//   deuteron: per nucleon, F2d = (F2p + F2n) / 2 (1 + h_D / Q^2) = ((5/18) x (u_v + d_v) + (4/3) x S) (...)
//   The factor in brackets is a one-parameter stand-in for the corrections a deuteron data set brings
//   of its own (a power correction in 1/Q^2, h_D in GeV^2; real higher-twist and nuclear corrections
//   also depend on x). It is this data set's nuisance parameter, not a model of them: h_D's truth is
//   0.3 GeV^2 here, and a fit must find it beside the shared parameters. (A factor depending on x
//   alone would trade off against the valence shapes; a constant one, a normalisation, would be
//   invisible to a fit of the events' distribution, which is normalised.)
//
// The valence shapes are the four shared parameters, normalised so that the number sum rules hold:
//   x u_v = A_u x^lambda_u (1 - x)^K_u,  A_u = 2 / B(lambda_u, K_u + 1)   (int u_v dx = 2)
//   x d_v = A_d x^lambda_d (1 - x)^K_d,  A_d = 1 / B(lambda_d, K_d + 1)   (int d_v dx = 1)
// with B the Euler beta function. The sea is fixed: x S = 0.2 x^-0.15 (1 - x)^7 (a shape of the
// size of the global fits' sea at Q^2 of a few GeV^2; no evolution in Q^2 at leading order here).
//
// Cuts (the density is zero outside them): Q^2 in [1.69, 316] GeV^2, 0.01 < y < 0.95, and
// W^2 = Q^2 (1 - x) / x + M_p^2 > 10 GeV^2 (out of the resonance region). The beam's sqrt(s) (per
// nucleon) is a template argument in GeV: DisNc is the proton at 140 GeV, an EIC-like beam;
// Dis<Proton, 63>, Dis<Deuteron, 89> are the other data sets of examples/09_global_dis. The domain is
// the box of (ln x, ln Q^2) that holds the cut region.

#include <Kokkos_Core.hpp>
#include <array>
#include <cmath>

#include "sagips/core/math.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

// x q_v(x) = norm / B(lambda, K + 1) x^lambda (1 - x)^K, from ln x (the event's own coordinate).
template <class S, class X>
KOKKOS_INLINE_FUNCTION S dis_valence(S lambda, S k, X log_x, X x, double norm) {
  const S log_beta = math::lgamma(lambda) + math::lgamma(k + S(1)) - math::lgamma(lambda + k + S(1));
  return S(norm) * math::exp(lambda * log_x + k * math::log1p(-x) - log_beta);
}
template <class X>
KOKKOS_INLINE_FUNCTION X dis_sea(X log_x, X x) {
  return X(0.2) * math::exp(X(-0.15) * log_x + X(7) * math::log1p(-x));
}

// The targets: F2 at (x, Q^2) from the four valence parameters p[0..4) and the target's own nuisances p[4..).
struct Proton {
  static constexpr int nuisances = 0;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION static S f2(const S* p, X log_x, X x, X) {
    return S(4.0 / 9.0) * dis_valence(p[0], p[1], log_x, x, 2.0) + S(1.0 / 9.0) * dis_valence(p[2], p[3], log_x, x, 1.0) +
           S(4.0 / 3.0) * dis_sea(log_x, x);
  }
  static std::array<double, 0> truth() { return {}; }
  static std::array<double, 0> lower_bounds() { return {}; }
  static std::array<double, 0> upper_bounds() { return {}; }
  static std::array<const char*, 0> names() { return {}; }
};

struct Deuteron {
  static constexpr int nuisances = 1;  // h_D, the power correction's coefficient (GeV^2)
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION static S f2(const S* p, X log_x, X x, X q2) {
    const S nucleon = S(5.0 / 18.0) * (dis_valence(p[0], p[1], log_x, x, 2.0) + dis_valence(p[2], p[3], log_x, x, 1.0)) +
                      S(4.0 / 3.0) * dis_sea(log_x, x);
    return nucleon * (S(1) + p[4] / S(q2));
  }
  // (1 + h_D / Q^2 > 0 down to Q^2 = 1.69 for h_D > -1.69.)
  static std::array<double, 1> truth() { return {0.3}; }
  static std::array<double, 1> lower_bounds() { return {-0.8}; }
  static std::array<double, 1> upper_bounds() { return {1.6}; }
  static std::array<const char*, 1> names() { return {"h_D"}; }
};

template <class Target, int SqrtS>
struct Dis {
  static constexpr int num_params = 4 + Target::nuisances;  // lambda_u, K_u, lambda_d, K_d, the target's
  static constexpr int dim = 2;                             // ln x, ln Q^2

  static constexpr double sqrt_s = SqrtS;                   // GeV, per nucleon
  static constexpr double q2_min = 1.69, q2_max = 316.0;  // GeV^2
  static constexpr double y_min = 0.01, y_max = 0.95;
  static constexpr double w2_min = 10.0;                  // GeV^2
  static constexpr double proton_mass2 = 0.938272 * 0.938272;

  template <class S, class X>
  KOKKOS_INLINE_FUNCTION static S valence(S lambda, S k, X log_x, X x, double norm) {
    return dis_valence(lambda, k, log_x, x, norm);
  }
  // Whether (x, Q^2) passes the cuts.
  template <class X>
  KOKKOS_INLINE_FUNCTION static bool accepted(X x, X q2) {
    const X y = q2 / (x * X(sqrt_s * sqrt_s));
    const X w2 = q2 * (X(1) - x) / x + X(proton_mass2);
    return q2 >= X(q2_min) && q2 <= X(q2_max) && y > X(y_min) && y < X(y_max) && w2 > X(w2_min) && x < X(1);
  }

  // The cuts on an event (ln x, ln Q^2): the fit's selection (sim/theory.hpp, has_region_v).
  static bool in_region(const double* v) { return accepted(std::exp(v[0]), std::exp(v[1])); }

  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* v) const {
    const X x = math::exp(v[0]), q2 = math::exp(v[1]);
    if (!accepted(x, q2)) return S(0);
    const X y = q2 / (x * X(sqrt_s * sqrt_s));
    return (X(1) - y + y * y / X(2)) / q2 * Target::f2(p, v[0], x, q2);
  }

  // ln x from the smallest x the cuts allow (Q^2 = q2_min at y = y_max) to the largest (W^2 = w2_min
  // at Q^2 = q2_max); ln Q^2 over the Q^2 range.
  static Box<2> domain() {
    const double x_lo = q2_min / (sqrt_s * sqrt_s * y_max);
    const double x_hi = q2_max / (q2_max + w2_min - proton_mass2);
    return {{std::log(x_lo), std::log(q2_min)}, {std::log(x_hi), std::log(q2_max)}};
  }
  // The truth is off the boxes' centres (where the generator and the fit start), so that an answer
  // near it is the data's doing.
  static std::array<double, num_params> truth() { return join({0.7, 3.0, 0.75, 4.0}, Target::truth()); }
  static std::array<double, num_params> lower_bounds() { return join({0.4, 1.5, 0.3, 2.5}, Target::lower_bounds()); }
  static std::array<double, num_params> upper_bounds() { return join({1.1, 5.0, 1.0, 6.5}, Target::upper_bounds()); }
  static std::array<const char*, num_params> names() {
    return join<const char*>({"lambda_u", "K_u", "lambda_d", "K_d"}, Target::names());
  }

 private:
  template <class V = double>
  static std::array<V, num_params> join(const std::array<V, 4>& shared, const std::array<V, Target::nuisances>& own) {
    std::array<V, num_params> out{};
    for (int j = 0; j < 4; ++j) out[j] = shared[j];
    for (int j = 0; j < Target::nuisances; ++j) out[4 + j] = own[j];
    return out;
  }
};

// The proton at sqrt(s) = 140 GeV (example 07_dis).
struct DisNc : Dis<Proton, 140> {};

}  // namespace sagips::sim
