#pragma once
// A network's layers as types, and where their parameters sit in the flat buffer.
//
// LayerSpec<In, Out, Act, Norm> is one dense layer (W [Out, In] row-major, then b [Out]), batch-
// normalised or not (Norm: NoNorm or BatchNorm, which adds gamma [Out] and beta [Out] after b),
// followed by its activation. Users spell them through Mlp and Sequential (mlp.hpp).
// detail::Layout<Specs...> computes at compile time each layer's parameter offset, the offsets of the
// batch-normalised layers' running statistics, and the widest layer (the backward buffers' width);
// it refuses a chain whose widths do not match with one sentence.

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

#include "sagips/nn/activations.hpp"
#include "sagips/nn/batch_norm.hpp"

namespace sagips::nn {

// One dense layer, batch-normalised or not (Norm: NoNorm or BatchNorm), followed by its activation.
template <int In, int Out, class Act, class Norm = NoNorm>
struct LayerSpec {
  static_assert(In > 0 && Out > 0, "a dense layer needs positive widths");
  static_assert(check_activation<Act>(), "");
  static_assert(std::is_same_v<Norm, NoNorm> || std::is_same_v<Norm, BatchNorm>,
                "a layer's normalisation is NoNorm or BatchNorm");
  static constexpr int in = In, out = Out;
  static constexpr bool normalized = std::is_same_v<Norm, BatchNorm>;
  // W [out, in], b [out], and with BatchNorm gamma [out], beta [out].
  static constexpr std::size_t num_params = std::size_t(In) * Out + Out + (normalized ? 2 * std::size_t(Out) : 0);
  using activation = Act;
};

namespace detail {

template <class... Specs>
struct Layout {
  static constexpr int num_layers = sizeof...(Specs);
  static constexpr std::array<int, num_layers> ins{Specs::in...};
  static constexpr std::array<int, num_layers> outs{Specs::out...};
  static constexpr std::array<bool, num_layers> normed{Specs::normalized...};

  static constexpr bool chained() {
    for (int l = 1; l < num_layers; ++l)
      if (ins[l] != outs[l - 1]) return false;
    return true;
  }
  static_assert(chained(), "network: each layer's input width must equal the previous layer's output width");

  // Layer l's parameters start at param_offsets[l]: W, b, then gamma and beta when normalised.
  static constexpr std::array<std::size_t, num_layers> offsets() {
    std::array<std::size_t, num_layers> o{};
    std::size_t at = 0;
    for (int l = 0; l < num_layers; ++l) {
      o[l] = at;
      at += std::size_t(ins[l]) * outs[l] + outs[l] + (normed[l] ? 2 * std::size_t(outs[l]) : 0);
    }
    return o;
  }
  // A normalised layer's running mean and variance (out each) start at running_offsets[l].
  static constexpr std::array<std::size_t, num_layers> runs() {
    std::array<std::size_t, num_layers> o{};
    std::size_t at = 0;
    for (int l = 0; l < num_layers; ++l) {
      o[l] = at;
      at += normed[l] ? 2 * std::size_t(outs[l]) : 0;
    }
    return o;
  }
  static constexpr std::size_t run_total() {
    std::size_t n = 0;
    for (int l = 0; l < num_layers; ++l) n += normed[l] ? 2 * std::size_t(outs[l]) : 0;
    return n;
  }
  static constexpr int widest() {
    int w = 0;
    for (int l = 0; l < num_layers; ++l) w = std::max({w, ins[l], outs[l]});
    return w;
  }

  static constexpr std::array<std::size_t, num_layers> param_offsets = offsets();
  static constexpr std::array<std::size_t, num_layers> running_offsets = runs();
  static constexpr std::size_t running_size = run_total();
  static constexpr int max_width = widest();
};

}  // namespace detail
}  // namespace sagips::nn
