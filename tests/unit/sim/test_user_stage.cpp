// A user's path, as docs/simulation.md tells it: a 1-D resonance (a Breit-Wigner on a flat background)
// with a falling detector efficiency written as the user's own rejection stage (the public
// Compactor, no detail:: name) and Gaussian resolution; the theory and the stage checked with the
// public checkers in a line each, and the checkers shown to catch the mistakes they are for.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <sagips/sim.hpp>
#include <sagips/testing/gradients.hpp>
#include <string>

namespace sim = sagips::sim;
namespace st = sagips::testing;
using sagips::Matrix;
using sagips::Vector;

namespace {

// ---- what the user writes ---------------------------------------------------------------------------
struct Resonance {  // p = (mass, width, background level), x = invariant mass in [0.5, 1.5]
  static constexpr int num_params = 3;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    const S half = p[1] / X(2);
    const S dx = x[0] - p[0];
    return half * half / (dx * dx + half * half) + p[2];
  }
  static sim::Box<1> domain() { return {{0.5}, {1.5}}; }
  static std::array<double, 3> truth() { return {1.0, 0.1, 0.2}; }
};

// Efficiency falling linearly from `low` at the domain's lower end to `high` at its upper end; an event
// is kept with that probability.
struct FallingEfficiency {
  double low = 1.0, high = 0.4;

  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;  // it drops events, it does not weight them
    Impl(const FallingEfficiency& s, const sim::Box<D>& box)
        : lo_(static_cast<T>(box.lower[0])),
          e0_(static_cast<T>(s.low)),
          slope_(static_cast<T>((s.high - s.low) / (box.upper[0] - box.lower[0]))) {}

    int forward(Matrix<T> events, Vector<T> weights, int count, sagips::random::CounterRng rng) {
      const T lo = lo_, e0 = e0_, slope = slope_;
      return compactor_.keep_if(
          events, weights, count, KOKKOS_LAMBDA(int i) {
            return rng.uniform<T>(static_cast<std::uint64_t>(i)) < e0 + slope * (events(i, 0) - lo);
          });
    }
    void vjp(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
      compactor_.scatter_back(d_events, d_weights, before, after);
    }

   private:
    T lo_, e0_, slope_;
    sim::Compactor<T> compactor_;
  };
};

using Detector = sim::Pipeline<Resonance, sim::InverseCdf1D<256>, FallingEfficiency, sim::GaussianSmearing>;

}  // namespace

TEST_CASE("a user's resonance and efficiency stage: checked in three lines") {
  CHECK(st::check_theory_gradient(Resonance{}, Resonance::truth()));
  CHECK(st::check_stage_vjp<Resonance>(FallingEfficiency{1.0, 0.4}));
  CHECK(st::check_stage_vjp<Resonance>(sim::GaussianSmearing{0.02}));
}

TEST_CASE("a user's rejection stage is unweighted: generate_events keeps the analytic fraction") {
  static_assert(sim::is_stage_v<FallingEfficiency, float, 1> && sim::is_theory_v<Resonance>);
  static_assert(!Detector::weighted, "a rejection stage and smearing make an unweighted pipeline");
  // The accepted fraction: the integral of sigma(x) eff(x) over sigma(x), by the midpoint rule.
  const auto t = Resonance::truth();
  double num = 0, den = 0;
  const int cells = 200000;
  for (int k = 0; k < cells; ++k) {
    const double x = 0.5 + (k + 0.5) / cells;
    const double s = Resonance{}(t.data(), &x);
    num += s * (1.0 + (0.4 - 1.0) * (x - 0.5));
    den += s;
  }
  const double expected = num / den;
  REQUIRE(expected > 0.6);
  REQUIRE(expected < 0.8);

  Detector pipe(Resonance{}, sim::InverseCdf1D<256>{}, FallingEfficiency{1.0, 0.4}, sim::GaussianSmearing{0.02});
  Matrix<float> p("p", 1, 3);
  auto hp = Kokkos::create_mirror_view(p);
  for (int j = 0; j < 3; ++j) hp(0, j) = static_cast<float>(t[j]);
  Kokkos::deep_copy(p, hp);
  const int m = 400000;
  const auto out = pipe.forward(p, m, {5, 0, 2});
  CHECK(std::abs(double(out.count) / m - expected) < 0.005);  // 7 binomial sigmas

  const auto events = sim::generate_events(pipe, t, 50000, 3);
  CHECK(events.extent(0) == 50000);
}

// ---- the checkers catch what they are for ----------------------------------------------------------
namespace {

// Compacts in forward but forgets the scatter in vjp: the gradients stay in the kept rows' places.
struct ForgetsScatter {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const ForgetsScatter&, const sim::Box<D>&) {}
    int forward(Matrix<T> events, Vector<T> weights, int count, sagips::random::CounterRng) {
      return compactor_.keep_if(
          events, weights, count, KOKKOS_LAMBDA(int i) { return events(i, 0) < T(1.0); });
    }
    void vjp(Matrix<T>, Vector<T>, int, int) {}

   private:
    sim::Compactor<T> compactor_;
  };
};

// Shifts events (an energy scale) but does not say where they can go.
struct ShiftsWithoutSupport {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const ShiftsWithoutSupport&, const sim::Box<D>&) {}
    int forward(Matrix<T> events, Vector<T>, int count, sagips::random::CounterRng) {
      Kokkos::parallel_for(
          "shift", Kokkos::RangePolicy<sagips::ExecSpace>(0, count), KOKKOS_LAMBDA(int i) { events(i, 0) *= T(1.2); });
      return count;
    }
    void vjp(Matrix<T> d_events, Vector<T>, int, int after) {
      Kokkos::parallel_for(
          "shift_vjp", Kokkos::RangePolicy<sagips::ExecSpace>(0, after),
          KOKKOS_LAMBDA(int i) { d_events(i, 0) *= T(1.2); });
    }
  };
};

// Says weighted = true but only drops events (what Acceptance's rejection mode used to do).
struct ClaimsWeights {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = true;
    Impl(const ClaimsWeights&, const sim::Box<D>&) {}
    int forward(Matrix<T> events, Vector<T> weights, int count, sagips::random::CounterRng rng) {
      return compactor_.keep_if(
          events, weights, count,
          KOKKOS_LAMBDA(int i) { return rng.uniform<T>(static_cast<std::uint64_t>(i)) < T(0.7); });
    }
    void vjp(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
      compactor_.scatter_back(d_events, d_weights, before, after);
    }

   private:
    sim::Compactor<T> compactor_;
  };
};

// Draws its noise from a generator of its own instead of the rng argument.
struct OwnRandomness {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const OwnRandomness&, const sim::Box<D>&) {}
    int forward(Matrix<T> events, Vector<T>, int count, sagips::random::CounterRng) {
      const T shift = static_cast<T>(0.001 * std::uniform_real_distribution<double>()(gen_));
      Kokkos::parallel_for(
          "jitter", Kokkos::RangePolicy<sagips::ExecSpace>(0, count), KOKKOS_LAMBDA(int i) { events(i, 0) += shift; });
      return count;
    }
    void vjp(Matrix<T>, Vector<T>, int, int) {}

   private:
    std::mt19937 gen_{7};
  };
};

// The width's derivative lost: the user froze it to a constant (as when a parameter is copied into a
// plain number to call a library function).
template <class S>
KOKKOS_INLINE_FUNCTION S frozen(const S& s) {
  return s;
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION sagips::autodiff::Dual<T, N> frozen(const sagips::autodiff::Dual<T, N>& s) {
  return sagips::autodiff::Dual<T, N>(s.v);
}
struct FrozenWidth : Resonance {
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    const S half = frozen(p[1]) / X(2);
    const S dx = x[0] - p[0];
    return half * half / (dx * dx + half * half) + p[2];
  }
};

// A call operator on one scalar type for parameters and coordinates: no Dual parameters with T
// coordinates (rejected at compile time, so only the trait can be tested here).
struct OneScalar : Resonance {
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const S* x) const {
    return p[2] + x[0] * S(0);
  }
};
// support() not const: the pipeline could not call it and would silently ignore it.
struct MutableSupport {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const MutableSupport&, const sim::Box<D>&) {}
    int forward(Matrix<T>, Vector<T>, int count, sagips::random::CounterRng) { return count; }
    void vjp(Matrix<T>, Vector<T>, int, int) {}
    sim::Box<D> support(const sim::Box<D>& in) { return in; }
  };
};

bool mentions(const st::CheckResult& r, const std::string& text) { return r.report().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("check_stage_vjp names the element that disagrees, with analytic, numeric and tolerance") {
  const auto r = st::check_stage_vjp<Resonance>(ForgetsScatter{});
  CHECK_FALSE(r);
  CHECK(r.failed() > 0);
  REQUIRE_FALSE(r.mismatches().empty());
  const auto& m = r.mismatches().front();
  CHECK(m.element.find("dL / d events(") == 0);
  CHECK(std::abs(m.analytic - m.numeric) > m.tolerance);
  CHECK(mentions(r, "analytic "));
  CHECK(mentions(r, ", numeric "));
  CHECK(mentions(r, "> tolerance "));
  MESSAGE(r);  // what a user sees
}

TEST_CASE("check_stage_vjp: support, weighted-ness and reproducibility are checked too") {
  const auto shifted = st::check_stage_vjp<Resonance>(ShiftsWithoutSupport{});
  CHECK_FALSE(shifted);
  CHECK(mentions(shifted, "lies outside the stage's support"));
  CHECK(shifted.failed() == 0);  // its vjp itself is right

  const auto claims = st::check_stage_vjp<Resonance>(ClaimsWeights{});
  CHECK_FALSE(claims);
  CHECK(mentions(claims, "says weighted = true but left every weight as it was"));

  const auto noisy = st::check_stage_vjp<Resonance>(OwnRandomness{});
  CHECK_FALSE(noisy);
  CHECK(mentions(noisy, "two forwards of the same events with the same rng gave different results"));

  static_assert(!sim::is_stage_v<MutableSupport, float, 1>);
  static_assert(sim::is_stage_v<ClaimsWeights, double, 2>);
}

TEST_CASE("check_theory_gradient names the parameter and the point where the derivative is wrong") {
  const auto r = st::check_theory_gradient(FrozenWidth{}, Resonance::truth());
  CHECK_FALSE(r);
  REQUIRE_FALSE(r.mismatches().empty());
  int width = 0, mass = 0;
  for (const auto& m : r.mismatches()) {
    width += m.element.find("d density / d p[1] at x = (") == 0;
    mass += m.element.find("d density / d p[0]") == 0;
  }
  CHECK(width > 0);
  CHECK(mass == 0);
  CHECK(st::check_theory_gradient(Resonance{}, Resonance::truth(), {{{0.9}}, {{1.0}}, {{1.05}}}));
  // A negative density is named.
  const auto negative = st::check_theory_gradient(Resonance{}, {1.0, 0.1, -2.0});
  CHECK_FALSE(negative);
  CHECK(mentions(negative, "is negative"));

  static_assert(!sim::is_theory_v<OneScalar>);
  static_assert(sim::is_theory_v<FrozenWidth>);
}

TEST_CASE("Compactor: keeps rows in order, scatters gradients back, refuses a mismatched scatter") {
  Matrix<double> ev("ev", 6, 1);
  Vector<double> w("w", 6);
  auto he = Kokkos::create_mirror_view(ev);
  auto hw = Kokkos::create_mirror_view(w);
  for (int i = 0; i < 6; ++i) {
    he(i, 0) = i;
    hw(i) = 10 + i;
  }
  Kokkos::deep_copy(ev, he);
  Kokkos::deep_copy(w, hw);
  sim::Compactor<double> c;
  const int kept = c.keep_if(
      ev, w, 6, KOKKOS_LAMBDA(int i) { return i % 2 == 1; });
  REQUIRE(kept == 3);
  Kokkos::deep_copy(he, ev);
  Kokkos::deep_copy(hw, w);
  for (int j = 0; j < 3; ++j) {
    CHECK(he(j, 0) == 2 * j + 1);
    CHECK(hw(j) == 10 + 2 * j + 1);
  }
  Matrix<double> de("de", 6, 1);
  Vector<double> dw("dw", 6);
  Kokkos::deep_copy(de, 1.0);
  Kokkos::deep_copy(dw, 2.0);
  c.scatter_back(de, dw, 6, 3);
  auto hde = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), de);
  auto hdw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), dw);
  for (int i = 0; i < 6; ++i) {
    CHECK(hde(i, 0) == (i % 2 == 1 ? 1.0 : 0.0));
    CHECK(hdw(i) == (i % 2 == 1 ? 2.0 : 0.0));
  }
  CHECK_THROWS_WITH_AS(c.scatter_back(de, dw, 6, 4),
                       "Compactor::scatter_back: called for 6 -> 4 rows, the last keep_if went from 6 to 3 rows",
                       sagips::Error);
}
