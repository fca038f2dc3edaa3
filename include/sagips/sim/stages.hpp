#pragma once
// Detector and experiment stages: what happens to events after the sampler.
//
//   GaussianSmearing{resolution}        x_d += resolution_d z_d, z ~ N(0, 1) (reparameterised: dx'/dx = 1)
//   Acceptance<Eff>{eff}                efficiency eff(x) in [0, 1] as a weight: w *= eff(x), with d/dx
//                                       from Dual numbers (the pipeline then carries weights)
//   Acceptance<Eff, AcceptanceMode::rejection>{eff}
//                                       the same efficiency by rejection: keep the event if u < eff(x);
//                                       unweighted, so generate_events takes it
//   Background<Shape>{fraction, shape}  each event is replaced, with probability f, by one drawn from a
//                                       fixed background shape (Flat by default), which carries no p
//   Cuts<Pred>{pred}                    keep the events where pred(x) holds
//
// Each is a stage as sim/stage.hpp defines it (the contract, and Compactor for dropping events,
// which rejection and cuts use like any user stage would).

#include <Kokkos_Core.hpp>
#include <array>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/stage.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

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
// The mode is part of the type, so whether the stage weights events is known at compile time (an
// unweighted pipeline carries no weights at all, and generate_events requires one).
enum class AcceptanceMode { weight, rejection };

// Eff: a functor template <class S> S operator()(const S* x) const, with values in [0, 1].
template <class Eff, AcceptanceMode Mode = AcceptanceMode::weight>
struct Acceptance {
  static constexpr AcceptanceMode mode = Mode;
  Eff efficiency{};

  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = Mode == AcceptanceMode::weight;
    Impl(const Acceptance& a, const Box<D>&) : eff_(a.efficiency) {}

    // (The kernels live in functions of their own: nvcc refuses a device lambda whose first capture is
    // inside `if constexpr`.)
    int forward(Matrix<T> events, Vector<T> weights, int count, random::CounterRng rng) {
      if constexpr (Mode == AcceptanceMode::rejection) {
        return reject(events, weights, count, rng);
      } else {
        return weigh(events, weights, count);
      }
    }
    void vjp(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
      if constexpr (Mode == AcceptanceMode::rejection) {
        compactor_.scatter_back(d_events, d_weights, before, after);
      } else {
        weigh_vjp(d_events, d_weights, after);
      }
    }

    // The kernels' own functions are public too: nvcc refuses a device lambda in a private or
    // protected member function (tests/lint/nvcc_rules.py keeps it so).
    int reject(Matrix<T> events, Vector<T> weights, int count, random::CounterRng rng) {
      const Eff eff = eff_;
      return compactor_.keep_if(events, weights, count, KOKKOS_LAMBDA(int i) {
        T x[D];
        for (int d = 0; d < D; ++d) x[d] = events(i, d);
        return rng.template uniform<T>(static_cast<std::uint64_t>(i)) < eff(x);
      });
    }

    int weigh(Matrix<T> events, Vector<T> weights, int count) {
      if (static_cast<int>(factor_.extent(0)) < count) factor_ = Vector<T>("sagips::sim::acceptance", count);
      if (static_cast<int>(grad_.extent(0)) < count) grad_ = Matrix<T>("sagips::sim::acceptance_grad", count, D);
      if (static_cast<int>(wbefore_.extent(0)) < count) wbefore_ = Vector<T>("sagips::sim::acceptance_w", count);
      const Eff eff = eff_;
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

    // w' = w eff(x): dL/dx += dL/dw' w deff/dx, dL/dw = dL/dw' eff(x).
    void weigh_vjp(Matrix<T> d_events, Vector<T> d_weights, int after) {
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
    Vector<T> factor_, wbefore_;  // the weight mode's per-event efficiency, weight before, d eff/dx
    Matrix<T> grad_;
    Compactor<T> compactor_;  // the rejection mode's
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
            rng.uniform4(static_cast<std::uint64_t>(i), u);
            replaced(i) = u[0] < f ? 1 : 0;
            if (!replaced(i)) return;
            T x[D];
            for (int t = 1; t <= tries; ++t) {  // candidates from the box until one is accepted
              T v[4];
              rng.uniform4(static_cast<std::uint64_t>(i), v, static_cast<std::uint32_t>(t));
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
      return compactor_.keep_if(events, weights, count, KOKKOS_LAMBDA(int i) {
        T x[D];
        for (int d = 0; d < D; ++d) x[d] = events(i, d);
        return pred(x);
      });
    }
    void vjp(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
      compactor_.scatter_back(d_events, d_weights, before, after);
    }

   private:
    Pred pred_;
    Compactor<T> compactor_;
  };
};

}  // namespace sagips::sim
