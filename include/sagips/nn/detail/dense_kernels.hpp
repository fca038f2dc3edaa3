#pragma once
// The kernels of one dense layer y = act(x W^T + b), W [out, in] row-major, x [n, in], y [n, out],
// and of its backward pass. Two implementations with one signature:
//  - host: Eigen GEMM on the View data, bias and activation fused into one epilogue pass, the bias
//    gradient summed in the same pass that forms dz = dy * act'(y);
//  - portable (any execution space, the device path): Kokkos team kernels that stage tiles of rows
//    in team scratch memory; the weight gradient is reduced in two deterministic passes (per-chunk
//    partial sums, then a sum over chunks) instead of atomics.

#include "sagips/core/eigen.hpp"
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstddef>

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/activations.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::nn::detail {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstMap = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;
template <class T>
using MutMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;

template <class View>
auto const_map(const View& v) {
  using T = typename View::non_const_value_type;
  return ConstMap<T>(v.data(), static_cast<Eigen::Index>(v.extent(0)), static_cast<Eigen::Index>(v.extent(1)),
                     Eigen::OuterStride<>(static_cast<Eigen::Index>(v.stride(0))));
}
template <class View>
auto mut_map(const View& v) {
  using T = typename View::non_const_value_type;
  return MutMap<T>(v.data(), static_cast<Eigen::Index>(v.extent(0)), static_cast<Eigen::Index>(v.extent(1)),
                   Eigen::OuterStride<>(static_cast<Eigen::Index>(v.stride(0))));
}

// Rows per team tile, and row chunks of the two-pass weight-gradient reduction.
inline constexpr int tile_rows = 32;
inline constexpr int chunk_rows = 256;
inline int gradient_chunks(int n) { return std::max(1, std::min(64, (n + chunk_rows - 1) / chunk_rows)); }

// Where a tile of rows of `width` values is staged: in level-0 scratch (a GPU's shared memory, some
// 40 KB per team, 32 KB on Serial) with as many of tile_rows rows as fit there, halving for wide
// layers; in level-1 scratch (global memory) only when not even one row fits. Without this check a
// layer wider than ~300 floats fails at launch on a GPU ("insufficient shared memory").
struct TilePlan {
  int rows = 0;   // 0: to be chosen by tile_plan()
  int level = 0;
};
template <class T>
TilePlan tile_plan(int width, std::size_t level0 = static_cast<std::size_t>(
                                  Kokkos::TeamPolicy<ExecSpace>::scratch_size_max(0))) {
  using Scratch = Kokkos::View<T**, Kokkos::LayoutRight, ExecSpace::scratch_memory_space, Kokkos::MemoryUnmanaged>;
  int rows = tile_rows;
  while (rows > 1 && Scratch::shmem_size(rows, width) > level0) rows /= 2;
  if (Scratch::shmem_size(rows, width) <= level0) return {rows, 0};
  const auto level1 = static_cast<std::size_t>(Kokkos::TeamPolicy<ExecSpace>::scratch_size_max(1));
  SAGIPS_REQUIRE(Scratch::shmem_size(tile_rows, width) <= level1,
                 "a dense layer of width " << width << " does not fit a team's scratch memory (" << level1 << " bytes)");
  return {tile_rows, 1};
}

// ---- forward ---------------------------------------------------------------------------------
template <class Act, class T>
void forward_host(ConstMatrix<T> x, const T* w, const T* b, Matrix<T> y, T a) {
  const int n = static_cast<int>(x.extent(0)), in = static_cast<int>(x.extent(1)), out = static_cast<int>(y.extent(1));
  const Eigen::Map<const RowMat<T>> W(w, out, in);
  auto Y = mut_map(y);
  Y.noalias() = const_map(x) * W.transpose();
  for (int i = 0; i < n; ++i) {
    T* row = &y(i, 0);
    for (int j = 0; j < out; ++j) row[j] = Act::apply(row[j] + b[j], a);
  }
}

template <class Act, class T>
void forward_portable(ConstMatrix<T> x, Vector<const T> w, Vector<const T> b, Matrix<T> y, T a, TilePlan plan = {}) {
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  using Scratch = Kokkos::View<T**, Kokkos::LayoutRight, ExecSpace::scratch_memory_space, Kokkos::MemoryUnmanaged>;
  const int n = static_cast<int>(x.extent(0)), in = static_cast<int>(x.extent(1)), out = static_cast<int>(y.extent(1));
  if (plan.rows == 0) plan = tile_plan<T>(in);
  const int tr = plan.rows, level = plan.level;
  const int league = (n + tr - 1) / tr;
  if (league == 0) return;
  Policy policy(league, Kokkos::AUTO);
  policy.set_scratch_size(level, Kokkos::PerTeam(Scratch::shmem_size(tr, in)));
  Kokkos::parallel_for(
      "sagips::dense_forward", policy, KOKKOS_LAMBDA(const typename Policy::member_type& m) {
        const int r0 = m.league_rank() * tr;
        const int rows = n - r0 < tr ? n - r0 : tr;
        Scratch xs(m.team_scratch(level), tr, in);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(m, rows * in),
                             [&](int k) { xs(k / in, k % in) = x(r0 + k / in, k % in); });
        m.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(m, rows * out), [&](int k) {
          const int r = k / out, o = k % out;
          T acc = b(o);
          for (int i = 0; i < in; ++i) acc += xs(r, i) * w(o * in + i);
          y(r0 + r, o) = Act::apply(acc, a);
        });
      });
}

// ---- backward --------------------------------------------------------------------------------
// dz = dy * act'(y) (dz may be dy itself for Identity), db (+)= colsum(dz) when db is given.
template <class Act, class T>
void activation_backward_host(ConstMatrix<T> dy, ConstMatrix<T> y, Matrix<T> dz, T* db, bool accumulate, T a) {
  const int n = static_cast<int>(dy.extent(0)), out = static_cast<int>(dy.extent(1));
  if (db && !accumulate)
    for (int j = 0; j < out; ++j) db[j] = 0;
  for (int i = 0; i < n; ++i) {
    const T* g = &dy(i, 0);
    const T* yr = &y(i, 0);
    T* z = &dz(i, 0);
    if constexpr (std::is_same_v<Act, Identity>) {
      if (z != g)
        for (int j = 0; j < out; ++j) z[j] = g[j];
    } else {
      for (int j = 0; j < out; ++j) z[j] = g[j] * Act::derivative(yr[j], a);
    }
    if (db)
      for (int j = 0; j < out; ++j) db[j] += z[j];
  }
}

// dW (+)= dz^T x, dx = dz W (each when asked).
template <class T>
void linear_backward_host(ConstMatrix<T> dz, ConstMatrix<T> x, const T* w, T* dw, bool accumulate, Matrix<T> dx) {
  const int in = static_cast<int>(x.extent(1)), out = static_cast<int>(dz.extent(1));
  const auto DZ = const_map(dz);
  if (dw) {
    Eigen::Map<RowMat<T>> DW(dw, out, in);
    if (accumulate)
      DW.noalias() += DZ.transpose() * const_map(x);
    else
      DW.noalias() = DZ.transpose() * const_map(x);
  }
  if (dx.data()) {
    const Eigen::Map<const RowMat<T>> W(w, out, in);
    mut_map(dx).noalias() = DZ * W;
  }
}

// out(i, :) = m(i, :) * f(i, 0) (out may be m).
template <class T>
void scale_rows_host(ConstMatrix<T> m, ConstMatrix<T> f, Matrix<T> out) {
  const int n = static_cast<int>(m.extent(0)), w = static_cast<int>(m.extent(1));
  for (int i = 0; i < n; ++i) {
    const T s = f(i, 0);
    const T* a = &m(i, 0);
    T* o = &out(i, 0);
    for (int j = 0; j < w; ++j) o[j] = a[j] * s;
  }
}
template <class T>
void scale_rows_portable(ConstMatrix<T> m, ConstMatrix<T> f, Matrix<T> out) {
  const int n = static_cast<int>(m.extent(0)), w = static_cast<int>(m.extent(1));
  Kokkos::parallel_for(
      "sagips::dense_scale_rows", Kokkos::RangePolicy<ExecSpace>(0, n * w), KOKKOS_LAMBDA(int k) {
        const int i = k / w, j = k % w;
        out(i, j) = m(i, j) * f(i, 0);
      });
}

template <class Act, class T>
void activation_backward_portable(ConstMatrix<T> dy, ConstMatrix<T> y, Matrix<T> dz, T a) {
  const int n = static_cast<int>(dy.extent(0)), out = static_cast<int>(dy.extent(1));
  Kokkos::parallel_for(
      "sagips::dense_activation_backward", Kokkos::RangePolicy<ExecSpace>(0, n * out), KOKKOS_LAMBDA(int k) {
        const int i = k / out, j = k % out;
        dz(i, j) = dy(i, j) * Act::derivative(y(i, j), a);
      });
}

// The weight and bias gradients in two deterministic passes: partial sums per chunk of rows into
// `partial` ([chunks * (out*in + out)]), then the sum over chunks into dw/db.
template <class T>
void param_backward_portable(ConstMatrix<T> dz, ConstMatrix<T> x, Vector<T> dw, Vector<T> db, bool accumulate,
                             Vector<T> partial) {
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  const int n = static_cast<int>(dz.extent(0)), in = static_cast<int>(x.extent(1)), out = static_cast<int>(dz.extent(1));
  const int chunks = gradient_chunks(n);
  const int per = (n + chunks - 1) / chunks;
  const int stride = out * in + out;
  Kokkos::parallel_for(
      "sagips::dense_param_partials", Policy(chunks * out, Kokkos::AUTO),
      KOKKOS_LAMBDA(const typename Policy::member_type& m) {
        const int c = m.league_rank() / out, o = m.league_rank() % out;
        const int r0 = c * per, r1 = r0 + per < n ? r0 + per : n;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(m, in), [&](int i) {
          T acc = 0;
          for (int r = r0; r < r1; ++r) acc += dz(r, o) * x(r, i);
          partial(c * stride + o * in + i) = acc;
        });
        T sb = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(m, r1 > r0 ? r1 - r0 : 0), [&](int k, T& s) { s += dz(r0 + k, o); }, sb);
        Kokkos::single(Kokkos::PerTeam(m), [&]() { partial(c * stride + out * in + o) = sb; });
      });
  Kokkos::parallel_for(
      "sagips::dense_param_sum", Kokkos::RangePolicy<ExecSpace>(0, stride), KOKKOS_LAMBDA(int k) {
        T acc = 0;
        for (int c = 0; c < chunks; ++c) acc += partial(c * stride + k);
        if (k < out * in) {
          dw(k) = accumulate ? dw(k) + acc : acc;
        } else {
          db(k - out * in) = accumulate ? db(k - out * in) + acc : acc;
        }
      });
}

template <class T>
void input_backward_portable(ConstMatrix<T> dz, Vector<const T> w, Matrix<T> dx, TilePlan plan = {}) {
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  using Scratch = Kokkos::View<T**, Kokkos::LayoutRight, ExecSpace::scratch_memory_space, Kokkos::MemoryUnmanaged>;
  const int n = static_cast<int>(dz.extent(0)), out = static_cast<int>(dz.extent(1)), in = static_cast<int>(dx.extent(1));
  if (plan.rows == 0) plan = tile_plan<T>(out);
  const int tr = plan.rows, level = plan.level;
  const int league = (n + tr - 1) / tr;
  if (league == 0) return;
  Policy policy(league, Kokkos::AUTO);
  policy.set_scratch_size(level, Kokkos::PerTeam(Scratch::shmem_size(tr, out)));
  Kokkos::parallel_for(
      "sagips::dense_input_backward", policy, KOKKOS_LAMBDA(const typename Policy::member_type& m) {
        const int r0 = m.league_rank() * tr;
        const int rows = n - r0 < tr ? n - r0 : tr;
        Scratch zs(m.team_scratch(level), tr, out);
        Kokkos::parallel_for(Kokkos::TeamThreadRange(m, rows * out),
                             [&](int k) { zs(k / out, k % out) = dz(r0 + k / out, k % out); });
        m.team_barrier();
        Kokkos::parallel_for(Kokkos::TeamThreadRange(m, rows * in), [&](int k) {
          const int r = k / in, i = k % in;
          T acc = 0;
          for (int o = 0; o < out; ++o) acc += zs(r, o) * w(o * in + i);
          dx(r0 + r, i) = acc;
        });
      });
}

}  // namespace sagips::nn::detail
