#pragma once
// Profile-likelihood intervals: what the data say about one parameter when the Hessian cannot.
//
// The profile of parameter j is -ln L minimised over all the other parameters with p_j held at t:
//
//   prof_j(t) = min over p with p_j = t of -ln L(p),        delta_j(t) = prof_j(t) - (the fit's minimum).
//
// For a parameter the data fix, 2 delta_j(true value) follows a chi-squared distribution with one degree
// of freedom (Wilks), so {t : delta_j(t) <= 1/2} is its 68.27% interval and {delta_j <= 2} its 95.45%
// one (the "one and two sigma" of a likelihood that need not be a parabola). Where -ln L is a parabola
// the 68% interval is the fit's estimate +- its Hessian sigma; where it is not (a long tail, a direction
// the data barely fix, a parameter held at a bound, where the Hessian gives no sigma at all) the profile
// still answers. An end that reaches the fit's box says that the data do not bound the parameter on that
// side within the box: the interval there is the box's, not a measurement.
//
//   fit::FitResult r = fit::minimize(nll, start, lo, hi);
//   fit::ProfileInterval i = fit::profile_interval(nll, r, j, lo, hi);      // delta 1/2: 68%
//   double d = fit::profile_above_minimum(nll, r, j, t, lo, hi);           // delta_j(t)
//
// Each value of the profile is one fit of the other parameters (fit::minimize from the nearest point
// found so far); an interval end takes about 5-10 of them. Where the likelihood is zero (a theory's
// density negative, a normalisation not finite) at every start tried for that fit (the nearest minimiser,
// the fit's point, the box's centre), the profile is NaN there and counts as outside the interval; an
// end set by such a point is marked `at_wall`.
// Collective like the fit: every rank passes the same arguments and gets the same answer.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "sagips/core/eigen.hpp"
#include "sagips/fit/mle.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::fit {

// The interval {t : delta_j(t) <= delta} around the fit's estimate.
struct ProfileInterval {
  double lower = 0, upper = 0;
  bool lower_at_box = false, upper_at_box = false;  // the profile stays below delta up to the box's bound
  bool lower_at_wall = false, upper_at_wall = false;  // the end is where the likelihood stops being finite
  double delta = 0.5;                               // 0.5: 68.27%; 2: 95.45%
  // The lowest -ln L the profile met, minus the fit's minimum: below -1e-6 the fit's minimum is not the
  // global one (the profile found lower ground; fit again from there).
  double lowest = 0;
  std::vector<double> lowest_at;  // where: a start for fitting again (empty while lowest is 0)
  int fits = 0;                   // fits of the other parameters it took
};

// An Nll (P, Vec, evaluate, events) with parameter j held at `value`: the other P - 1 parameters, for
// fit::minimize. The gradient leaves out the held parameter's component.
template <class Nll>
class HeldParameter {
 public:
  static constexpr int P = Nll::P - 1;
  using Vec = Eigen::Matrix<double, P, 1>;
  static_assert(Nll::P >= 2, "HeldParameter: holding one of one parameter leaves nothing to fit");

  HeldParameter(const Nll& nll, int j, double value) : nll_(nll), j_(j), value_(value) {}
  long events() const { return nll_.events(); }
  double evaluate(const Vec& q, Vec* grad = nullptr) const {
    typename Nll::Vec p = full(q), g;
    const double f = nll_.evaluate(p, grad ? &g : nullptr);
    if (grad)
      for (int i = 0, k = 0; i < Nll::P; ++i)
        if (i != j_) (*grad)[k++] = g[i];
    return f;
  }
  typename Nll::Vec full(const Vec& q) const {
    typename Nll::Vec p;
    for (int i = 0, k = 0; i < Nll::P; ++i) p[i] = i == j_ ? value_ : q[k++];
    return p;
  }

 private:
  const Nll& nll_;
  int j_;
  double value_;
};

namespace detail {
// prof_j(t) - fit.nll, fitting the other parameters from `others` (the full point; its j-th value is
// ignored), which is then updated to the profile's minimiser at t.
template <class Nll, std::size_t P>
double profile_delta(const Nll& nll, const FitResult& fit, int j, double t, std::array<double, P>& others,
                     const std::array<double, P>& lower, const std::array<double, P>& upper, const FitOptions& options) {
  if constexpr (P == 1) {
    (void)j, (void)lower, (void)upper, (void)options;
    typename Nll::Vec p;
    p[0] = t;
    others[0] = t;
    return nll.evaluate(p) - fit.nll;
  } else {
    // The other parameters' box, and three starts: the nearest minimiser; should the likelihood be
    // zero there, the fit's point; then the box's centre (minimize refuses a start where -ln L is not
    // finite: a verdict every rank shares, the likelihood being reduced over them).
    std::array<double, P - 1> lo{}, hi{}, start{}, fallback{}, centre{};
    for (std::size_t i = 0, k = 0; i < P; ++i)
      if (static_cast<int>(i) != j) {
        lo[k] = lower[i];
        hi[k] = upper[i];
        start[k] = others[i];
        fallback[k] = fit.value[i];
        centre[k++] = 0.5 * (lower[i] + upper[i]);
      }
    const HeldParameter<Nll> held(nll, j, t);
    for (const auto* from : {&start, &fallback, &centre}) {
      try {
        const FitResult r = minimize(held, *from, lo, hi, options);
        const typename Nll::Vec p = held.full(Eigen::Map<const typename HeldParameter<Nll>::Vec>(r.value.data()));
        for (std::size_t i = 0; i < P; ++i) others[i] = p[static_cast<int>(i)];
        return r.nll - fit.nll;
      } catch (const Stopped&) {
        throw;
      } catch (const CollectiveError&) {  // -ln L not finite at this start: try the next
      }
    }
    return std::numeric_limits<double>::quiet_NaN();  // zero likelihood at every start tried
  }
}

template <class Nll, std::size_t P>
void check_profile_arguments(const FitResult& fit, int j, const std::array<double, P>& lower,
                             const std::array<double, P>& upper) {
  static_assert(static_cast<int>(P) == Nll::P, "profile: the box has one bound per parameter of the fit");
  SAGIPS_REQUIRE(j >= 0 && j < static_cast<int>(P), "profile: parameter " << j << " of a fit of " << P);
  SAGIPS_REQUIRE(fit.value.size() == P, "profile: the fit has " << fit.value.size() << " values, the likelihood " << P
                                                                << " parameters");
  SAGIPS_REQUIRE(fit.events > 0 && std::isfinite(fit.nll), "profile: the fit has no minimum to profile (" << fit.status
                                                                                                      << ")");
  for (std::size_t i = 0; i < P; ++i)
    SAGIPS_REQUIRE(lower[i] < upper[i] && fit.value[i] >= lower[i] && fit.value[i] <= upper[i],
                   "profile: the fit's p" << i << " = " << fit.value[i] << " is outside its box [" << lower[i] << ", "
                                          << upper[i] << "]");
}
}  // namespace detail

// delta_j(t): -ln L minimised over the other parameters at p_j = t, above the fit's minimum. t must lie
// in the box.
template <class Nll, std::size_t P>
double profile_above_minimum(const Nll& nll, const FitResult& fit, int j, double t, const std::array<double, P>& lower,
                             const std::array<double, P>& upper, FitOptions options = {}) {
  detail::check_profile_arguments<Nll>(fit, j, lower, upper);
  SAGIPS_REQUIRE(t >= lower[j] && t <= upper[j],
                 "profile: p" << j << " = " << t << " is outside the fit's box [" << lower[j] << ", " << upper[j] << "]");
  std::array<double, P> others{};
  std::copy(fit.value.begin(), fit.value.end(), others.begin());
  return detail::profile_delta(nll, fit, j, t, others, lower, upper, options);
}

// The interval of parameter j where delta_j <= delta (0.5: 68.27%, 2: 95.45%). Each end: steps out from
// the estimate (the Hessian sigma scaled to delta, or a tenth of the box without one; doubling) until
// delta_j exceeds delta or the box's bound is reached, then the Illinois variant of regula falsi on the
// bracket until delta_j is within `tolerance` nats of delta.
template <class Nll, std::size_t P>
ProfileInterval profile_interval(const Nll& nll, const FitResult& fit, int j, const std::array<double, P>& lower,
                                 const std::array<double, P>& upper, double delta = 0.5, double tolerance = 1e-3,
                                 FitOptions options = {}) {
  detail::check_profile_arguments<Nll>(fit, j, lower, upper);
  SAGIPS_REQUIRE(std::isfinite(delta) && delta > 0, "profile: delta must be a positive number of nats; it is " << delta);
  SAGIPS_REQUIRE(std::isfinite(tolerance) && tolerance > 0 && tolerance < delta,
                 "profile: tolerance must lie in (0, delta); it is " << tolerance);
  ProfileInterval out;
  out.delta = delta;
  const double estimate = fit.value[j], width = upper[j] - lower[j];
  const double sigma = fit.sigma.size() == P ? fit.sigma[j] : 0.0;
  const double first = sigma > 0 ? std::min(sigma * std::sqrt(2 * delta), width) : 0.1 * width;
  for (const double side : {-1.0, 1.0}) {
    const double bound = side < 0 ? lower[j] : upper[j];
    std::array<double, P> others{};
    std::copy(fit.value.begin(), fit.value.end(), others.begin());
    auto h = [&](double t) {  // delta_j(t) - delta
      const double d = detail::profile_delta(nll, fit, j, t, others, lower, upper, options);
      ++out.fits;
      if (d < out.lowest) {
        out.lowest = d;
        out.lowest_at.assign(others.begin(), others.end());
      }
      return d - delta;
    };
    // Bracket: a (h < 0, nearer the estimate) and b (h >= 0).
    double a = estimate, ha = -delta, b = estimate, hb = -delta, step = first;
    bool bracketed = false;
    while (side * (bound - a) > 0) {
      b = side < 0 ? std::max(a - step, bound) : std::min(a + step, bound);
      hb = h(b);
      if (!(hb < 0)) {  // a NaN counts as outside: the likelihood is not finite there
        bracketed = true;
        break;
      }
      a = b;
      ha = hb;
      step *= 2;
    }
    double end = a;
    bool wall = bracketed && !std::isfinite(hb);  // the outer end of the bracket is a zero likelihood
    if (bracketed) {
      if (!std::isfinite(hb)) hb = delta;  // bisect toward the finite side
      int stale = 0;                        // Illinois: halve a repeated end's value
      for (int it = 0; it < 60; ++it) {
        double t = b - hb * (b - a) / (hb - ha);
        if (!(side * (t - a) > 0 && side * (b - t) > 0)) t = 0.5 * (a + b);
        const double ht = h(t);
        if (std::abs(ht) <= tolerance) {  // a crossing of delta: a measured end
          end = t;
          wall = false;
          break;
        }
        if (std::abs(b - a) <= 1e-12 * width) {  // pinned between a finite point and a zero likelihood
          end = t;
          break;
        }
        if (ht < 0) {
          a = t;
          ha = ht;
          if (stale == -1) hb *= 0.5;
          stale = -1;
        } else {
          b = t;
          wall = !std::isfinite(ht);
          hb = std::isfinite(ht) ? ht : delta;
          if (stale == 1) ha *= 0.5;
          stale = 1;
        }
        end = 0.5 * (a + b);
      }
    }
    (side < 0 ? out.lower : out.upper) = end;
    (side < 0 ? out.lower_at_box : out.upper_at_box) = !bracketed;
    (side < 0 ? out.lower_at_wall : out.upper_at_wall) = wall;
  }
  return out;
}

}  // namespace sagips::fit
