#pragma once
// The state every grid sampler shares: the theory, the nodes, the grid densities of each parameter
// set as Dual numbers (value and parameter gradient, checked for negative or non-finite values), and
// the per-event Jacobians dx/dp of the last forward, reduced per set by the vector-Jacobian product.

#include <Kokkos_Core.hpp>
#include <sstream>
#include <string>
#include <typeinfo>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/detail/sampling.hpp"
#include "sagips/sim/grid.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

namespace detail {

// State every grid sampler has: the theory, the nodes, the parameter-set Duals' grid values and
// the per-event Jacobians of the last forward.
template <class T, class Theory>
struct GridSamplerBase {
  static constexpr int P = Theory::num_params;
  static constexpr int D = Theory::dim;
  using Dual = autodiff::Dual<T, P>;
  using DualView = Kokkos::View<Dual*, MemSpace>;
  using Jacobian = Kokkos::View<T***, Kokkos::LayoutRight, MemSpace>;

  GridSamplerBase(Theory theory, int g, Spacing spacing) : theory(theory), g(g), box(checked_domain<Theory>()) {
    for (int d = 0; d < D; ++d) nodes[d] = make_nodes<T>(g, box.lower[d], box.upper[d], spacing);
  }

  // f(set * g^D + node) = theory(p_set, x_node) as Dual, for every set; checked.
  void evaluate(ConstMatrix<T> p) {
    const int sets = static_cast<int>(p.extent(0));
    const int per = D == 1 ? g : g * g;
    if (static_cast<int>(f.extent(0)) != sets * per) f = DualView("sagips::sim::grid_f", sets * per);
    auto ff = f;
    const auto th = theory;
    const auto x0 = nodes[0], x1 = nodes[D > 1 ? 1 : 0];
    const int gg = g;
    Kokkos::parallel_for(
        "sagips::sim::grid_density", Kokkos::RangePolicy<ExecSpace>(0, sets * per), KOKKOS_LAMBDA(int i) {
          const int b = i / per, node = i % per;
          Dual pd[P];
          for (int j = 0; j < P; ++j) pd[j] = Dual::variable(p(b, j), j);
          // (A plain `if`: nvcc refuses a device lambda's first capture inside `if constexpr`.)
          T x[D];
          x[0] = x0(D == 1 ? node : node / gg);
          if (D > 1) x[D - 1] = x1(node % gg);
          ff(i) = th(pd, x);
        });
    auto hx0 = Kokkos::create_mirror_view_and_copy(HostSpace(), nodes[0]);
    auto hx1 = Kokkos::create_mirror_view_and_copy(HostSpace(), nodes[D > 1 ? 1 : 0]);
    detail::check_density<T, P>(f, p, theory_name<Theory>().c_str(), per, [&](int node) {
      std::ostringstream os;
      if (D == 1)
        os << "(" << hx0(node) << ")";
      else
        os << "(" << hx0(node / g) << ", " << hx1(node % g) << ")";
      return os.str();
    });
  }

  // One-dimensional theories: cum(set * g + k) = the integral of the piecewise-linear density from the
  // first node to node k (cumulative trapezoids), for every set. Sized here.
  void cumulate_1d(DualView& cum, const std::string& label) const {
    const int sets = static_cast<int>(f.extent(0)) / g;
    if (static_cast<int>(cum.extent(0)) != sets * g) cum = DualView(label, sets * g);
    auto ff = f;
    auto c = cum;
    auto x = nodes[0];
    const int gg = g;
    Kokkos::parallel_for(
        label, Kokkos::RangePolicy<ExecSpace>(0, sets), KOKKOS_LAMBDA(int b) {
          Dual acc(T(0));
          c(b * gg) = acc;
          for (int k = 0; k + 1 < gg; ++k) {
            acc += (ff(b * gg + k) + ff(b * gg + k + 1)) * ((x(k + 1) - x(k)) / T(2));
            c(b * gg + k + 1) = acc;
          }
        });
  }

  void size_jacobian(int n, bool jacobian) {
    if (!jacobian) {
      jac = Jacobian();
      return;
    }
    if (static_cast<int>(jac.extent(0)) != n) jac = Jacobian("sagips::sim::jacobian", n, D, P);
  }

  void vjp_events(ConstMatrix<T> d_events, Matrix<T> d_p) const {
    SAGIPS_REQUIRE(jac.extent(0) == d_events.extent(0),
                   "sampler vjp: " << d_events.extent(0) << " event gradients for a forward of " << jac.extent(0)
                                   << " events (or the forward ran without Jacobians)");
    detail::reduce_by_set<T, D, P>(d_events, jac, ConstVector<T>(), ConstMatrix<T>(), d_p, per_set);
  }

  Theory theory;
  int g;
  Box<D> box;
  Vector<T> nodes[D];
  DualView f;
  Jacobian jac;
  int per_set = 0;
};

}  // namespace detail

}  // namespace sagips::sim
