#pragma once
// Pieces the samplers share: the search in a cumulative table, the place of a level inside the cell
// it falls in, the inverse of a linear density on a cell, and the reduction of per-event Jacobians
// into dL/dp per parameter set.

#include <Kokkos_Core.hpp>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"

namespace sagips::sim::detail {

// The largest k in [0, n - 2] with value(k) <= t, for a nondecreasing value(0..n-1).
template <class F, class T>
KOKKOS_INLINE_FUNCTION int search_cell(const F& value, int n, T t) {
  int lo = 0, hi = n - 1;  // invariant: value(lo) <= t (or lo == 0), answer < hi
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (value(mid) <= t)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

// Where level t sits between the cumulative values lo <= hi of a cell: (t - lo)/(hi - lo), clamped to
// [0, 1] against rounding, a Dual that moves with p; 1/2 for a cell without mass.
template <class D>
KOKKOS_INLINE_FUNCTION D place_in_cell(const D& lo, const D& hi, const D& t) {
  using T = typename D::value_type;
  const D mass = hi - lo;
  if (!(mass.v > T(0))) return D(T(0.5));
  const D r = (t - lo) / mass;
  if (r.v < T(0)) return D(T(0));
  if (r.v > T(1)) return D(T(1));
  return r;
}

// Position s in [0, 1] where the CDF of the density (1 - s) a + s b on [0, 1] reaches phi:
// s = phi (a + b) / (a + sqrt(a^2 + phi (b^2 - a^2))), stable for a = b and for a or b = 0.
template <class S, class U>
KOKKOS_INLINE_FUNCTION S linear_cell_inverse(const S& a, const S& b, U phi) {
  const S den = a + math::sqrt(a * a + phi * (b * b - a * a));
  if (!(math::value(den) > 0)) return S(phi);
  return phi * (a + b) / den;
}

// d_p(b, j) = sum over the events of set b of  sum_d d_events(i, d) jac(i, d, j)  [+ d_weights(i) wjac(i, j)].
// One team per parameter set; deterministic (no atomics).
template <class T, int D, int P>
void reduce_by_set(ConstMatrix<T> d_events, Kokkos::View<const T***, Kokkos::LayoutRight, MemSpace> jac,
                   ConstVector<T> d_weights, ConstMatrix<T> wjac, Matrix<T> d_p, int per_set) {
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  const int sets = static_cast<int>(d_p.extent(0));
  const bool with_events = jac.extent(0) > 0;
  const bool with_weights = d_weights.extent(0) > 0 && wjac.extent(0) > 0;
  Kokkos::parallel_for(
      "sagips::sim::reduce_by_set", Policy(sets, Kokkos::AUTO), KOKKOS_LAMBDA(const typename Policy::member_type& m) {
        const int b = m.league_rank();
        const int r0 = b * per_set;
        for (int j = 0; j < P; ++j) {
          T sum = 0;
          Kokkos::parallel_reduce(
              Kokkos::TeamThreadRange(m, per_set),
              [&](int k, T& acc) {
                const int i = r0 + k;
                if (with_events)
                  for (int d = 0; d < D; ++d) acc += d_events(i, d) * jac(i, d, j);
                if (with_weights) acc += d_weights(i) * wjac(i, j);
              },
              sum);
          Kokkos::single(Kokkos::PerTeam(m), [&]() { d_p(b, j) = sum; });
        }
      });
}

}  // namespace sagips::sim::detail
