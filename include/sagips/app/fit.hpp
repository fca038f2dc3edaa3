#pragma once
// The traditional baseline of a sagips::App run: the unbinned maximum-likelihood fit of the same
// events the GAN saw, and where the GAN's answer and the truth lie in that likelihood.
//
//   std::vector<double> mine = sagips::app::events_for_fit<Theory, D>(events, rank, size);
//   sagips::fit::UnbinnedNll<Theory> nll(theory, mine, box.lower, box.upper, comm);
//   result.mle = sagips::fit::minimize(nll, start, lo, hi);
//   sagips::app::place_in_likelihood(nll, result, lo, hi);
//   sagips::app::profile_parameters(nll, result, lo, hi);     // with --fit-profile
//
// The fit reads events as the theory's own: only those inside its domain (and its cuts, when it
// states in_region()) count; each rank takes every size-th of them, and the likelihood sums over ranks.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "sagips/app/result.hpp"
#include "sagips/fit/profile.hpp"
#include "sagips/fit/ratio.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::app {

// This rank's share of the events [N, D] that the fit may read (every size-th one from `rank`, inside
// the theory's domain and region), flattened row by row.
template <class Theory, int D, class Events>
std::vector<double> events_for_fit(const Events& events, int rank, int size) {
  const auto box = Theory::domain();
  std::vector<double> mine;
  for (long i = rank; i < static_cast<long>(events.extent(0)); i += size) {
    double event[D];
    bool inside = true;
    for (int d = 0; d < D; ++d) {
      event[d] = double(events(i, d));
      inside = inside && event[d] >= box.lower[d] && event[d] <= box.upper[d];  // NaN: outside
    }
    if constexpr (sim::has_region_v<Theory>) inside = inside && Theory::in_region(event);
    if (inside) mine.insert(mine.end(), event, event + D);
  }
  return mine;
}

// -ln L above the fit's minimum at the GAN's estimate and at the truth (fit/ratio.hpp), into `r`.
// Collective: every rank must hold the same training result (the trainer broadcasts it). The estimate
// is clamped into the fit's box (it lies there unless a user's generator leaves it); an estimate that
// is not finite is not placed, nor is a truth that is unknown or outside the box (the report still
// comes: the table says what the estimate is).
template <class Nll, std::size_t P>
void place_in_likelihood(const Nll& nll, Result& r, const std::array<double, P>& lo, const std::array<double, P>& hi) {
  const auto& params = r.gan.parameters;
  if (!r.mle || params.size() != P || r.mle->events == 0) return;
  for (const auto& p : params)
    if (!std::isfinite(p.estimate)) return;
  std::array<double, P> estimate{}, truth{};
  bool known = true;
  for (std::size_t j = 0; j < P; ++j) {
    estimate[j] = std::min(std::max(params[j].estimate, lo[j]), hi[j]);
    known = known && params[j].truth && *params[j].truth >= lo[j] && *params[j].truth <= hi[j];
    if (known) truth[j] = *params[j].truth;
  }
  r.regions = fit::likelihood_regions(static_cast<int>(P));
  r.delta_estimate = fit::above_minimum(nll, *r.mle, estimate, lo, hi);
  if (known) r.delta_truth = fit::above_minimum(nll, *r.mle, truth, lo, hi);
}

// Each parameter's profile-likelihood intervals (fit/profile.hpp) at 68.27% and 95.45% (-ln L, minimised
// over the other parameters, within 1/2 and 2 of the fit's minimum), and where the GAN's estimate lies in
// that profile, into `r`. Should an interval's search meet -ln L more than 1e-3 below the fit's minimum
// (a flat likelihood where Newton stopped early, or another valley), the fit starts again from the
// lowest point met, the estimate and truth are placed again, and the profiles are taken once more
// (r.refits counts it; a second round's lower ground, like the profile at the estimate's, is only
// reported: ProfiledParameter::lowest). Collective, like place_in_likelihood; skipped when that is
// (nothing to place). About 30 fits of the other parameters per parameter.
template <class Nll, std::size_t P>
void profile_parameters(const Nll& nll, Result& r, const std::array<double, P>& lo, const std::array<double, P>& hi) {
  const auto& params = r.gan.parameters;
  if (!r.mle || params.size() != P || r.mle->events == 0 || !std::isfinite(r.mle->nll)) return;
  for (const auto& p : params)
    if (!std::isfinite(p.estimate)) return;
  for (int round = 0; round < 2; ++round) {
    r.profile.clear();
    double lowest = 0;
    std::vector<double> lowest_at;
    for (std::size_t j = 0; j < P; ++j) {
      ProfiledParameter q;
      q.sigma68 = fit::profile_interval(nll, *r.mle, static_cast<int>(j), lo, hi, 0.5);
      q.sigma95 = fit::profile_interval(nll, *r.mle, static_cast<int>(j), lo, hi, 2.0);
      const double t = std::min(std::max(params[j].estimate, lo[j]), hi[j]);
      const double d = fit::profile_above_minimum(nll, *r.mle, static_cast<int>(j), t, lo, hi);
      q.estimate_sigmas = (t < r.mle->value[j] ? -1 : 1) * std::sqrt(2 * std::max(d, 0.0));
      q.lowest = std::min({q.sigma68.lowest, q.sigma95.lowest, d});
      for (const auto* i : {&q.sigma68, &q.sigma95})
        if (i->lowest < lowest) {
          lowest = i->lowest;
          lowest_at = i->lowest_at;
        }
      r.profile.push_back(q);
    }
    if (round == 1 || !(lowest < -1e-3)) return;
    std::array<double, P> start{};
    std::copy(lowest_at.begin(), lowest_at.end(), start.begin());
    r.mle = fit::minimize(nll, start, lo, hi);
    ++r.refits;
    place_in_likelihood(nll, r, lo, hi);
  }
}

}  // namespace sagips::app
