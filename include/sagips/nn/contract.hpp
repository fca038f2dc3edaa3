#pragma once
// The network axis: what the trainer needs of a generator or a discriminator, written once and
// checked at compile time. nn::Network (Mlp, Sequential) meets it; a network of your own does too if
// it has, for its scalar T (float or double):
//
//   using value_type = T;
//   static constexpr int in_width, out_width;       // the columns of its input and output
//   static constexpr std::size_t num_params;        // all parameters, in one flat buffer
//   void initialize(std::uint64_t seed);            // deterministic for a seed (every rank of a model alike)
//   Vector<T> params() const;  Vector<T> grads() const;   // the flat buffers (views, num_params long)
//   struct Context {                                // a workspace for one batch size, from make_context
//     std::function<void()> progress;               // when set: called between pieces of the work
//     bool progress_each_layer;                     //   (between layers too), so that the trainer's
//   };                                              //   exchange advances while the network computes
//   Context make_context(int batch) const;
//   ConstMatrix<T> forward(Context& c, ConstMatrix<T> x) const;                    // x [n <= batch, in]
//   void backward(Context& c, ConstMatrix<T> dy, Matrix<T> dx, ParamGrad mode) const;  // dx may be empty
//
// and the discriminator also (one sweep back, two upstream gradients: the generator's and its own):
//   void backward_split(Context& c, ConstMatrix<T> dy_in, Matrix<T> dx, ConstMatrix<T> dy_par, ParamGrad mode) const;
//
// check_network<N>() and check_discriminator<N>() state each missing point as one static_assert
// sentence (the first one only); the trainer calls them before it looks inside a network.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include "sagips/core/views.hpp"

namespace sagips::nn {

// How a backward pass treats the parameter gradients: none (dL/dx only), overwrite, or accumulate.
enum class ParamGrad { none, overwrite, accumulate };

namespace detail {
template <class N, class = void>
struct net_has_shape : std::false_type {};
template <class N>
struct net_has_shape<N, std::void_t<typename N::value_type, decltype(N::in_width), decltype(N::out_width),
                                    decltype(N::num_params)>> : std::is_floating_point<typename N::value_type> {};
template <class N, class = void>
struct net_has_buffers : std::false_type {};
template <class N>
struct net_has_buffers<N, std::void_t<decltype(std::declval<N&>().initialize(std::uint64_t{})),
                                      decltype(Vector<typename N::value_type>(std::declval<const N&>().params())),
                                      decltype(Vector<typename N::value_type>(std::declval<const N&>().grads()))>>
    : std::true_type {};
template <class N, class = void>
struct net_has_context : std::false_type {};
template <class N>
struct net_has_context<
    N, std::void_t<typename N::Context, decltype(std::declval<const N&>().make_context(0)),
                   decltype(std::declval<typename N::Context&>().progress = std::function<void()>()),
                   decltype(std::declval<typename N::Context&>().progress_each_layer = true)>>
    : std::is_same<decltype(std::declval<const N&>().make_context(0)), typename N::Context> {};
template <class N, class = void>
struct net_has_forward : std::false_type {};
template <class N>
struct net_has_forward<N, std::void_t<decltype(ConstMatrix<typename N::value_type>(std::declval<const N&>().forward(
                              std::declval<typename N::Context&>(), std::declval<ConstMatrix<typename N::value_type>>())))>>
    : std::true_type {};
template <class N, class = void>
struct net_has_backward : std::false_type {};
template <class N>
struct net_has_backward<N, std::void_t<decltype(std::declval<const N&>().backward(
                               std::declval<typename N::Context&>(), std::declval<ConstMatrix<typename N::value_type>>(),
                               std::declval<Matrix<typename N::value_type>>(), ParamGrad::overwrite))>>
    : std::true_type {};
template <class N, class = void>
struct net_has_backward_split : std::false_type {};
template <class N>
struct net_has_backward_split<
    N, std::void_t<decltype(std::declval<const N&>().backward_split(
           std::declval<typename N::Context&>(), std::declval<ConstMatrix<typename N::value_type>>(),
           std::declval<Matrix<typename N::value_type>>(), std::declval<ConstMatrix<typename N::value_type>>(),
           ParamGrad::overwrite))>> : std::true_type {};
}  // namespace detail

// True for a type with every member of the contract (a generator); a discriminator also has backward_split.
template <class N>
inline constexpr bool is_network_v = detail::net_has_shape<N>::value && detail::net_has_buffers<N>::value &&
                                     detail::net_has_context<N>::value && detail::net_has_forward<N>::value &&
                                     detail::net_has_backward<N>::value;
template <class N>
inline constexpr bool is_discriminator_v = is_network_v<N> && detail::net_has_backward_split<N>::value;

// Every point of the contract above, one sentence each; the first failed point only. Returns true.
template <class N>
constexpr bool check_network() {
  constexpr bool shape = detail::net_has_shape<N>::value;
  static_assert(shape, "network: needs `using value_type = float or double;` and `static constexpr` in_width, "
                       "out_width and num_params");
  if constexpr (shape) {
    constexpr bool buffers = detail::net_has_buffers<N>::value;
    static_assert(buffers, "network: needs `void initialize(std::uint64_t seed)` and `Vector<T> params() const`, "
                           "`Vector<T> grads() const` (its flat buffers)");
    constexpr bool context = buffers && detail::net_has_context<N>::value;
    static_assert(!buffers || context,
                  "network: needs a nested `Context` with `std::function<void()> progress` and "
                  "`bool progress_each_layer`, and `Context make_context(int batch) const`");
    static_assert(!context || detail::net_has_forward<N>::value,
                  "network: needs `ConstMatrix<T> forward(Context& c, ConstMatrix<T> x) const`");
    static_assert(!context || !detail::net_has_forward<N>::value || detail::net_has_backward<N>::value,
                  "network: needs `void backward(Context& c, ConstMatrix<T> dy, Matrix<T> dx, ParamGrad mode) const`");
  }
  return true;
}

// A discriminator: a network with backward_split.
template <class N>
constexpr bool check_discriminator() {
  check_network<N>();
  static_assert(!is_network_v<N> || detail::net_has_backward_split<N>::value,
                "discriminator: needs `void backward_split(Context& c, ConstMatrix<T> dy_in, Matrix<T> dx, "
                "ConstMatrix<T> dy_par, ParamGrad mode) const` (one sweep back for the generator's and its own "
                "gradients)");
  return true;
}

}  // namespace sagips::nn
