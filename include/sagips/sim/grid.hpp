#pragma once
// The node grid the samplers build their CDFs on, and the theory evaluated on it with its parameter
// gradient (Dual numbers), one grid per parameter set.
//
// Nodes crowd toward the ends of each dimension by default (x_k = lo + (hi - lo)(1 - cos(pi k/(G-1)))/2):
// physics densities such as x^a (1-x)^b with a near 0 or negative are steep at the domain's edges,
// where a uniform grid's trapezoids would misplace a visible fraction of the events (11% too few in
// the first cell of x^0.5 on a uniform 64-node grid). Spacing::uniform is there for comparison.

#include <Kokkos_Core.hpp>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/views.hpp"
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
// Scans the densities of one pipeline call ([sets * nodes_per_set] Duals) for a negative or non-finite
// value and throws an Error naming the first: its value, where (where(node) describes a node) and the
// parameters of its set. (where is a std::function, not a template parameter: nvcc refuses a device
// lambda in a function instantiated with a caller's local lambda type.)
template <class T, int P, class View>
void check_density(const View& f, ConstMatrix<T> params, const char* theory, int nodes_per_set,
                   const std::function<std::string(int)>& where) {
  const int total = static_cast<int>(f.extent(0));
  int first = total;
  Kokkos::parallel_reduce(
      "sagips::sim::check_density", Kokkos::RangePolicy<ExecSpace>(0, total),
      KOKKOS_LAMBDA(int i, int& m) {
        const T v = f(i).v;
        if (!(v >= T(0)) || !math::isfinite(v)) m = i < m ? i : m;
      },
      Kokkos::Min<int>(first));
  if (first >= total) return;
  auto value = Kokkos::create_mirror_view_and_copy(HostSpace(), Kokkos::subview(f, first)).operator()().v;
  auto hp = Kokkos::create_mirror_view_and_copy(HostSpace(), params);
  const int set = first / nodes_per_set;
  std::ostringstream os;
  os << "theory " << theory << " returned " << (math::isfinite(value) ? "a negative" : "a non-finite")
     << " density (" << value << ") at x = " << where(first % nodes_per_set) << " for parameters (";
  for (int j = 0; j < P; ++j) os << (j ? ", " : "") << hp(set, j);
  os << ")";
  throw Error(os.str());
}
}  // namespace detail

}  // namespace sagips::sim
