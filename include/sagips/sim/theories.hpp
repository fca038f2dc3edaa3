#pragma once
// Built-in theories.
//   Proxy2D      the SAGIPS 2-D proxy: x^p0 (1-x)^p1 y^p2 (1-y)^p3 (1 + p4 x y) on [0.001, 0.999]^2
//   Beta1D       x^a (1 - x)^b on [0.001, 0.999]
//   DecayPeak1D  an exponential decay with a Gaussian peak on [0, 10] (a lifetime measurement with a
//                resonance on top): exp(-x / tau) + A exp(-(x - mu)^2 / (2 s^2))

#include <Kokkos_Core.hpp>
#include <array>

#include "sagips/core/math.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

struct Proxy2D {
  static constexpr int num_params = 5;
  static constexpr int dim = 2;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    using math::pow;
    return pow(x[0], p[0]) * pow(X(1) - x[0], p[1]) * pow(x[1], p[2]) * pow(X(1) - x[1], p[3]) *
           (X(1) + p[4] * x[0] * x[1]);
  }
  static Box<2> domain() { return {{0.001, 0.001}, {0.999, 0.999}}; }
  static std::array<double, 5> truth() { return {0.5, 3.0, 0.3, 4.0, 0.75}; }
  static std::array<double, 5> lower_bounds() { return {-0.5, 2.75, 0.0, 3.0, 0.0}; }
  static std::array<double, 5> upper_bounds() { return {1.0, 4.0, 1.3, 4.5, 1.5}; }
  static std::array<const char*, 5> names() { return {"p0", "p1", "p2", "p3", "p4"}; }
};

struct Beta1D {
  static constexpr int num_params = 2;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return math::pow(x[0], p[0]) * math::pow(X(1) - x[0], p[1]);
  }
  static Box<1> domain() { return {{0.001}, {0.999}}; }
  static std::array<double, 2> truth() { return {0.7, 2.5}; }
  static std::array<double, 2> lower_bounds() { return {-0.5, 0.5}; }
  static std::array<double, 2> upper_bounds() { return {2.0, 5.0}; }
  static std::array<const char*, 2> names() { return {"a", "b"}; }
};

struct DecayPeak1D {
  static constexpr int num_params = 4;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    const S z = (x[0] - p[2]) / p[3];
    return math::exp(-x[0] / p[0]) + p[1] * math::exp(-z * z / X(2));
  }
  static Box<1> domain() { return {{0.0}, {10.0}}; }
  static std::array<double, 4> truth() { return {2.0, 0.3, 4.0, 0.5}; }
  static std::array<double, 4> lower_bounds() { return {0.5, 0.0, 2.0, 0.2}; }
  static std::array<double, 4> upper_bounds() { return {5.0, 1.0, 6.0, 1.5}; }
  static std::array<const char*, 4> names() { return {"tau", "A", "mu", "s"}; }
};

}  // namespace sagips::sim
