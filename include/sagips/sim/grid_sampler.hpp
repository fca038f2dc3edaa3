#pragma once
// GridSampler<T, Theory>: the public base of the grid samplers (the built-in ones and a user's): the
// theory, the nodes, the grid densities of each parameter set as Dual numbers (value and parameter
// gradient, checked for negative or non-finite values), and the per-event Jacobians dx/dp of the
// last forward, reduced per set by the vector-Jacobian product. A sampler derived from it (see the
// contract in sim/sampler.hpp) does, in its forward:
//
//   this->per_set = m;                     // events per parameter set
//   this->evaluate(p);                     // f: the Dual densities at every node, for every set
//   this->cumulate_1d(cum_, "label");      // (1-D) the cumulative trapezoids of f, per set
//   this->size_jacobian(sets * m, jacobian);
//   ... one kernel: each event's position from its uniforms, in Dual arithmetic, and jac(i, d, j) =
//       d x_id / d p_j ...
//
// and its vjp is this->vjp_events(d_events, d_p); `using Base::check;` gives the pipeline the
// densities' verdict.

#include <Kokkos_Core.hpp>
#include <sstream>
#include <string>
#include <typeinfo>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/detail/sampling.hpp"
#include "sagips/sim/grid.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

template <class T, class Theory>
struct GridSampler {
  static constexpr int P = Theory::num_params;
  static constexpr int D = Theory::dim;
  using Dual = autodiff::Dual<T, P>;
  using DualView = Kokkos::View<Dual*, MemSpace>;
  using Jacobian = Kokkos::View<T***, Kokkos::LayoutRight, MemSpace>;

  GridSampler(Theory theory, int g, Spacing spacing) : theory(theory), g(g), box(checked_domain<Theory>()) {
    for (int d = 0; d < D; ++d) {
      nodes[d] = make_nodes<T>(g, box.lower[d], box.upper[d], spacing);
      host_nodes[d] = Kokkos::create_mirror_view_and_copy(HostSpace(), nodes[d]);  // once: for messages only
    }
  }

  // f(set * g^D + node) = theory(p_set, x_node) as Dual, for every set; its check enqueued (check()).
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
    check_.scan(f, p, per);
  }

  // The verdict on the densities of the last evaluate(): throws an Error naming the first negative or
  // non-finite one (its value, its node, its set's parameters); waits for the scan.
  void check() {
    typename detail::DensityCheck<T, P>::Bad bad;
    if (!check_.verdict(bad)) return;
    const int per = D == 1 ? g : g * g, node = bad.index % per;
    std::ostringstream os;
    os << "theory " << theory_name<Theory>() << " returned "
       << (math::isfinite(bad.value) ? "a negative" : "a non-finite") << " density (" << bad.value << ") at x = ";
    if (D == 1)
      os << "(" << host_nodes[0](node) << ")";
    else
      os << "(" << host_nodes[0](node / g) << ", " << host_nodes[D - 1](node % g) << ")";
    os << " for parameters (";
    for (int j = 0; j < P; ++j) os << (j ? ", " : "") << bad.params[j];
    os << ")";
    throw Error(os.str());
  }
  bool check_pending() const { return check_.pending(); }

  // One-dimensional theories: cum(set * g + k) = the integral of the piecewise-linear density from the
  // first node to node k (cumulative trapezoids), for every set. Sized here.
  void cumulate_1d(DualView& cum, const char* label) const {
    const int sets = static_cast<int>(f.extent(0)) / g;
    if (static_cast<int>(cum.extent(0)) != sets * g) cum = DualView(std::string(label), sets * g);
    detail::CumulativeTables<T, P, detail::Trapezoids<T, P>>::run(label, detail::Trapezoids<T, P>{f, nodes[0], g, 1, 0}, cum,
                                                                   sets, g - 1);
  }

  // The Jacobian buffer only grows: a forward without Jacobians (the extra discriminator updates of
  // --disc-steps) keeps it for the next one with, instead of freeing and allocating it every step.
  void size_jacobian(int n, bool jacobian) {
    jac_rows = jacobian ? n : 0;
    if (jacobian && static_cast<int>(jac.extent(0)) < n) jac = Jacobian("sagips::sim::jacobian", n, D, P);
  }

  void vjp_events(ConstMatrix<T> d_events, Matrix<T> d_p) const {
    SAGIPS_REQUIRE(jac_rows == static_cast<int>(d_events.extent(0)),
                   "sampler vjp: " << d_events.extent(0) << " event gradients for a forward of " << jac_rows
                                   << " events (or the forward ran without Jacobians)");
    detail::reduce_by_set<T, D, P>(d_events, Kokkos::subview(jac, std::make_pair(0, jac_rows), Kokkos::ALL, Kokkos::ALL),
                                   ConstVector<T>(), ConstMatrix<T>(), d_p, per_set);
  }

  Theory theory;
  int g;
  Box<D> box;
  Vector<T> nodes[D];
  typename Vector<T>::HostMirror host_nodes[D];
  detail::DensityCheck<T, P> check_;
  DualView f;
  Jacobian jac;
  int jac_rows = 0;  // the events of the last forward with Jacobians (0: the last forward kept none)
  int per_set = 0;
};

}  // namespace sagips::sim
