#pragma once
// Detector and experiment stages: what happens to events after the sampler.
//
//   GaussianSmearing{resolution}        x_d += resolution_d z_d, z ~ N(0, 1) (reparameterised: dx'/dx = 1)
//   Acceptance<Eff>{eff, mode}          efficiency eff(x) in [0, 1], as a weight (w *= eff(x), with
//                                       d/dx from Dual numbers) or by rejection (keep if u < eff(x))
//   Background<Shape>{fraction, shape}  each event is replaced, with probability f, by one drawn from a
//                                       fixed background shape (Flat by default), which carries no p
//   Cuts<Pred>{pred}                    keep the events where pred(x) holds
//
// A stage Impl<T, D> is built from the stage's settings and the theory's domain and has
//   static constexpr bool weighted;              // multiplies the weights
//   int forward(Matrix<T> events, Vector<T> weights, int count, CounterRng rng);   // returns the new count
//   void vjp(Matrix<T> d_events, Vector<T> d_weights, int count_before, int count_after);
// The vjp works in place: it turns gradients with respect to the stage's output (count_after rows)
// into gradients with respect to its input (count_before rows). Rejection and cuts compact the kept
// events to the front, keeping their order, and remember where each came from.
// Optional: Box<D> support(const Box<D>& in) const, the region the stage's output can reach from
// events in `in` (a stage that moves events, like smearing, widens it; without it: unchanged). The
// pipeline uses it to check real data: an event no pipeline can produce is a data error.

#include <Kokkos_Core.hpp>
#include <array>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

namespace detail {
// Moves the rows with keep(i) to the front, in order; origin(j) = the input row of output row j.
template <class T, class Keep>
int compact(Matrix<T> events, Vector<T> weights, int count, const Keep& keep, Kokkos::View<int*, MemSpace>& origin,
            Matrix<T>& scratch, Vector<T>& wscratch) {
  const int dim = static_cast<int>(events.extent(1));
  if (static_cast<int>(origin.extent(0)) < count) origin = Kokkos::View<int*, MemSpace>("sagips::sim::origin", count);
  if (static_cast<int>(scratch.extent(0)) < count) scratch = Matrix<T>("sagips::sim::compact", count, dim);
  const bool weighted = weights.extent(0) > 0;
  if (weighted && static_cast<int>(wscratch.extent(0)) < count) wscratch = Vector<T>("sagips::sim::compact_w", count);
  auto o = origin;
  auto s = scratch;
  auto ws = wscratch;
  int kept = 0;
  Kokkos::parallel_scan(
      "sagips::sim::compact", Kokkos::RangePolicy<ExecSpace>(0, count),
      KOKKOS_LAMBDA(int i, int& pos, bool final) {
        if (keep(i)) {
          if (final) {
            o(pos) = i;
            for (int d = 0; d < dim; ++d) s(pos, d) = events(i, d);
            if (weighted) ws(pos) = weights(i);
          }
          ++pos;
        }
      },
      kept);
  Kokkos::parallel_for(
      "sagips::sim::compact_copy", Kokkos::RangePolicy<ExecSpace>(0, kept), KOKKOS_LAMBDA(int j) {
        for (int d = 0; d < dim; ++d) events(j, d) = s(j, d);
        if (weighted) weights(j) = ws(j);
      });
  return kept;
}

// The gradients of the kept rows go back to their origins; rejected rows get zero.
template <class T>
void uncompact(Matrix<T> d_events, Vector<T> d_weights, int before, int after, Kokkos::View<int*, MemSpace> origin,
               Matrix<T>& scratch, Vector<T>& wscratch) {
  const int dim = static_cast<int>(d_events.extent(1));
  const bool weighted = d_weights.extent(0) > 0;
  auto s = scratch;
  auto ws = wscratch;
  Kokkos::parallel_for(
      "sagips::sim::uncompact_save", Kokkos::RangePolicy<ExecSpace>(0, after), KOKKOS_LAMBDA(int j) {
        for (int d = 0; d < dim; ++d) s(j, d) = d_events(j, d);
        if (weighted) ws(j) = d_weights(j);
      });
  Kokkos::parallel_for(
      "sagips::sim::uncompact_zero", Kokkos::RangePolicy<ExecSpace>(0, before), KOKKOS_LAMBDA(int i) {
        for (int d = 0; d < dim; ++d) d_events(i, d) = T(0);
        if (weighted) d_weights(i) = T(0);
      });
  Kokkos::parallel_for(
      "sagips::sim::uncompact", Kokkos::RangePolicy<ExecSpace>(0, after), KOKKOS_LAMBDA(int j) {
        for (int d = 0; d < dim; ++d) d_events(origin(j), d) = s(j, d);
        if (weighted) d_weights(origin(j)) = ws(j);
      });
}
}  // namespace detail

// ---- smearing ---------------------------------------------------------------------------------------
struct GaussianSmearing {
  double resolution = 0.01;  // the same in every dimension; use per_dimension for different ones
  std::array<double, 4> per_dimension{0, 0, 0, 0};

  template <class T, int D>
  class Impl {
    static_assert(D <= 4, "GaussianSmearing handles up to 4 dimensions");

   public:
    static constexpr bool weighted = false;
    Impl(const GaussianSmearing& s, const Box<D>&) {
      for (int d = 0; d < D; ++d) {
        sigma_[d] = static_cast<T>(s.per_dimension[d] > 0 ? s.per_dimension[d] : s.resolution);
        SAGIPS_REQUIRE(sigma_[d] >= 0, "GaussianSmearing: negative resolution " << sigma_[d]);
      }
    }
    int forward(Matrix<T> events, Vector<T>, int count, random::CounterRng rng) {
      const auto sigma = sigma_;
      Kokkos::parallel_for(
          "sagips::sim::smear", Kokkos::RangePolicy<ExecSpace>(0, count), KOKKOS_LAMBDA(int i) {
            T z[4];
            rng.normal4(static_cast<std::uint64_t>(i), z);
            for (int d = 0; d < D; ++d) events(i, d) += sigma[d] * z[d];
          });
      return count;
    }
    void vjp(Matrix<T>, Vector<T>, int, int) {}  // dx'/dx = 1: gradients pass unchanged
    // Eight standard deviations: a smeared event lies further out with probability 1e-15.
    Box<D> support(const Box<D>& in) const {
      Box<D> out = in;
      for (int d = 0; d < D; ++d) {
        out.lower[d] -= 8 * double(sigma_[d]);
        out.upper[d] += 8 * double(sigma_[d]);
      }
      return out;
    }

   private:
    Kokkos::Array<T, D> sigma_;
  };
};

// ---- acceptance -------------------------------------------------------------------------------------
enum class AcceptanceMode { weight, rejection };

// Eff: a functor template <class S> S operator()(const S* x) const, with values in [0, 1].
template <class Eff>
struct Acceptance {
  Eff efficiency{};
  AcceptanceMode mode = AcceptanceMode::weight;

  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = true;  // the weight mode multiplies weights (rejection leaves them)
    Impl(const Acceptance& a, const Box<D>&) : eff_(a.efficiency), mode_(a.mode) {}

    int forward(Matrix<T> events, Vector<T> weights, int count, random::CounterRng rng) {
      const Eff eff = eff_;
      if (mode_ == AcceptanceMode::weight) {
        if (static_cast<int>(factor_.extent(0)) < count) factor_ = Vector<T>("sagips::sim::acceptance", count);
        if (static_cast<int>(grad_.extent(0)) < count) grad_ = Matrix<T>("sagips::sim::acceptance_grad", count, D);
        if (static_cast<int>(wbefore_.extent(0)) < count) wbefore_ = Vector<T>("sagips::sim::acceptance_w", count);
        auto factor = factor_;
        auto grad = grad_;
        auto wb = wbefore_;
        Kokkos::parallel_for(
            "sagips::sim::acceptance_weight", Kokkos::RangePolicy<ExecSpace>(0, count), KOKKOS_LAMBDA(int i) {
              using Dx = autodiff::Dual<T, D>;
              Dx x[D];
              for (int d = 0; d < D; ++d) x[d] = Dx::variable(events(i, d), d);
              const Dx e = eff(x);
              factor(i) = e.v;
              for (int d = 0; d < D; ++d) grad(i, d) = e.d[d];
              wb(i) = weights(i);
              weights(i) *= e.v;
            });
        return count;
      }
      return detail::compact<T>(
          events, weights, count,
          KOKKOS_LAMBDA(int i) {
            T x[D];
            for (int d = 0; d < D; ++d) x[d] = events(i, d);
            return rng.template uniform<T>(static_cast<std::uint64_t>(i)) < eff(x);
          },
          origin_, scratch_, wscratch_);
    }

    void vjp(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
      if (mode_ == AcceptanceMode::rejection) {
        detail::uncompact<T>(d_events, d_weights, before, after, origin_, scratch_, wscratch_);
        return;
      }
      // w' = w eff(x): dL/dx += dL/dw' w deff/dx, dL/dw = dL/dw' eff(x).
      auto factor = factor_;
      auto grad = grad_;
      auto wb = wbefore_;
      Kokkos::parallel_for(
          "sagips::sim::acceptance_vjp", Kokkos::RangePolicy<ExecSpace>(0, after), KOKKOS_LAMBDA(int i) {
            const T dw = d_weights(i);
            for (int d = 0; d < D; ++d) d_events(i, d) += dw * wb(i) * grad(i, d);
            d_weights(i) = dw * factor(i);
          });
    }

   private:
    Eff eff_;
    AcceptanceMode mode_;
    Vector<T> factor_, wbefore_, wscratch_;
    Matrix<T> grad_, scratch_;
    Kokkos::View<int*, MemSpace> origin_;
  };
};

// ---- background -------------------------------------------------------------------------------------
// The flat background shape (any other: template <class S> S operator()(const S* x) const, >= 0).
struct Flat {
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S*) const {
    return S(1);
  }
};

template <class Shape = Flat>
struct Background {
  double fraction = 0.1;
  Shape shape{};

  template <class T, int D>
  class Impl {
    static_assert(D <= 3, "Background draws up to 3-dimensional events");

   public:
    static constexpr bool weighted = false;
    static constexpr int tries = 64;  // rejection candidates per background event
    Impl(const Background& b, const Box<D>& box) : f_(static_cast<T>(b.fraction)), shape_(b.shape) {
      SAGIPS_REQUIRE(b.fraction >= 0 && b.fraction <= 1, "Background: fraction " << b.fraction << " is not in [0, 1]");
      for (int d = 0; d < D; ++d) {
        lo_[d] = static_cast<T>(box.lower[d]);
        width_[d] = static_cast<T>(box.upper[d] - box.lower[d]);
      }
      // A bound on the shape for the rejection sampling: its maximum on a 65^D grid, with a margin.
      double mx = 0;
      const int n = 65;
      int total = 1;
      for (int d = 0; d < D; ++d) total *= n;
      for (int k = 0; k < total; ++k) {
        double x[D];
        int r = k;
        for (int d = 0; d < D; ++d) {
          x[d] = box.lower[d] + (box.upper[d] - box.lower[d]) * (r % n) / (n - 1);
          r /= n;
        }
        const double v = shape_(x);
        SAGIPS_REQUIRE(v >= 0 && v < 1e300, "Background: the shape is negative or not finite at a grid point");
        mx = v > mx ? v : mx;
      }
      SAGIPS_REQUIRE(mx > 0, "Background: the shape is zero everywhere");
      bound_ = static_cast<T>(1.25 * mx);
    }

    int forward(Matrix<T> events, Vector<T> weights, int count, random::CounterRng rng) {
      const bool weighted = weights.extent(0) > 0;
      if (static_cast<int>(replaced_.extent(0)) < count) replaced_ = Kokkos::View<char*, MemSpace>("sagips::sim::bg", count);
      auto replaced = replaced_;
      const T f = f_, bound = bound_;
      const auto lo = lo_, width = width_;
      const Shape shape = shape_;
      Kokkos::parallel_for(
          "sagips::sim::background", Kokkos::RangePolicy<ExecSpace>(0, count), KOKKOS_LAMBDA(int i) {
            T u[4];
            rng.uniform4(static_cast<std::uint64_t>(i) * (tries + 1), u);
            replaced(i) = u[0] < f ? 1 : 0;
            if (!replaced(i)) return;
            T x[D];
            for (int t = 1; t <= tries; ++t) {  // candidates from the box until one is accepted
              T v[4];
              rng.uniform4(static_cast<std::uint64_t>(i) * (tries + 1) + t, v);
              for (int d = 0; d < D; ++d) x[d] = lo[d] + v[d] * width[d];
              if (v[3] * bound <= shape(x)) break;
            }
            for (int d = 0; d < D; ++d) events(i, d) = x[d];
            if (weighted) weights(i) = T(1);  // a background event carries none of the replaced event's weight
          });
      return count;
    }
    void vjp(Matrix<T> d_events, Vector<T> d_weights, int, int after) {
      auto replaced = replaced_;
      const bool weighted = d_weights.extent(0) > 0;
      Kokkos::parallel_for(
          "sagips::sim::background_vjp", Kokkos::RangePolicy<ExecSpace>(0, after), KOKKOS_LAMBDA(int i) {
            if (!replaced(i)) return;
            for (int d = 0; d < D; ++d) d_events(i, d) = T(0);
            if (weighted) d_weights(i) = T(0);
          });
    }

   private:
    T f_;
    Shape shape_;
    Kokkos::Array<T, D> lo_, width_;
    T bound_ = 1;
    Kokkos::View<char*, MemSpace> replaced_;
  };
};

// ---- cuts -------------------------------------------------------------------------------------------
// Pred: a functor template <class X> bool operator()(const X* x) const.
template <class Pred>
struct Cuts {
  Pred keep{};

  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const Cuts& c, const Box<D>&) : pred_(c.keep) {}
    int forward(Matrix<T> events, Vector<T> weights, int count, random::CounterRng) {
      const Pred pred = pred_;
      return detail::compact<T>(
          events, weights, count,
          KOKKOS_LAMBDA(int i) {
            T x[D];
            for (int d = 0; d < D; ++d) x[d] = events(i, d);
            return pred(x);
          },
          origin_, scratch_, wscratch_);
    }
    void vjp(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
      detail::uncompact<T>(d_events, d_weights, before, after, origin_, scratch_, wscratch_);
    }

   private:
    Pred pred_;
    Matrix<T> scratch_;
    Vector<T> wscratch_;
    Kokkos::View<int*, MemSpace> origin_;
  };
};

}  // namespace sagips::sim
