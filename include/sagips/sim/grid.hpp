#pragma once
// The node grid the samplers build their CDFs on, and the check of the theory's values on it (Dual
// numbers, one grid per parameter set).
//
// Nodes crowd toward the ends of each dimension by default (x_k = lo + (hi - lo)(1 - cos(pi k/(G-1)))/2):
// physics densities such as x^a (1-x)^b with a near 0 or negative are steep at the domain's edges,
// where a uniform grid's trapezoids would misplace a visible fraction of the events (11% too few in
// the first cell of x^0.5 on a uniform 64-node grid). Spacing::uniform is there for comparison.

#include <Kokkos_Core.hpp>
#include <cmath>
#include <sstream>
#include <string>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

enum class Spacing { graded, uniform };

// G node positions on [lo, hi].
template <class T>
Vector<T> make_nodes(int g, double lo, double hi, Spacing spacing) {
  SAGIPS_REQUIRE(g >= 2, "a grid needs at least 2 nodes, got " << g);
  auto h = Kokkos::View<T*, HostSpace>("nodes", g);
  const double pi = 3.14159265358979323846;
  for (int k = 0; k < g; ++k) {
    const double s = double(k) / (g - 1);
    const double f = spacing == Spacing::graded ? 0.5 * (1 - std::cos(pi * s)) : s;
    h(k) = static_cast<T>(k == g - 1 ? hi : lo + (hi - lo) * f);
  }
  Vector<T> d("sagips::sim::nodes", g);
  Kokkos::deep_copy(d, h);
  return d;
}

namespace detail {
// The check of a pipeline call's grid densities ([sets * nodes_per_set] Duals) for a negative or
// non-finite value. scan() only enqueues it: the first bad index goes into device memory, with a copy
// of its value and its set's parameters (the snapshot the message needs, however `p` changes later),
// so a training step never waits for it. verdict() waits for the last scan and says whether there was
// a bad value. (A class with public members: nvcc refuses device lambdas in private ones.)
template <class T, int P>
class DensityCheck {
 public:
  struct Bad {
    int index = -1;
    T value = 0;
    T params[P] = {};
  };

  template <class DualView>
  void scan(const DualView& f, ConstMatrix<T> p, int nodes_per_set) {
    if (first_.data() == nullptr) {
      first_ = Kokkos::View<int, MemSpace>("sagips::sim::density_first");
      info_ = Vector<T>("sagips::sim::density_bad", P + 1);
      host_first_ = Kokkos::create_mirror_view(first_);
      host_info_ = Kokkos::create_mirror_view(info_);
    }
    const int total = static_cast<int>(f.extent(0)), per = nodes_per_set;
    auto first = first_;
    auto info = info_;
    Kokkos::parallel_reduce(
        "sagips::sim::check_density", Kokkos::RangePolicy<ExecSpace>(0, total),
        KOKKOS_LAMBDA(int i, int& m) {
          const T v = f(i).v;
          if (!(v >= T(0)) || !math::isfinite(v)) m = i < m ? i : m;
        },
        Kokkos::Min<int, MemSpace>(first));  // into device memory: nothing waits
    Kokkos::parallel_for(
        "sagips::sim::density_snapshot", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(int) {
          const int i = first();
          if (i < 0 || i >= total) return;
          info(0) = f(i).v;
          for (int j = 0; j < P; ++j) info(1 + j) = p(i / per, j);
        });
    pending_ = true;
    total_ = total;
  }

  bool pending() const { return pending_; }

  // Waits for the last scan (two small copies when there is a bad value, one otherwise); true and
  // `bad` filled when a density was negative or not finite.
  bool verdict(Bad& bad) {
    if (!pending_) return false;
    pending_ = false;
    Kokkos::deep_copy(ExecSpace(), host_first_, first_);
    ExecSpace().fence();
    if (host_first_() < 0 || host_first_() >= total_) return false;
    Kokkos::deep_copy(ExecSpace(), host_info_, info_);
    ExecSpace().fence();
    bad.index = host_first_();
    bad.value = host_info_(0);
    for (int j = 0; j < P; ++j) bad.params[j] = host_info_(1 + j);
    return true;
  }

 private:
  Kokkos::View<int, MemSpace> first_;
  Vector<T> info_;
  typename Kokkos::View<int, MemSpace>::HostMirror host_first_;
  typename Vector<T>::HostMirror host_info_;
  bool pending_ = false;
  int total_ = 0;
};
}  // namespace detail

}  // namespace sagips::sim
