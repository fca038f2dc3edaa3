#pragma once
// Finite-difference checks for the two things a user writes: a theory and a stage. Each compares the
// analytic derivative with central differences in double and returns a CheckResult that lists what
// disagreed (element, analytic, numeric, tolerance). In a doctest file:
//
//   #include <sagips/testing/gradients.hpp>
//   TEST_CASE("my theory and my stage") {
//     CHECK(sagips::testing::check_theory_gradient(MyTheory{}, {1.0, 0.1, 0.2}));
//     CHECK(sagips::testing::check_stage_vjp<MyTheory>(MyStage{0.8}));
//   }
//
// check_theory_gradient(theory, params[, points, tolerance])
//   at each point x (default: a grid inside the domain): d density / d p_j from Dual<double, P>
//   against central differences of the double density; the Dual's value against the double one; the
//   float density and its Dual<float, P> gradient against double (float_rtol); a negative or
//   non-finite density is a problem. Derivative scale: |density| / max(1, |p_j|).
// check_stage_vjp<Theory>(stage[, options])
//   the stage's Impl<double, D> on a small batch of events (default: uniform in the theory's domain,
//   weights in [0.5, 1.5]): L = sum c . events' + sum c' weights' with fixed random c, c'; dL/d(input)
//   from forward then vjp against central differences of L, every forward with the same rng (common
//   random numbers). An element whose perturbation changes how many events are kept is skipped (a
//   step across a cut). It also checks that a forward repeated with the same rng on the same Impl
//   repeats, that the output lies in the stage's support, that `weighted` tells the truth, and, for
//   an unweighted stage, that it runs without weights. Derivative scale: 1.
//
// Both need the theory and stage contracts (sim/theory.hpp, sim/stage.hpp) and state a broken one
// with the same static_assert as the pipeline.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/stage.hpp"
#include "sagips/sim/theory.hpp"
#include "sagips/testing/check_result.hpp"

namespace sagips::testing {

namespace detail {
template <int D>
std::string point_text(const double* x) {
  std::ostringstream os;
  os.precision(8);
  os << "(";
  for (int d = 0; d < D; ++d) os << (d ? ", " : "") << x[d];
  os << ")";
  return os.str();
}

// n^D cell centres of the box: n = 9 in one dimension, 5 in two, 3 beyond.
template <int D>
std::vector<std::array<double, D>> grid_points(const sim::Box<D>& box) {
  const int n = D == 1 ? 9 : D == 2 ? 5 : 3;
  int total = 1;
  for (int d = 0; d < D; ++d) total *= n;
  std::vector<std::array<double, D>> points(static_cast<std::size_t>(total));
  for (int k = 0; k < total; ++k) {
    int r = k;
    for (int d = 0; d < D; ++d) {
      points[k][d] = box.lower[d] + (box.upper[d] - box.lower[d]) * ((r % n) + 0.5) / n;
      r /= n;
    }
  }
  return points;
}

inline double step_for(double value, double relative) { return relative * std::max(1.0, std::abs(value)); }
inline double tolerance_for(const Tolerance& t, double a, double n, double scale) {
  return t.atol + t.rtol * (std::max(std::abs(a), std::abs(n)) + scale);
}
}  // namespace detail

// ---- theories -----------------------------------------------------------------------------------
template <class Theory>
CheckResult check_theory_gradient(const Theory& theory, const std::array<double, Theory::num_params>& params,
                                  std::vector<std::array<double, Theory::dim>> points = {}, Tolerance tol = {}) {
  if constexpr (!sim::check_theory<Theory>()) {
    return CheckResult("check_theory_gradient");  // (does not compile: check_theory said why)
  } else {
    constexpr int P = Theory::num_params, D = Theory::dim;
    using Dual = autodiff::Dual<double, P>;
    using DualF = autodiff::Dual<float, P>;
    CheckResult r("check_theory_gradient<" + sim::theory_name<Theory>() + ">");
    if (points.empty()) {
      try {
        points = detail::grid_points<D>(sim::checked_domain<Theory>());
      } catch (const Error& e) {
        r.problem(e.what());
        return r;
      }
    }
    Dual pd[P];
    DualF pf[P];
    float pfloat[P];
    for (int j = 0; j < P; ++j) {
      pd[j] = Dual::variable(params[j], j);
      pf[j] = DualF::variable(static_cast<float>(params[j]), j);
      pfloat[j] = static_cast<float>(params[j]);
    }
    for (const auto& point : points) {
      const double* x = point.data();
      float xf[D];
      for (int d = 0; d < D; ++d) xf[d] = static_cast<float>(x[d]);
      const std::string at = " at x = " + detail::point_text<D>(x);
      const double f = theory(params.data(), x);
      if (!(f >= 0) || !std::isfinite(f)) {
        std::ostringstream os;
        os << "the density" << at << " is " << (std::isfinite(f) ? "negative" : "not finite") << " (" << f
           << "): a density is >= 0 and finite on the whole domain";
        r.problem(os.str());
        continue;
      }
      const Dual fd = theory(pd, x);
      r.compare("density as Dual<double, P>" + at, fd.v, f, 1e-12 * std::abs(f));
      const float ff = theory(pfloat, xf);
      r.compare("density in float" + at, ff, f, tol.float_rtol * std::abs(f) + tol.atol);
      const DualF fdf = theory(pf, xf);
      for (int j = 0; j < P; ++j) {
        const double h = detail::step_for(params[j], tol.step);
        std::array<double, P> q = params;
        q[j] = params[j] + h;
        const double up = theory(q.data(), x);
        q[j] = params[j] - h;
        const double down = theory(q.data(), x);
        const double numeric = (up - down) / (2 * h);
        const double scale = std::abs(f) / std::max(1.0, std::abs(params[j]));
        const std::string name = "d density / d p[" + std::to_string(j) + "]";
        r.compare(name + at, fd.d[j], numeric, detail::tolerance_for(tol, fd.d[j], numeric, scale));
        r.compare(name + " in float" + at, fdf.d[j], fd.d[j], tol.atol + tol.float_rtol * (std::abs(fd.d[j]) + scale));
      }
    }
    return r;
  }
}

// ---- stages -------------------------------------------------------------------------------------
struct StageCheckOptions {
  int events = 16;                // the batch, when events_in is empty
  std::vector<double> events_in;  // optional input events, row-major [n, D], inside the theory's domain
  std::uint64_t seed = 1;         // the events, weights, loss coefficients and the stage's rng
  Tolerance tolerance{};
};

namespace detail {
// One forward of a fresh copy of the input: the output events (row-major) and weights, on the host.
struct StageRun {
  int count = 0;
  std::vector<double> events, weights;
};

template <class Impl, int D>
StageRun run_stage(Impl& impl, const std::vector<double>& x, const std::vector<double>& w, std::uint64_t key) {
  const int n = static_cast<int>(x.size() / D);
  Matrix<double> ev("sagips::testing::events", n, D);
  Vector<double> wv("sagips::testing::weights", w.size());
  auto hev = Kokkos::create_mirror_view(ev);
  auto hwv = Kokkos::create_mirror_view(wv);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < D; ++d) hev(i, d) = x[i * D + d];
  for (std::size_t i = 0; i < w.size(); ++i) hwv(i) = w[i];
  Kokkos::deep_copy(ev, hev);
  Kokkos::deep_copy(wv, hwv);
  StageRun out;
  out.count = impl.forward(ev, wv, n, random::CounterRng(key));
  Kokkos::deep_copy(hev, ev);
  Kokkos::deep_copy(hwv, wv);
  const int kept = std::clamp(out.count, 0, n);
  out.events.assign(hev.data(), hev.data() + kept * D);
  if (!w.empty()) out.weights.assign(hwv.data(), hwv.data() + kept);
  return out;
}

template <int D>
double stage_loss(const StageRun& o, const std::vector<double>& c) {
  double l = 0;
  for (int j = 0; j < o.count; ++j) {
    for (int d = 0; d < D; ++d) l += c[j * (D + 1) + d] * o.events[j * D + d];
    if (!o.weights.empty()) l += c[j * (D + 1) + D] * o.weights[j];
  }
  return l;
}

// The check of one stage on one batch, with weights or (for an unweighted stage) without.
template <class Stage, class Impl, int D>
void check_stage_batch(CheckResult& r, const Stage& settings, const sim::Box<D>& box, const std::vector<double>& x,
                       const std::vector<double>& w, const std::vector<double>& c, std::uint64_t key,
                       const Tolerance& tol, bool* changes_weights) {
  const int n = static_cast<int>(x.size() / D);
  const bool weighted = !w.empty();
  const std::string mode = weighted ? " (with weights)" : " (without weights)";
  Impl impl(settings, box);
  const StageRun base = run_stage<Impl, D>(impl, x, w, key);
  if (base.count < 0 || base.count > n) {
    r.problem("forward returned the count " + std::to_string(base.count) + " for " + std::to_string(n) +
              " input events" + mode + ": it must be in [0, count]");
    return;
  }
  if (base.count == 0) {
    r.problem("the stage kept none of the " + std::to_string(n) + " events" + mode +
              ": nothing to compare (give events or settings that keep some)");
    return;
  }
  // Where the output may lie: the stage's support of the domain, or the domain itself.
  sim::Box<D> reach = box;
  if constexpr (sim::has_support_v<Impl, D>) reach = impl.support(box);
  for (int j = 0; j < base.count; ++j) {
    bool inside = true;
    for (int d = 0; d < D; ++d) {
      const double v = base.events[j * D + d], margin = 1e-9 * (reach.upper[d] - reach.lower[d]);
      inside = inside && std::isfinite(v) && v >= reach.lower[d] - margin && v <= reach.upper[d] + margin;
    }
    if (!inside) {
      std::ostringstream os;
      os << "output event " << j << " = " << point_text<D>(&base.events[j * D]) << mode
         << " lies outside the stage's support " << point_text<D>(reach.lower.data()) << " - "
         << point_text<D>(reach.upper.data())
         << " (a stage that moves events states where they can go: Box<D> support(const Box<D>&) const)";
      r.problem(os.str());
      break;
    }
  }
  if (weighted && changes_weights) {
    // An output weight no input had (other than 1, a reset) was changed by the stage.
    std::vector<double> sorted = w;
    std::sort(sorted.begin(), sorted.end());
    *changes_weights = false;
    for (double v : base.weights)
      if (v != 1.0 && !std::binary_search(sorted.begin(), sorted.end(), v)) *changes_weights = true;
  }
  // The analytic dL/d(input).
  Matrix<double> de("sagips::testing::d_events", n, D);
  Vector<double> dw("sagips::testing::d_weights", w.size());
  auto hde = Kokkos::create_mirror_view(de);
  auto hdw = Kokkos::create_mirror_view(dw);
  for (int j = 0; j < base.count; ++j) {
    for (int d = 0; d < D; ++d) hde(j, d) = c[j * (D + 1) + d];
    if (weighted) hdw(j) = c[j * (D + 1) + D];
  }
  Kokkos::deep_copy(de, hde);
  Kokkos::deep_copy(dw, hdw);
  impl.vjp(de, dw, n, base.count);
  Kokkos::deep_copy(hde, de);
  Kokkos::deep_copy(hdw, dw);
  // Central differences, each forward with the same rng, on the same Impl (as a pipeline reuses its
  // stages): first the unperturbed forward again, which must repeat.
  Impl& fd = impl;
  const StageRun again = run_stage<Impl, D>(fd, x, w, key);
  if (again.count != base.count || again.events != base.events || again.weights != base.weights) {
    r.problem("two forwards of the same events with the same rng gave different results" + mode +
              ": draw every random number from the rng argument, with the row's counter");
    return;
  }
  // Perturbs input element k (of the events, or of the weights) by +-h in copies of the input.
  auto difference = [&](bool of_weights, std::size_t k, double h, double& numeric) {
    std::vector<double> xs = x, ws = w;
    double& value = of_weights ? ws[k] : xs[k];
    const double saved = value;
    value = saved + h;
    const StageRun up = run_stage<Impl, D>(fd, xs, ws, key);
    value = saved - h;
    const StageRun down = run_stage<Impl, D>(fd, xs, ws, key);
    if (up.count != base.count || down.count != base.count) return false;  // a step across a cut
    numeric = (stage_loss<D>(up, c) - stage_loss<D>(down, c)) / (2 * h);
    return true;
  };
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < D; ++d) {
      const std::size_t k = static_cast<std::size_t>(i) * D + d;
      double numeric = 0;
      if (!difference(false, k, step_for(x[k], tol.step), numeric)) {
        r.skip();
        continue;
      }
      r.compare("dL / d events(" + std::to_string(i) + ", " + std::to_string(d) + ")" + mode, hde(i, d), numeric,
                tolerance_for(tol, hde(i, d), numeric, 1.0));
    }
    if (!weighted) continue;
    double numeric = 0;
    if (!difference(true, static_cast<std::size_t>(i), step_for(w[i], tol.step), numeric)) {
      r.skip();
      continue;
    }
    r.compare("dL / d weights(" + std::to_string(i) + ")" + mode, hdw(i), numeric,
              tolerance_for(tol, hdw(i), numeric, 1.0));
  }
}

// The check itself, for a theory and stage that meet their contracts.
template <class Theory, class Stage>
CheckResult check_stage_vjp(const Stage& settings, const StageCheckOptions& options) {
  constexpr int D = Theory::dim;
  using Impl = typename Stage::template Impl<double, D>;
  CheckResult r("check_stage_vjp<" + sim::theory_name<Stage>() + "> on " + sim::theory_name<Theory>() + "'s domain");
  sim::Box<D> box;
  try {
    box = sim::checked_domain<Theory>();
  } catch (const Error& e) {
    r.problem(e.what());
    return r;
  }
  std::mt19937_64 gen(options.seed);
  std::vector<double> x = options.events_in;
  if (x.empty()) {
    if (options.events < 1) {
      r.problem("options.events is " + std::to_string(options.events) + ": at least 1 event is needed");
      return r;
    }
    x.resize(static_cast<std::size_t>(options.events) * D);
    for (std::size_t k = 0; k < x.size(); ++k) {  // away from the domain's edges by 2% of its width
      const int d = static_cast<int>(k % D);
      x[k] = box.lower[d] + (box.upper[d] - box.lower[d]) * std::uniform_real_distribution<double>(0.02, 0.98)(gen);
    }
  } else if (x.size() % D != 0) {
    r.problem("options.events_in has " + std::to_string(x.size()) + " values, not whole events of dimension " +
              std::to_string(D));
    return r;
  }
  const int n = static_cast<int>(x.size() / D);
  std::vector<double> w(static_cast<std::size_t>(n)), c(static_cast<std::size_t>(n) * (D + 1));
  for (auto& v : w) v = std::uniform_real_distribution<double>(0.5, 1.5)(gen);
  for (auto& v : c) v = std::normal_distribution<double>()(gen);
  const std::uint64_t key = random::mix64(options.seed ^ 0x5a9e5ull);

  bool changes_weights = false;
  check_stage_batch<Stage, Impl, D>(r, settings, box, x, w, c, key, options.tolerance, &changes_weights);
  if (!r.problems().empty()) return r;
  if (Impl::weighted && !changes_weights)
    r.problem(
        "the stage says weighted = true but left every weight as it was: a stage that does not weight "
        "events says weighted = false, or unweighted pipelines (generate_events) refuse it");
  if (!Impl::weighted && changes_weights)
    r.problem(
        "the stage says weighted = false but changed weights: a stage that weights events says "
        "weighted = true (an unweighted pipeline gives it no weights to change)");
  else if (!Impl::weighted)  // an unweighted pipeline gives the stage an empty weights vector
    check_stage_batch<Stage, Impl, D>(r, settings, box, x, {}, c, key, options.tolerance, nullptr);
  return r;
}
}  // namespace detail

template <class Theory, class Stage>
CheckResult check_stage_vjp(const Stage& settings, StageCheckOptions options = {}) {
  constexpr int D = sim::detail::count_of<Theory>::dim;
  // One contract at a time, so that a broken one gives one message: the theory's, then the stage's
  // for double (checked here) and for float (what Pipeline computes in).
  if constexpr (!sim::check_theory<Theory>()) {
    return CheckResult("check_stage_vjp");
  } else if constexpr (!sim::check_stage<Stage, double, D>()) {
    return CheckResult("check_stage_vjp");
  } else if constexpr (!sim::check_stage<Stage, float, D>()) {
    return CheckResult("check_stage_vjp");
  } else {
    return detail::check_stage_vjp<Theory, Stage>(settings, options);
  }
}

}  // namespace sagips::testing
