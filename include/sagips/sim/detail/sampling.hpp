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

// ---- cumulative tables ----------------------------------------------------------------------------
// The samplers' tables (CDFs over the grid, normalisations) are sums over up to G^2 grid points per
// parameter set. They are computed one team per (table, Dual component): each thread of a team sums a
// chunk, a team scan gives the chunks their offsets, so a GPU runs them in parallel instead of one
// thread per set. Host backends use teams of one thread: then every component sees the additions of
// the serial loop in its order, and the components are computed as Dual arithmetic computes them
// (the derivatives of a Dual times a scalar carry value * 0): the tables equal the serial Dual loops'
// up to where the compiler fuses a product and a sum into one rounding (a few units in the last
// place; tests/unit/sim/test_device_path.cpp). On a device the teams add in another order, which
// changes the sums in the last bits; the search in a table and the clamp of place_in_cell do not
// depend on that.

// Component c of a Dual: 0 its value, 1..N its derivatives.
template <class T, int N>
KOKKOS_INLINE_FUNCTION T& part(autodiff::Dual<T, N>& x, int c) {
  return c == 0 ? x.v : x.d[c - 1];
}
template <class T, int N>
KOKKOS_INLINE_FUNCTION T part(const autodiff::Dual<T, N>& x, int c) {
  return c == 0 ? x.v : x.d[c - 1];
}
// Component c of Dual(sum) * s, given the sum's component c and its value.
template <class T>
KOKKOS_INLINE_FUNCTION T times_scalar(T sum_c, T sum_v, T s, int c) {
  return c == 0 ? sum_v * s : sum_c * s + sum_v * T(0);
}
// Component c of s * Dual(f), given f's component c and its value.
template <class T>
KOKKOS_INLINE_FUNCTION T scalar_times(T s, T f_c, T f_v, int c) {
  return c == 0 ? s * f_v : T(0) * f_v + s * f_c;
}

inline int table_team_size() { return exec_space_is_host ? 1 : 64; }

// out(t (len + 1)) = 0 and out(t (len + 1) + k + 1) = inc(t, 0) + ... + inc(t, k), for every table t
// in [0, tables), every Dual component; inc(t, k, c) is component c of the k-th increment.
template <class T, int P, class Inc>
struct CumulativeTables {
  using Dual = autodiff::Dual<T, P>;
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  Inc inc;
  Kokkos::View<Dual*, MemSpace> out;
  int len;

  KOKKOS_INLINE_FUNCTION void operator()(const typename Policy::member_type& m) const {
    const int t = m.league_rank() / (P + 1), c = m.league_rank() % (P + 1);
    const int per = (len + m.team_size() - 1) / m.team_size();
    const int k0 = m.team_rank() * per < len ? m.team_rank() * per : len, k1 = k0 + per < len ? k0 + per : len;
    T run = 0;
    if (m.team_size() > 1) {  // the chunks before this thread's (nothing before a team of one)
      T chunk = 0;
      for (int k = k0; k < k1; ++k) chunk += inc(t, k, c);
      run = m.team_scan(chunk);
    }
    Dual* o = &out(t * (len + 1));
    if (m.team_rank() == 0) part(o[0], c) = T(0);
    for (int k = k0; k < k1; ++k) {
      run += inc(t, k, c);
      part(o[k + 1], c) = run;
    }
  }

  static void run(const char* label, const Inc& inc, Kokkos::View<Dual*, MemSpace> out, int tables, int len) {
    Kokkos::parallel_for(label, Policy(tables * (P + 1), table_team_size()), CumulativeTables{inc, out, len});
  }
};

// The trapezoids along a table: the k-th increment of table t is
// (f(i) + f(i + stride)) (x(k + 1) - x(k)) / 2 with i = (t g + k) stride + offset.
template <class T, int P>
struct Trapezoids {
  Kokkos::View<autodiff::Dual<T, P>*, MemSpace> f;
  Vector<T> x;
  int g, stride, offset;
  KOKKOS_INLINE_FUNCTION T operator()(int t, int k, int c) const {
    const int i = (t * g + k) * stride + offset;
    const autodiff::Dual<T, P>&a = f(i), &b = f(i + stride);
    return times_scalar(part(a, c) + part(b, c), a.v + b.v, (x(k + 1) - x(k)) / T(2), c);
  }
};

// The q-th cell mass of table t on a g x g grid (cells x-major): its four corner values times its area
// over 4, the integral of the bilinear interpolant (Loits2D). (A type of its own at namespace scope: a
// kernel's functor must not be a private member type, which nvcc's generated code cannot name.)
template <class T, int P>
struct CellMasses {
  Kokkos::View<autodiff::Dual<T, P>*, MemSpace> f;
  Vector<T> xn, yn;
  int g;
  KOKKOS_INLINE_FUNCTION T operator()(int t, int q, int c) const {
    const int a = q / (g - 1), k = q % (g - 1);
    const autodiff::Dual<T, P>* fb = &f(t * g * g);
    const autodiff::Dual<T, P>&f00 = fb[a * g + k], &f10 = fb[(a + 1) * g + k], &f01 = fb[a * g + k + 1],
                               &f11 = fb[(a + 1) * g + k + 1];
    const T area = (xn(a + 1) - xn(a)) * (yn(k + 1) - yn(k));
    return times_scalar(part(f00, c) + part(f10, c) + part(f01, c) + part(f11, c), f00.v + f10.v + f01.v + f11.v,
                        area / T(4), c);
  }
};

// z(t) = the trapezoid rule's integral of the grid values of table t (D = 1: g nodes; D = 2: g x g,
// x-major), as the Dual sum z += w f computes it: one team per (table, component), a team reduction.
template <class T, int P, int D>
struct TrapezoidNorm {
  using Dual = autodiff::Dual<T, P>;
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  Kokkos::View<Dual*, MemSpace> f;
  Vector<T> x0, x1;
  int g;
  Kokkos::View<Dual*, MemSpace> z;

  // The trapezoid weight of node k.
  KOKKOS_INLINE_FUNCTION static T weight(const Vector<T>& x, int k, int g) {
    const T left = k > 0 ? x(k) - x(k - 1) : T(0), right = k + 1 < g ? x(k + 1) - x(k) : T(0);
    return (left + right) / T(2);
  }
  KOKKOS_INLINE_FUNCTION void operator()(const typename Policy::member_type& m) const {
    const int t = m.league_rank() / (P + 1), c = m.league_rank() % (P + 1), per = D == 1 ? g : g * g;
    T sum = 0;
    Kokkos::parallel_reduce(
        Kokkos::TeamThreadRange(m, per),
        [&](int i, T& acc) {
          const T w = D == 1 ? weight(x0, i, g) : weight(x0, i / g, g) * weight(x1, i % g, g);
          const Dual& fi = f(t * per + i);
          acc += scalar_times(w, part(fi, c), fi.v, c);
        },
        sum);
    Kokkos::single(Kokkos::PerTeam(m), [&]() { part(z(t), c) = sum; });
  }

  static void run(Kokkos::View<Dual*, MemSpace> f, Vector<T> x0, Vector<T> x1, int g, Kokkos::View<Dual*, MemSpace> z,
                  int tables) {
    Kokkos::parallel_for("sagips::sim::reweight_norm", Policy(tables * (P + 1), table_team_size()),
                         TrapezoidNorm{f, x0, x1, g, z});
  }
};

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
