#pragma once
// LOITS, the QuantOm collaboration's local inverse transform sampler: events are spread over the grid
// cells in proportion to the cells' weights (stratified: event j of a set sits at CDF level
// (j + u_j)/M, so a cell of weight w gets M w events up to one), and placed inside their cell by the
// exact inverse CDF of the cell's linear density (the trapezoid between its corner values). The cell
// counts are integers and carry no gradient; the positions inside the cells are differentiable.
//
//   Loits1D<G>   cells between the G nodes.
//   Loits2D<G>   the (G-1)^2 cells of the G x G grid, in x-major order; inside a cell, x from the
//                cell's (linear) x-marginal, then y from the (linear) conditional at that x.

#include <Kokkos_Core.hpp>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/detail/sampling.hpp"
#include "sagips/sim/grid_sampler.hpp"

namespace sagips::sim {

// ---- LOITS -----------------------------------------------------------------------------------------
template <int G, Spacing S = Spacing::graded>
struct Loits1D {
  static constexpr bool weighted = false;
  template <class T, class Theory>
  class Impl : GridSampler<T, Theory> {
    using Base = GridSampler<T, Theory>;
    using typename Base::Dual;
    static constexpr int P = Theory::num_params;
    static_assert(Theory::dim == 1, "Loits1D samples one-dimensional theories");

   public:
    using Base::check;  // the verdict on the last forward's densities (grid_sampler.hpp)
    using Base::check_pending;
    Impl(Theory theory, Loits1D) : Base(theory, G, S) {}

    void forward(ConstMatrix<T> p, int m, random::CounterRng rng, Matrix<T> events, Vector<T>, bool jacobian) {
      const int sets = static_cast<int>(p.extent(0));
      this->per_set = m;
      this->evaluate(p);
      this->cumulate_1d(cum_, "sagips::sim::loits1d_cdf");
      auto f = this->f;
      auto cum = cum_;
      auto x = this->nodes[0];
      this->size_jacobian(sets * m, jacobian);
      auto jac = this->jac;
      Kokkos::parallel_for(
          "sagips::sim::loits1d", Kokkos::RangePolicy<ExecSpace>(0, sets * m), KOKKOS_LAMBDA(int i) {
            const int b = i / m, j = i % m;
            T u[4];
            rng.uniform4(static_cast<std::uint64_t>(i), u);
            const Dual* c = &cum(b * G);
            const Dual t = ((T(j) + u[0]) / T(m)) * c[G - 1];  // stratified level: cells get events in proportion
            const int k = detail::search_cell([&](int q) { return c[q].v; }, G, t.v);
            const Dual phid = detail::place_in_cell(c[k], c[k + 1], t);  // moves with p
            const Dual s = detail::linear_cell_inverse(f(b * G + k), f(b * G + k + 1), phid);
            const Dual xs = x(k) + (x(k + 1) - x(k)) * s;
            events(i, 0) = xs.v;
            if (jacobian)
              for (int q = 0; q < P; ++q) jac(i, 0, q) = xs.d[q];
          });
    }
    void vjp(ConstMatrix<T> d_events, ConstVector<T>, Matrix<T> d_p) const { this->vjp_events(d_events, d_p); }

   private:
    typename Base::DualView cum_;
  };
};


template <int G, Spacing S = Spacing::graded>
struct Loits2D {
  static_assert(G >= 2, "Loits2D: the grid needs at least 2 nodes per dimension");
  static constexpr bool weighted = false;
  template <class T, class Theory>
  class Impl : GridSampler<T, Theory> {
    using Base = GridSampler<T, Theory>;
    using typename Base::Dual;
    static constexpr int P = Theory::num_params;
    static constexpr int C = (G - 1) * (G - 1);  // cells per set
    static_assert(Theory::dim == 2, "Loits2D samples two-dimensional theories");

   public:
    using Base::check;  // the verdict on the last forward's densities (grid_sampler.hpp)
    using Base::check_pending;
    Impl(Theory theory, Loits2D) : Base(theory, G, S) {}

    void forward(ConstMatrix<T> p, int m, random::CounterRng rng, Matrix<T> events, Vector<T>, bool jacobian) {
      const int sets = static_cast<int>(p.extent(0));
      this->per_set = m;
      this->evaluate(p);
      if (static_cast<int>(cum_.extent(0)) != sets * (C + 1))
        cum_ = typename Base::DualView("sagips::sim::loits2d_cdf", sets * (C + 1));
      auto f = this->f;
      auto cum = cum_;
      auto xn = this->nodes[0], yn = this->nodes[1];
      // Cumulative cell masses, cells in x-major order; a cell's mass is its area times the mean of
      // its four corner densities (the integral of the bilinear interpolant).
      using Masses = detail::CellMasses<T, P>;
      detail::CumulativeTables<T, P, Masses>::run("sagips::sim::loits2d_cdf", Masses{f, xn, yn, G}, cum_, sets, C);
      this->size_jacobian(sets * m, jacobian);
      auto jac = this->jac;
      Kokkos::parallel_for(
          "sagips::sim::loits2d", Kokkos::RangePolicy<ExecSpace>(0, sets * m), KOKKOS_LAMBDA(int i) {
            const int b = i / m, j = i % m;
            T u[4];
            rng.uniform4(static_cast<std::uint64_t>(i), u);
            const Dual* c = &cum(b * (C + 1));
            const Dual* fb = &f(b * G * G);
            const Dual t = ((T(j) + u[0]) / T(m)) * c[C];
            const int q = detail::search_cell([&](int r) { return c[r].v; }, C + 1, t.v);
            const int a = q / (G - 1), k = q % (G - 1);
            const Dual phi = detail::place_in_cell(c[q], c[q + 1], t);
            const Dual &f00 = fb[a * G + k], &f10 = fb[(a + 1) * G + k], &f01 = fb[a * G + k + 1],
                       &f11 = fb[(a + 1) * G + k + 1];
            // x from the cell's x-marginal (linear between the column means), then y given x.
            const Dual sx = detail::linear_cell_inverse((f00 + f01) / T(2), (f10 + f11) / T(2), phi);
            const Dual sy = detail::linear_cell_inverse((T(1) - sx) * f00 + sx * f10, (T(1) - sx) * f01 + sx * f11, u[1]);
            const Dual x = xn(a) + (xn(a + 1) - xn(a)) * sx;
            const Dual y = yn(k) + (yn(k + 1) - yn(k)) * sy;
            events(i, 0) = x.v;
            events(i, 1) = y.v;
            if (jacobian)
              for (int r = 0; r < P; ++r) {
                jac(i, 0, r) = x.d[r];
                jac(i, 1, r) = y.d[r];
              }
          });
    }
    void vjp(ConstMatrix<T> d_events, ConstVector<T>, Matrix<T> d_p) const { this->vjp_events(d_events, d_p); }

   private:
    typename Base::DualView cum_;
  };
};

}  // namespace sagips::sim
