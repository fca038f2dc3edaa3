#pragma once
// One dense layer's passes, on the host path (Eigen GEMM, host execution spaces only) or the portable
// Kokkos kernels, chosen at run time (`portable`); dense_kernels.hpp has the kernels themselves.
//   layer_forward   y = act(x W^T + b)
//   layer_backward  dz = upstream * act'(y); dW, db (+)= from dz and x (when `params`); dx = dz W
//   layer_split     backward_split's layer: dz as above; the parameter gradients from dz scaled by
//                   dy_par row by row; dx = dz W, at the first layer scaled by dy_in
// `dx` empty: no input gradient. `partial`: the portable kernels' weight-gradient partial sums.

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/activations.hpp"
#include "sagips/nn/detail/dense_kernels.hpp"

namespace sagips::nn::detail {

template <class Act, class T>
void layer_forward(bool portable, ConstMatrix<T> x, Vector<T> w, Vector<T> b, Matrix<T> y, T slope) {
  if (!portable) {
    if constexpr (exec_space_is_host) {
      forward_host<Act, T>(x, w.data(), b.data(), y, slope);
      return;
    }
  }
  forward_portable<Act, T>(x, w, b, y, slope);
}

template <class Act, class T>
void layer_backward(bool portable, ConstMatrix<T> upstream, ConstMatrix<T> y, ConstMatrix<T> x, Matrix<T> dz,
                    Vector<T> w, Vector<T> dw, Vector<T> db, bool params, bool accumulate, Matrix<T> dx,
                    Vector<T> partial, T slope) {
  if (!portable) {
    if constexpr (exec_space_is_host) {
      activation_backward_host<Act, T>(upstream, y, dz, params ? db.data() : nullptr, accumulate, slope);
      linear_backward_host<T>(dz, x, w.data(), params ? dw.data() : nullptr, accumulate, dx);
      return;
    }
  }
  activation_backward_portable<Act, T>(upstream, y, dz, slope);
  if (params) param_backward_portable<T>(dz, x, dw, db, accumulate, partial);
  if (dx.data()) input_backward_portable<T>(dz, w, dx);
}

template <class Act, class T>
void layer_split(bool portable, bool first, ConstMatrix<T> upstream, ConstMatrix<T> y, ConstMatrix<T> x, Matrix<T> dz,
                 Matrix<T> scaled, ConstMatrix<T> dy_in, ConstMatrix<T> dy_par, Vector<T> w, Vector<T> dw,
                 Vector<T> db, bool params, bool accumulate, Matrix<T> dx, Vector<T> partial, T slope) {
  if (!portable) {
    if constexpr (exec_space_is_host) {
      activation_backward_host<Act, T>(upstream, y, dz, nullptr, false, slope);
      if (params) {
        scale_rows_host<T>(dz, dy_par, scaled);
        activation_backward_host<Identity, T>(scaled, scaled, scaled, db.data(), accumulate, slope);
        linear_backward_host<T>(scaled, x, w.data(), dw.data(), accumulate, Matrix<T>());
      }
      if (dx.data()) {
        linear_backward_host<T>(dz, x, w.data(), nullptr, false, dx);
        if (first) scale_rows_host<T>(dx, dy_in, dx);
      }
      return;
    }
  }
  activation_backward_portable<Act, T>(upstream, y, dz, slope);
  if (params) {
    scale_rows_portable<T>(dz, dy_par, scaled);
    param_backward_portable<T>(scaled, x, dw, db, accumulate, partial);
  }
  if (dx.data()) {
    input_backward_portable<T>(dz, w, dx);
    if (first) scale_rows_portable<T>(dx, dy_in, dx);
  }
}

}  // namespace sagips::nn::detail
