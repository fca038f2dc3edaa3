#pragma once
// A feed-forward network of dense layers with reverse mode at layer granularity.
//
//  - All parameters live in one flat View, all gradients in another (gradient fusion by
//    construction: this is the buffer the exchange strategies move, the optimizers step and the
//    checkpoints save). Layer l holds W_l [out, in] row-major, then b_l [out], at offset(l).
//  - forward(ctx, x) keeps each layer's output in the context, a workspace allocated once per batch
//    size by make_context() (nn/context.hpp); it may run on fewer rows than the context was made for.
//  - backward(ctx, dy, dx, mode) turns dL/dy into dL/dx (when dx is a non-empty view) and into
//    parameter gradients (ParamGrad::overwrite or accumulate; none skips them). It leaves the
//    activations alone, so one forward may serve several backward passes.
//  - Context::progress, when set, is called between row blocks (and between layers with
//    progress_each_layer): the trainer drives the generator's gradient exchange from there, so the
//    traffic advances while the discriminator computes.
//  - backward_split(ctx, dy_in, dx, dy_par, mode), for a network with one output per row: dL/dx
//    for one upstream gradient and the parameter gradients for another, from a single sweep. With a
//    scalar output, every layer's delta is the row's upstream value times d(output)/d(layer), so the
//    sweep carries d(output)/d(layer) and scales rows where each upstream is used. The trainer uses
//    it for the fake batch: the generator's loss needs dL_G/d(events), the discriminator's step
//    needs dL_D/d(weights), and both come from the same activations.
//
//  - A layer may be batch-normalised (nn/batch_norm.hpp; its passes in detail/batch_norm_ops.hpp):
//    such a network runs a batch whole and its backward_split is two backward passes.
//
// Host execution spaces use Eigen GEMM; others the portable Kokkos kernels (dense_kernels.hpp).
// The layer types and the parameter layout are layer_spec.hpp.
// What the trainer needs of a network, this one or a user's, is nn/contract.hpp.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/context.hpp"
#include "sagips/nn/activations.hpp"
#include "sagips/nn/batch_norm.hpp"
#include "sagips/nn/contract.hpp"
#include "sagips/nn/detail/batch_norm_ops.hpp"
#include "sagips/nn/detail/block_progress.hpp"
#include "sagips/nn/detail/dense_kernels.hpp"
#include "sagips/nn/detail/layer_ops.hpp"
#include "sagips/nn/init.hpp"
#include "sagips/nn/layer_spec.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/serialize.hpp"

namespace sagips::nn {

template <class T, class... Specs>
class Network {
  static_assert(sizeof...(Specs) >= 1, "a network needs at least one layer");
  static_assert(std::is_floating_point_v<T>, "networks compute in float or double");

 public:
  using value_type = T;
  using Layers = std::tuple<Specs...>;
  static constexpr int num_layers = sizeof...(Specs);
  static constexpr std::array<int, num_layers> ins{Specs::in...};
  static constexpr std::array<int, num_layers> outs{Specs::out...};
  static constexpr std::array<bool, num_layers> normed{Specs::normalized...};  // batch-normalised layers
  static constexpr bool has_batch_norm = (Specs::normalized || ...);
  static constexpr int in_width = ins[0];
  static constexpr int out_width = outs[num_layers - 1];
  static constexpr std::size_t num_params = (Specs::num_params + ...);

 private:
  using Shape = detail::Layout<Specs...>;

 public:
  static constexpr std::array<std::size_t, num_layers> param_offsets = Shape::param_offsets;
  static constexpr int max_width = Shape::max_width;

  // Everything backward needs, for one batch size (nn/context.hpp).
  using Context = NetworkContext<T, num_layers>;

  explicit Network(InitConfig init = {})
      : init_(init),
        params_("sagips::nn::params", num_params),
        grads_("sagips::nn::grads", num_params),
        running_("sagips::nn::running", Shape::running_size),
        portable_(!exec_space_is_host) {
    initialize(0);
  }

  // Deterministic for a seed; the same on every rank (see init.hpp).
  void initialize(std::uint64_t seed) {
    auto h = Kokkos::create_mirror_view(Kokkos::HostSpace(), params_);
    for (int l = 0; l < num_layers; ++l) {
      const std::size_t w = std::size_t(ins[l]) * outs[l];
      for (std::size_t k = 0; k < w; ++k)
        h(param_offsets[l] + k) = static_cast<T>(detail::init_value(init_, seed, l, false, k, ins[l], outs[l]));
      for (int k = 0; k < outs[l]; ++k)
        h(param_offsets[l] + w + k) = static_cast<T>(detail::init_value(init_, seed, l, true, k, ins[l], outs[l]));
      for (int k = 0; normed[l] && k < outs[l]; ++k) {  // gamma 1, beta 0; running mean 0, variance 1
        h(param_offsets[l] + w + outs[l] + k) = T(1);
        h(param_offsets[l] + w + 2 * outs[l] + k) = T(0);
        running_(Shape::running_offsets[l] + k) = 0;
        running_(Shape::running_offsets[l] + outs[l] + k) = 1;
      }
    }
    Kokkos::deep_copy(params_, h);
    zero_grads();
  }

  Vector<T> params() const { return params_; }
  Vector<T> grads() const { return grads_; }
  // Layer l's weights [out*in] and bias [out] within the flat buffers.
  Vector<T> weights(int l) const { return slice(params_, l, false); }
  Vector<T> bias(int l) const { return slice(params_, l, true); }
  Vector<T> weight_grads(int l) const { return slice(grads_, l, false); }
  Vector<T> bias_grads(int l) const { return slice(grads_, l, true); }
  const InitConfig& init_config() const { return init_; }
  // Batch normalisation (batch_norm.hpp): layer l's gamma and beta [out] and their gradients; the
  // running mean and variance of all normalised layers (host, 2 * out per layer, in layer order).
  Vector<T> gamma(int l) const { return norm_slice(params_, l, false); }
  Vector<T> beta(int l) const { return norm_slice(params_, l, true); }
  Vector<T> gamma_grads(int l) const { return norm_slice(grads_, l, false); }
  Vector<T> beta_grads(int l) const { return norm_slice(grads_, l, true); }
  HostVector<double> running_statistics() const { return running_; }
  // Reduce the batch statistics over comm (every rank of it runs the same passes); MPI_COMM_SELF: local.
  void set_batch_norm_comm(MPI_Comm comm) { norm_comm_ = NormComm(comm); }
  bool batch_norm_synchronized() const { return norm_comm_.synchronized(); }
  void set_batch_norm_config(BatchNormConfig c) { norm_cfg_ = c; }
  // Training mode normalises by the batch's statistics; evaluation mode by the running estimates.
  void set_training(bool on) { training_ = on; }
  bool training() const { return training_; }

  void zero_grads() const { Kokkos::deep_copy(ExecSpace(), grads_, T(0)); }

  // Use the portable Kokkos kernels even on a host space (tests compare the two paths).
  void use_portable_kernels(bool on) { portable_ = on || !exec_space_is_host; }
  bool portable_kernels() const { return portable_; }

  Context make_context(int batch) const {
    SAGIPS_REQUIRE(batch >= 0, "make_context: negative batch size " << batch);
    Context c;
    c.capacity = batch;
    for (int l = 0; l < num_layers; ++l) c.y[l] = Matrix<T>("sagips::nn::y", batch, outs[l]);
    c.g0 = Matrix<T>("sagips::nn::g0", batch, max_width);
    c.g1 = Matrix<T>("sagips::nn::g1", batch, max_width);
    c.partial = Vector<T>("sagips::nn::partial", portable_ ? detail::gradient_chunks(batch) * num_params : 0);
    for (int l = 0; l < num_layers; ++l)
      if (normed[l]) c.norm[l] = detail::NormState<T>(batch, outs[l]);
    return c;
  }

  // x [n, in_width] with n <= ctx.capacity -> y [n, out_width], a view into ctx.
  ConstMatrix<T> forward(Context& c, ConstMatrix<T> x) const {
    SAGIPS_REQUIRE(static_cast<int>(x.extent(1)) == in_width,
                   "network input has " << x.extent(1) << " columns; the network expects " << in_width);
    SAGIPS_REQUIRE(static_cast<int>(x.extent(0)) <= c.capacity,
                   "batch of " << x.extent(0) << " rows exceeds the context's " << c.capacity);
    if (portable_ && c.partial.extent(0) < std::size_t(detail::gradient_chunks(c.capacity)) * num_params)
      c.partial = Vector<T>("sagips::nn::partial", detail::gradient_chunks(c.capacity) * num_params);
    c.rows = static_cast<int>(x.extent(0));
    c.input = x;
    for_row_blocks(c, [&](Context& w, int, int) { forward_layers(w, std::make_index_sequence<num_layers>{}); });
    return rows_of(c.y[num_layers - 1], c.rows);
  }

  // dy [rows, out_width] -> dx [rows, in_width] (if dx is non-empty) and parameter gradients.
  void backward(Context& c, ConstMatrix<T> dy, Matrix<T> dx, ParamGrad mode) const {
    SAGIPS_REQUIRE(static_cast<int>(dy.extent(0)) == c.rows && static_cast<int>(dy.extent(1)) == out_width,
                   "backward: dL/dy is [" << dy.extent(0) << ", " << dy.extent(1) << "], the last forward gave ["
                                          << c.rows << ", " << out_width << "]");
    SAGIPS_REQUIRE(!dx.data() || (static_cast<int>(dx.extent(0)) == c.rows &&
                                  static_cast<int>(dx.extent(1)) == in_width),
                   "backward: dL/dx must be [" << c.rows << ", " << in_width << "], got [" << dx.extent(0) << ", "
                                               << dx.extent(1) << "]");
    for_row_blocks(c, [&](Context& w, int r0, int r1) {
      ConstMatrix<T> upstream = detail::rows_of_block(dy, r0, r1);
      backward_layers(w, upstream, detail::rows_of_block(dx, r0, r1), detail::later_block(mode, r0),
                      std::make_index_sequence<num_layers>{});
    });
  }

  // One output per row: dx = dy_in * d(out)/dx (if dx is non-empty) and the parameter gradients of
  // the upstream dy_par, in one sweep (each [rows, 1]). Equal to backward(dy_in, dx, none) followed
  // by backward(dy_par, {}, mode), for about two thirds of the work.
  void backward_split(Context& c, ConstMatrix<T> dy_in, Matrix<T> dx, ConstMatrix<T> dy_par, ParamGrad mode) const {
    static_assert(out_width == 1, "backward_split needs a network with one output per row");
    if constexpr (has_batch_norm) {  // rows are coupled: the single sweep's premise fails
      backward(c, dy_in, dx, ParamGrad::none);
      backward(c, dy_par, Matrix<T>(), mode);
      return;
    }
    for (const auto* dy : {&dy_in, &dy_par})
      SAGIPS_REQUIRE(static_cast<int>(dy->extent(0)) == c.rows && dy->extent(1) == 1,
                     "backward_split: an upstream gradient is [" << dy->extent(0) << ", " << dy->extent(1)
                                                                 << "], the last forward gave [" << c.rows << ", 1]");
    SAGIPS_REQUIRE(!dx.data() || (static_cast<int>(dx.extent(0)) == c.rows &&
                                  static_cast<int>(dx.extent(1)) == in_width),
                   "backward_split: dL/dx must be [" << c.rows << ", " << in_width << "], got [" << dx.extent(0)
                                                     << ", " << dx.extent(1) << "]");
    if (c.scaled.extent(0) < std::size_t(c.capacity)) c.scaled = Matrix<T>("sagips::nn::scaled", c.capacity, max_width);
    // d(out)/d(out) = 1 per row, in g0.
    Kokkos::deep_copy(ExecSpace(), block(c.g0, c.rows, 1), T(1));  // on the kernels' instance: no global fence
    for_row_blocks(c, [&](Context& w, int r0, int r1) {
      ConstMatrix<T> upstream = block(w.g0, w.rows, 1);
      split_layers(w, upstream, detail::rows_of_block(dx, r0, r1), detail::rows_of_block(dy_in, r0, r1),
                   detail::rows_of_block(dy_par, r0, r1), detail::later_block(mode, r0),
                   std::make_index_sequence<num_layers>{});
    });
  }

  // Host path: a batch is run through all layers in blocks of this many rows, so each block's
  // activations stay in cache between one layer's product and the next (0: the whole batch at once).
  // Weight gradients are then summed block after block: deterministic, in a different order.
  void set_row_block(int rows) { row_block_ = rows < 0 ? 0 : rows; }
  int row_block() const { return row_block_; }
  // Portable path: with a progress callback, a batch runs in this many blocks (default 8).
  void set_progress_blocks(int blocks) { progress_blocks_ = blocks < 1 ? 1 : blocks; }

  void save(BinaryWriter& w, const std::string& name) const {
    w.view(name + ".params", params_);
    if constexpr (has_batch_norm) w.view(name + ".running", running_);
  }
  void load(BinaryReader& r, const std::string& name) {
    r.view(name + ".params", params_);
    if constexpr (has_batch_norm) r.view(name + ".running", running_);
  }

 private:
  static Matrix<T> rows_of(const Matrix<T>& m, int n) {
    return Kokkos::subview(m, std::make_pair(0, n), std::make_pair(0, static_cast<int>(m.extent(1))));
  }
  static Matrix<T> block(const Matrix<T>& m, int n, int w) {
    return Kokkos::subview(m, std::make_pair(0, n), std::make_pair(0, w));
  }
  static Vector<T> slice(const Vector<T>& v, int l, bool bias) {
    const std::size_t w = std::size_t(ins[l]) * outs[l];
    const std::size_t b = param_offsets[l] + (bias ? w : 0);
    return Kokkos::subview(v, std::make_pair(b, b + (bias ? std::size_t(outs[l]) : w)));
  }
  static Vector<T> norm_slice(const Vector<T>& v, int l, bool beta) {
    SAGIPS_REQUIRE(l >= 0 && l < num_layers && normed[l], "layer " << l << " is not batch-normalised");
    const std::size_t b = param_offsets[l] + std::size_t(ins[l]) * outs[l] + outs[l] + (beta ? outs[l] : 0);
    return Kokkos::subview(v, std::make_pair(b, b + std::size_t(outs[l])));
  }
  HostVector<double> running_of(int l) const {
    const std::size_t b = Shape::running_offsets[l];
    return Kokkos::subview(running_, std::make_pair(b, b + 2 * std::size_t(outs[l])));
  }
  T slope() const { return static_cast<T>(init_.leaky_slope); }
  void zero_layer_grads(int l) const {
    Kokkos::deep_copy(ExecSpace(), weight_grads(l), T(0));
    Kokkos::deep_copy(ExecSpace(), bias_grads(l), T(0));
  }

  // The rows of a block: on the host path row_block_ (cache blocking); on the portable path, when a
  // progress callback is set, a batch in progress_blocks_ blocks (so that the callback runs while the
  // device computes, block_progress.hpp); 0: the whole batch at once.
  int block_rows(const Context& c) const {
    if (has_batch_norm) return 0;  // a normalised layer needs the whole batch at once
    if (!portable_) return row_block_;
    if (!c.progress) return 0;
    return std::max(detail::tile_rows, (c.rows + progress_blocks_ - 1) / progress_blocks_);
  }
  // f(window, r0, r1) for each block of rows (nn/context.hpp), progress() after each, when set.
  template <class F>
  void for_row_blocks(Context& c, F&& f) const {
    detail::for_row_blocks(c, block_rows(c), portable_, std::forward<F>(f));
  }

  template <std::size_t... L>
  void forward_layers(Context& c, std::index_sequence<L...>) const {
    ((forward_layer<L>(c), layer_done<L>(c)), ...);
  }
  // Between layers (not after the last: the block boundary calls progress there).
  template <std::size_t L>
  static void layer_done(const Context& c) {
    if (L + 1 < num_layers && c.progress_each_layer && c.progress) c.progress();
  }
  template <std::size_t L>
  void forward_layer(Context& c) const {
    using Act = typename std::tuple_element_t<L, Layers>::activation;
    const ConstMatrix<T> x = L == 0 ? c.input : ConstMatrix<T>(rows_of(c.y[L == 0 ? 0 : L - 1], c.rows));
    const Matrix<T> y = rows_of(c.y[L], c.rows);
    if constexpr (normed[L]) {  // z = x W^T + b, then act(gamma z_hat + beta); a rank without rows still reduces
      if (c.rows > 0) detail::layer_forward<Identity, T>(portable_, x, weights(L), bias(L), y, slope());
      detail::batch_norm_forward<Act, T>(y, c.norm[L], gamma(L), beta(L), running_of(L), norm_comm_, norm_cfg_,
                                         training_, slope());
      return;
    }
    if (c.rows == 0) return;
    detail::layer_forward<Act, T>(portable_, x, weights(L), bias(L), y, slope());
  }

  template <std::size_t... I>
  void backward_layers(Context& c, ConstMatrix<T>& upstream, Matrix<T> dx, ParamGrad mode,
                       std::index_sequence<I...>) const {
    ((backward_layer<num_layers - 1 - I>(c, upstream, dx, mode), layer_done<I>(c)), ...);
  }
  // Layer L: dz = upstream * act'(y_L); parameter gradients from dz and the layer's input; the new
  // upstream dz W for the layer below (or the caller's dx at layer 0).
  template <std::size_t L>
  void backward_layer(Context& c, ConstMatrix<T>& upstream, Matrix<T> dx, ParamGrad mode) const {
    using Act = typename std::tuple_element_t<L, Layers>::activation;
    const int n = c.rows, in = ins[L], out = outs[L];
    const bool params = mode != ParamGrad::none, accumulate = mode == ParamGrad::accumulate;
    const bool want_dx = L > 0 || dx.data() != nullptr;
    if (!params && !want_dx) return;
    const ConstMatrix<T> y = rows_of(c.y[L], n);
    const ConstMatrix<T> x = L == 0 ? c.input : ConstMatrix<T>(rows_of(c.y[L == 0 ? 0 : L - 1], n));
    // dz goes to whichever ping-pong buffer does not hold the upstream; dx to the other one.
    const bool upstream_in_g0 = upstream.data() == c.g0.data();
    const Matrix<T> dz = block(upstream_in_g0 ? c.g1 : c.g0, n, out);
    const Matrix<T> next = L == 0 ? dx : block(upstream_in_g0 ? c.g0 : c.g1, n, in);
    if constexpr (normed[L]) {  // dz = dL/d(gamma z_hat + beta), then dL/dz through the normalisation
      if (n > 0) detail::activation_backward_portable<Act, T>(upstream, y, dz, slope());
      detail::batch_norm_backward<T>(dz, c.norm[L], gamma(L), gamma_grads(L), beta_grads(L), params, accumulate,
                                     norm_comm_);
      if (n == 0) {
        if (params && !accumulate) zero_layer_grads(L);
      } else {
        detail::layer_backward<Identity, T>(portable_, dz, y, x, dz, weights(L), weight_grads(L), bias_grads(L), params,
                                            accumulate, want_dx ? next : Matrix<T>(), c.partial, slope());
      }
      upstream = next;
      return;
    }
    if (n == 0) {  // no rows: nothing flows; an overwrite still leaves zero gradients
      if (params && !accumulate) zero_layer_grads(L);
      upstream = next;
      return;
    }
    detail::layer_backward<Act, T>(portable_, upstream, y, x, dz, weights(L), weight_grads(L), bias_grads(L), params,
                                   accumulate, want_dx ? next : Matrix<T>(), c.partial, slope());
    upstream = next;
  }

  template <std::size_t... I>
  void split_layers(Context& c, ConstMatrix<T>& upstream, Matrix<T> dx, ConstMatrix<T> dy_in, ConstMatrix<T> dy_par,
                    ParamGrad mode, std::index_sequence<I...>) const {
    (split_layer<num_layers - 1 - I>(c, upstream, dx, dy_in, dy_par, mode), ...);
  }
  // Layer L of backward_split: upstream holds d(out)/d(y_L); dz = upstream * act'(y_L); the
  // parameter gradients come from dy_par (row-scaled) dz; below, dz W (at layer 0, scaled by dy_in).
  template <std::size_t L>
  void split_layer(Context& c, ConstMatrix<T>& upstream, Matrix<T> dx, ConstMatrix<T> dy_in, ConstMatrix<T> dy_par,
                   ParamGrad mode) const {
    using Act = typename std::tuple_element_t<L, Layers>::activation;
    const int n = c.rows, in = ins[L], out = outs[L];
    const bool params = mode != ParamGrad::none, accumulate = mode == ParamGrad::accumulate;
    const bool want_dx = L > 0 || dx.data() != nullptr;
    const ConstMatrix<T> y = rows_of(c.y[L], n);
    const ConstMatrix<T> x = L == 0 ? c.input : ConstMatrix<T>(rows_of(c.y[L == 0 ? 0 : L - 1], n));
    const bool upstream_in_g0 = upstream.data() == c.g0.data();
    const Matrix<T> dz = block(upstream_in_g0 ? c.g1 : c.g0, n, out);
    const Matrix<T> next = L == 0 ? dx : block(upstream_in_g0 ? c.g0 : c.g1, n, in);
    const Matrix<T> scaled = block(c.scaled, n, out);
    if (n == 0) {  // no rows: nothing flows; an overwrite still leaves zero gradients
      if (params && !accumulate) zero_layer_grads(L);
      upstream = next;
      return;
    }
    detail::layer_split<Act, T>(portable_, L == 0, upstream, y, x, dz, scaled, dy_in, dy_par, weights(L), weight_grads(L),
                                bias_grads(L), params, accumulate, want_dx ? next : Matrix<T>(), c.partial, slope());
    upstream = next;
  }

  InitConfig init_;
  Vector<T> params_, grads_;
  HostVector<double> running_;  // batch norm's running mean and variance per normalised layer
  NormComm norm_comm_;
  BatchNormConfig norm_cfg_;
  bool training_ = true;
  bool portable_;
  int row_block_ = 1024;
  int progress_blocks_ = 8;
};

}  // namespace sagips::nn
