#pragma once
// Example 4's physics and detector, shared by its two programs (resonance.cpp drops the events the
// detector loses; resonance_weighted.cpp weights every event by the detector's efficiency instead).
#include <sagips/sagips.hpp>

namespace resonance {

namespace sim = sagips::sim;
namespace math = sagips::math;  // exp, atan, ... for doubles and Duals alike

struct Resonance {  // the normalised density of m on [0.5, 1.5]; p = (mass, width, fraction)
  static constexpr int num_params = 3, dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    const S h = p[1] / X(2), area = math::atan((X(1.5) - p[0]) / h) - math::atan((X(0.5) - p[0]) / h);
    return p[2] * h / (((x[0] - p[0]) * (x[0] - p[0]) + h * h) * area) + (S(1) - p[2]);
  }
  static sim::Box<1> domain() { return {{0.5}, {1.5}}; }
  static std::array<double, 3> truth() { return {1.0, 0.1, 0.7}; }  // make_data.py's
  static std::array<double, 3> lower_bounds() { return {0.8, 0.02, 0.3}; }
  static std::array<double, 3> upper_bounds() { return {1.2, 0.3, 1.0}; }
  static std::array<const char*, 3> names() { return {"mass", "width", "fraction"}; }
};

// The detector's efficiency at mass m: 1 - (m - 0.5) / 2 (falling from 1 to 1/2 over the domain).
template <class T>
KOKKOS_INLINE_FUNCTION T efficiency(T m) {
  return T(1) - (m - T(0.5)) / T(2);
}

struct FallingEfficiency {  // keeps an event with probability efficiency(m)
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const FallingEfficiency&, const sim::Box<D>&) {}
    int forward(sagips::Matrix<T> ev, sagips::Vector<T> w, int n, sagips::random::CounterRng rng) {
      return keep_.keep_if(ev, w, n, KOKKOS_LAMBDA(int i) {
        return rng.uniform<T>(static_cast<std::uint64_t>(i)) < efficiency(ev(i, 0));
      });
    }
    void vjp(sagips::Matrix<T> d_ev, sagips::Vector<T> d_w, int before, int after) {
      keep_.scatter_back(d_ev, d_w, before, after);
    }

   private:
    sim::Compactor<T> keep_;
  };
};

}  // namespace resonance
