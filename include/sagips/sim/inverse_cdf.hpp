#pragma once
// Inverse-transform samplers with a piecewise-linear CDF on G nodes per dimension.
//
//   InverseCdf1D<G>   x from the CDF of cumulative trapezoids over the nodes, linearly interpolated.
//   InverseCdf2D<G>   x from the marginal (column totals), then y from the conditional at the sampled x:
//                     the cumulative tables of the two node columns around x, interpolated with the
//                     weight r = (x - x_a)/(x_{a+1} - x_a), which itself depends on p.
//
// Everything per event is computed in Dual<T, P> arithmetic from the Dual grid tables, so dx/dp is
// the implicit derivative of F(x; p) = u of the piecewise-linear model, exactly.
//
// Both follow the sampler contract (sim/sampler.hpp) on the public GridSampler base
// (sim/grid_sampler.hpp). Event i of set b = i / M draws counter i of the sampler's stream.

#include <Kokkos_Core.hpp>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/detail/sampling.hpp"
#include "sagips/sim/grid_sampler.hpp"

namespace sagips::sim {

// ---- inverse CDF ---------------------------------------------------------------------------------
template <int G, Spacing S = Spacing::graded>
struct InverseCdf1D {
  static_assert(G >= 2, "InverseCdf1D: the grid needs at least 2 nodes");
  static constexpr bool weighted = false;
  template <class T, class Theory>
  class Impl : GridSampler<T, Theory> {
    using Base = GridSampler<T, Theory>;
    using typename Base::Dual;
    static constexpr int P = Theory::num_params;
    static_assert(Theory::dim == 1, "InverseCdf1D samples one-dimensional theories (use InverseCdf2D for dim 2)");

   public:
    using Base::check;  // the verdict on the last forward's densities (grid_sampler.hpp)
    using Base::check_pending;
    Impl(Theory theory, InverseCdf1D) : Base(theory, G, S) {}

    void forward(ConstMatrix<T> p, int m, random::CounterRng rng, Matrix<T> events, Vector<T>, bool jacobian) {
      const int sets = static_cast<int>(p.extent(0));
      this->per_set = m;
      this->evaluate(p);
      this->cumulate_1d(cum_, "sagips::sim::cdf1d");
      auto cum = cum_;
      auto x = this->nodes[0];
      this->size_jacobian(sets * m, jacobian);
      auto jac = this->jac;
      Kokkos::parallel_for(
          "sagips::sim::sample1d", Kokkos::RangePolicy<ExecSpace>(0, sets * m), KOKKOS_LAMBDA(int i) {
            const int b = i / m;
            T u[4];
            rng.uniform4(static_cast<std::uint64_t>(i), u);
            const Dual* c = &cum(b * G);
            const Dual t = u[0] * c[G - 1];
            const int k = detail::search_cell([&](int q) { return c[q].v; }, G, t.v);
            const Dual r = detail::place_in_cell(c[k], c[k + 1], t);
            const Dual xs = x(k) + (x(k + 1) - x(k)) * r;
            events(i, 0) = xs.v;
            if (jacobian)
              for (int j = 0; j < P; ++j) jac(i, 0, j) = xs.d[j];
          });
    }
    void vjp(ConstMatrix<T> d_events, ConstVector<T>, Matrix<T> d_p) const { this->vjp_events(d_events, d_p); }

   private:
    typename Base::DualView cum_;
  };
};

template <int G, Spacing S = Spacing::graded>
struct InverseCdf2D {
  static_assert(G >= 2, "InverseCdf2D: the grid needs at least 2 nodes per dimension");
  static constexpr bool weighted = false;
  template <class T, class Theory>
  class Impl : GridSampler<T, Theory> {
    using Base = GridSampler<T, Theory>;
    using typename Base::Dual;
    static constexpr int P = Theory::num_params;
    static_assert(Theory::dim == 2, "InverseCdf2D samples two-dimensional theories (use InverseCdf1D for dim 1)");

   public:
    using Base::check;  // the verdict on the last forward's densities (grid_sampler.hpp)
    using Base::check_pending;
    Impl(Theory theory, InverseCdf2D) : Base(theory, G, S) {}

    void forward(ConstMatrix<T> p, int m, random::CounterRng rng, Matrix<T> events, Vector<T>, bool jacobian) {
      const int sets = static_cast<int>(p.extent(0));
      this->per_set = m;
      this->evaluate(p);
      if (static_cast<int>(col_.extent(0)) != sets * G * G) {
        col_ = typename Base::DualView("sagips::sim::cdf_columns", sets * G * G);
        marg_ = typename Base::DualView("sagips::sim::cdf_x", sets * G);
      }
      auto col = col_;
      auto marg = marg_;
      auto xn = this->nodes[0], yn = this->nodes[1];
      // Cumulative trapezoids along y for every x node, then along x of the column totals.
      using Tables = detail::CumulativeTables<T, P, detail::Trapezoids<T, P>>;
      Tables::run("sagips::sim::cdf2d_columns", detail::Trapezoids<T, P>{this->f, yn, G, 1, 0}, col_, sets * G, G - 1);
      Tables::run("sagips::sim::cdf2d_marginal", detail::Trapezoids<T, P>{col_, xn, G, G, G - 1}, marg_, sets, G - 1);
      this->size_jacobian(sets * m, jacobian);
      auto jac = this->jac;
      Kokkos::parallel_for(
          "sagips::sim::sample2d", Kokkos::RangePolicy<ExecSpace>(0, sets * m), KOKKOS_LAMBDA(int i) {
            const int b = i / m;
            T u[4];
            rng.uniform4(static_cast<std::uint64_t>(i), u);
            // x from the marginal.
            const Dual* cx = &marg(b * G);
            const Dual t = u[0] * cx[G - 1];
            const int a = detail::search_cell([&](int q) { return cx[q].v; }, G, t.v);
            const Dual r = detail::place_in_cell(cx[a], cx[a + 1], t);
            const Dual x = xn(a) + (xn(a + 1) - xn(a)) * r;
            // y from the conditional at x: the columns a and a + 1 interpolated with weight r.
            const Dual* c0 = &col((b * G + a) * G);
            const Dual* c1 = &col((b * G + a + 1) * G);
            const T rv = r.v;
            const Dual total = (T(1) - r) * c0[G - 1] + r * c1[G - 1];
            const Dual s = u[1] * total;
            const int c = detail::search_cell([&](int q) { return (T(1) - rv) * c0[q].v + rv * c1[q].v; }, G, s.v);
            const Dual lo = (T(1) - r) * c0[c] + r * c1[c];
            const Dual hi = (T(1) - r) * c0[c + 1] + r * c1[c + 1];
            const Dual q = detail::place_in_cell(lo, hi, s);
            const Dual y = yn(c) + (yn(c + 1) - yn(c)) * q;
            events(i, 0) = x.v;
            events(i, 1) = y.v;
            if (jacobian)
              for (int j = 0; j < P; ++j) {
                jac(i, 0, j) = x.d[j];
                jac(i, 1, j) = y.d[j];
              }
          });
    }
    void vjp(ConstMatrix<T> d_events, ConstVector<T>, Matrix<T> d_p) const { this->vjp_events(d_events, d_p); }

   private:
    typename Base::DualView col_, marg_;
  };
};

}  // namespace sagips::sim
