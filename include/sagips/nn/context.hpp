#pragma once
// A Network's workspace for one batch size, and how a batch is run through it in blocks of rows.
//
// make_context(batch) allocates every layer's output, two ping-pong buffers for the backward sweep and
// the portable kernels' partial sums once; forward and backward then only take views of them. A batch
// may run whole or in blocks of rows (nn/network.hpp chooses: cache blocking on a host, a progress
// callback between blocks on a device); a block is a window of the context, views into the same
// buffers, so the passes are written once for a whole batch and run unchanged on a block.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include "sagips/core/views.hpp"
#include "sagips/nn/contract.hpp"
#include "sagips/nn/detail/batch_norm_ops.hpp"
#include "sagips/nn/detail/block_progress.hpp"

namespace sagips::nn {

// Everything a network's backward needs, for one batch size.
template <class T, int NumLayers>
struct NetworkContext {
  int capacity = 0;                    // rows it was made for
  int rows = 0;                        // rows of the last forward
  ConstMatrix<T> input;                // the last forward's input (not copied: keep it alive)
  std::array<Matrix<T>, NumLayers> y;  // each layer's output
  Matrix<T> g0, g1;                    // backward ping-pong buffers
  Matrix<T> scaled;                    // backward_split's row-scaled deltas (made on first use)
  Vector<T> partial;                   // weight-gradient partial sums (portable kernels)
  std::function<void()> progress;      // called between row blocks (and layers), when set
  bool progress_each_layer = false;
  std::array<detail::NormState<T>, NumLayers> norm;  // batch-normalised layers' statistics
  detail::BlockFlag block_done;        // the last row block run (block_progress.hpp)
  int blocks_issued = 0;
};

namespace detail {

// Rows [r0, r1) of a matrix (empty stays empty).
template <class M>
M rows_of_block(const M& m, int r0, int r1) {
  if (!m.data()) return m;
  return Kokkos::subview(m, std::make_pair(r0, r1), Kokkos::ALL);
}

// Rows [r0, r1) of a context, as a context of its own (views into the same buffers).
template <class T, int N>
NetworkContext<T, N> window(const NetworkContext<T, N>& c, int r0, int r1) {
  NetworkContext<T, N> w;
  w.capacity = w.rows = r1 - r0;
  w.input = rows_of_block(c.input, r0, r1);
  for (int l = 0; l < N; ++l) w.y[l] = rows_of_block(c.y[l], r0, r1);
  w.g0 = rows_of_block(c.g0, r0, r1);
  w.g1 = rows_of_block(c.g1, r0, r1);
  w.scaled = rows_of_block(c.scaled, r0, r1);
  w.partial = c.partial;
  w.progress = c.progress;
  w.progress_each_layer = c.progress_each_layer;
  return w;
}

// f(window, r0, r1) for each block of `block` rows (0, or a batch no larger: the whole batch at once),
// progress() after each when set. On the portable path (a device) a block's completion is marked on the
// device and the progress callback runs while the next block computes (block_progress.hpp): one block
// stays queued; on the host the callback simply runs between blocks.
template <class T, int N, class F>
void for_row_blocks(NetworkContext<T, N>& c, int block, bool portable, F&& f) {
  if (block == 0 || c.rows <= block) {
    f(c, 0, c.rows);
    if (c.progress) c.progress();
    return;
  }
  if (c.progress && portable && !c.block_done.data()) c.block_done = BlockFlag("sagips::nn::block_done");
  for (int r0 = 0, k = 0; r0 < c.rows; r0 += block, ++k) {
    const int r1 = std::min(c.rows, r0 + block);
    NetworkContext<T, N> w = window(c, r0, r1);
    f(w, r0, r1);
    if (!c.progress) continue;
    if (!portable) {
      c.progress();
      continue;
    }
    mark_block_done(c.block_done, ++c.blocks_issued);
    if (k > 0) progress_until(c.block_done, c.blocks_issued - 1, c.progress);  // one block stays queued
  }
  if (c.progress && portable) c.progress();  // for the last block, without waiting for it
}

// Blocks after the first add to the gradients the first one wrote.
inline ParamGrad later_block(ParamGrad mode, int r0) {
  return r0 == 0 || mode == ParamGrad::none ? mode : ParamGrad::accumulate;
}

}  // namespace detail
}  // namespace sagips::nn
