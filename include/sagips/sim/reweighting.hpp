#pragma once
// Reweighting: events from a fixed proposal, carrying weights that hold all the dependence on p.
//
//   x_i ~ q = uniform on the theory's domain (independent of p),   w_i = sigma(x_i; p) / (Z(p) q(x_i)),
//
// with Z(p) the integral of sigma over the domain, by trapezoids on the G-node grid (per dimension).
// The weights average to 1; their p-gradient comes from Dual numbers (dw/dp = w (dsigma/sigma - dZ/Z)),
// and the vector-Jacobian product flows through the weights only. Losses take the weights.
// A flat proposal is simple and unbiased but wastes events where sigma is small: prefer the
// inverse-CDF samplers unless the weights are the point (e.g. to reuse one simulated sample).

#include <Kokkos_Core.hpp>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/detail/sampling.hpp"
#include "sagips/sim/grid_sampler.hpp"

namespace sagips::sim {

template <int G, Spacing S = Spacing::graded>
struct Reweighting {
  static_assert(G >= 2, "Reweighting: the normalisation grid needs at least 2 nodes per dimension");
  static constexpr bool weighted = true;
  template <class T, class Theory>
  class Impl : GridSampler<T, Theory> {
    using Base = GridSampler<T, Theory>;
    using typename Base::Dual;
    static constexpr int P = Theory::num_params;
    static constexpr int D = Theory::dim;
    static_assert(D == 1 || D == 2, "Reweighting normalises on a grid in one or two dimensions");

   public:
    using Base::check;  // the verdict on the last forward's densities (grid_sampler.hpp)
    using Base::check_pending;
    Impl(Theory theory, Reweighting) : Base(theory, G, S) {}

    void forward(ConstMatrix<T> p, int m, random::CounterRng rng, Matrix<T> events, Vector<T> weights, bool jacobian) {
      const int sets = static_cast<int>(p.extent(0));
      this->per_set = m;
      this->evaluate(p);
      if (static_cast<int>(z_.extent(0)) != sets) z_ = typename Base::DualView("sagips::sim::reweight_z", sets);
      detail::TrapezoidNorm<T, P, D>::run(this->f, this->nodes[0], this->nodes[D > 1 ? 1 : 0], G, z_, sets);
      const auto box = this->box;
      T lo[D], width[D], volume = 1;
      for (int d = 0; d < D; ++d) {
        lo[d] = static_cast<T>(box.lower[d]);
        width[d] = static_cast<T>(box.upper[d] - box.lower[d]);
        volume *= width[d];
      }
      Kokkos::Array<T, D> klo, kwidth;
      for (int d = 0; d < D; ++d) {
        klo[d] = lo[d];
        kwidth[d] = width[d];
      }
      wjac_rows_ = jacobian ? sets * m : 0;  // the buffer only grows (see GridSampler::size_jacobian)
      if (jacobian && static_cast<int>(wjac_.extent(0)) < sets * m) wjac_ = Matrix<T>("sagips::sim::wjac", sets * m, P);
      auto wjac = wjac_;
      auto z = z_;
      const auto th = this->theory;
      Kokkos::parallel_for(
          "sagips::sim::reweight_events", Kokkos::RangePolicy<ExecSpace>(0, sets * m), KOKKOS_LAMBDA(int i) {
            const int b = i / m;
            T u[4];
            rng.uniform4(static_cast<std::uint64_t>(i), u);
            T x[D];
            for (int d = 0; d < D; ++d) {
              x[d] = klo[d] + u[d] * kwidth[d];
              events(i, d) = x[d];
            }
            Dual pd[P];
            for (int j = 0; j < P; ++j) pd[j] = Dual::variable(p(b, j), j);
            const Dual w = th(pd, x) * volume / z(b);
            weights(i) = w.v;
            if (jacobian)
              for (int j = 0; j < P; ++j) wjac(i, j) = w.d[j];
          });
    }

    void vjp(ConstMatrix<T>, ConstVector<T> d_weights, Matrix<T> d_p) const {
      SAGIPS_REQUIRE(wjac_rows_ == static_cast<int>(d_weights.extent(0)),
                     "Reweighting vjp: " << d_weights.extent(0) << " weight gradients for a forward of "
                                         << wjac_rows_ << " events (or the forward ran without Jacobians)");
      detail::reduce_by_set<T, D, P>(ConstMatrix<T>(), typename Base::Jacobian(), d_weights,
                                     Kokkos::subview(wjac_, std::make_pair(0, wjac_rows_), Kokkos::ALL), d_p,
                                     this->per_set);
    }

   private:
    typename Base::DualView z_;
    Matrix<T> wjac_;
    int wjac_rows_ = 0;
  };
};

}  // namespace sagips::sim
