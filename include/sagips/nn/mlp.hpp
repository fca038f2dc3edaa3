#pragma once
// How users spell networks.
//
//   Mlp<2, 1, Hidden<128, 128, 128, 128>, LeakyRelu>            2 -> 4 x 128 (LeakyReLU) -> 1
//   Mlp<10, 5, Hidden<128, 128>, LeakyRelu, Sigmoid, double>    ... with a sigmoid output, in double
//   Sequential<float, Dense<2, 64>, Tanh, Dense<64, 64>, Relu, Dense<64, 1>>   layers listed explicitly
//   Sequential<float, Dense<2, 64>, BatchNorm, Relu, Dense<64, 1>>             ... batch-normalised
//   Mlp<2, 1, Hidden<64, 64>, Relu, Identity, float, BatchNorm>    every hidden layer batch-normalised
//
// In a Sequential list each Dense may be followed by BatchNorm (nn/batch_norm.hpp) and then by one
// activation (none means Identity): whatever follows a Dense (or its BatchNorm) and is not a Dense is
// its activation, built-in or a user's (the contract is in activations.hpp, and an incomplete one is
// named there).
// Widths are compile-time constants; a mismatch between adjacent layers fails to compile with one
// readable message.

#include <tuple>
#include <type_traits>

#include "sagips/nn/network.hpp"

namespace sagips::nn {

template <int... Widths>
struct Hidden {};

template <int In, int Out>
struct Dense {
  static constexpr int in = In, out = Out;
};

namespace detail {
template <class X>
struct is_dense : std::false_type {};
template <int I, int O>
struct is_dense<Dense<I, O>> : std::true_type {};

// Turns a Sequential layer list into LayerSpecs, appended to Network<T, Done...>.
template <class T, class Done, class... Rest>
struct parse;
template <bool NextIsActivation, class T, class Done, class... Rest>
struct parse_dense;
template <bool NextIsActivation, class T, class Done, class... Rest>
struct parse_normed;
template <class T, class... Done>
struct parse<T, std::tuple<Done...>> {
  using type = Network<T, Done...>;
};
template <class T, class... Done, int I, int O>
struct parse<T, std::tuple<Done...>, Dense<I, O>> {
  using type = Network<T, Done..., LayerSpec<I, O, Identity>>;
};
template <class T, class... Done, int I, int O, class Next, class... Rest>
struct parse<T, std::tuple<Done...>, Dense<I, O>, Next, Rest...>
    : parse_dense<!is_dense<Next>::value, T, std::tuple<Done...>, Dense<I, O>, Next, Rest...> {};
template <class T, class... Done, class First, class... Rest>
struct parse<T, std::tuple<Done...>, First, Rest...> {
  static_assert(is_dense<First>::value,
                "Sequential: the list must start with a Dense<In, Out>, and an activation may only follow a Dense");
  using type = Network<T, Done...>;
};
// After Dense<I, O>, BatchNorm: an activation, or the next Dense (Identity).
template <class T, class... Done, int I, int O, class Act, class... Rest>
struct parse_normed<true, T, std::tuple<Done...>, Dense<I, O>, Act, Rest...> {
  static_assert(!std::is_same_v<Act, BatchNorm>, "Sequential: BatchNorm twice after one Dense");
  using type = typename parse<T, std::tuple<Done..., LayerSpec<I, O, Act, BatchNorm>>, Rest...>::type;
};
template <class T, class... Done, int I, int O, class Next, class... Rest>
struct parse_normed<false, T, std::tuple<Done...>, Dense<I, O>, Next, Rest...> {
  using type = typename parse<T, std::tuple<Done..., LayerSpec<I, O, Identity, BatchNorm>>, Next, Rest...>::type;
};
// Dense then an activation: one layer with that activation.
template <class T, class... Done, int I, int O, class Act, class... Rest>
struct parse_dense<true, T, std::tuple<Done...>, Dense<I, O>, Act, Rest...> {
  using type = typename parse<T, std::tuple<Done..., LayerSpec<I, O, Act>>, Rest...>::type;
};
// Dense, BatchNorm: a normalised layer, then its activation if one follows.
template <class T, class... Done, int I, int O>
struct parse<T, std::tuple<Done...>, Dense<I, O>, BatchNorm> {
  using type = Network<T, Done..., LayerSpec<I, O, Identity, BatchNorm>>;
};
template <class T, class... Done, int I, int O, class Next, class... Rest>
struct parse<T, std::tuple<Done...>, Dense<I, O>, BatchNorm, Next, Rest...>
    : parse_normed<!is_dense<Next>::value, T, std::tuple<Done...>, Dense<I, O>, Next, Rest...> {};
// Dense then another Dense: no activation in between.
template <class T, class... Done, int I, int O, class Next, class... Rest>
struct parse_dense<false, T, std::tuple<Done...>, Dense<I, O>, Next, Rest...> {
  using type = typename parse<T, std::tuple<Done..., LayerSpec<I, O, Identity>>, Next, Rest...>::type;
};

// Mlp's layer specs: In -> h1 -> ... -> hk (Norm, then Act after each) -> Out (OutAct).
template <class T, int In, int Out, class Hid, class Act, class OutAct, class Norm>
struct mlp_network;
template <class T, int In, int Out, class Act, class OutAct, class Norm>
struct mlp_network<T, In, Out, Hidden<>, Act, OutAct, Norm> {
  using type = Network<T, LayerSpec<In, Out, OutAct>>;
};
template <class T, int In, int Out, int... H, class Act, class OutAct, class Norm>
struct mlp_network<T, In, Out, Hidden<H...>, Act, OutAct, Norm> {
  static constexpr int widths[] = {In, H..., Out};
  static constexpr int n = sizeof...(H) + 1;
  template <std::size_t... I>
  static auto build(std::index_sequence<I...>)
      -> Network<T, LayerSpec<widths[I], widths[I + 1], std::conditional_t<(I + 1 < n), Act, OutAct>,
                              std::conditional_t<(I + 1 < n), Norm, NoNorm>>...>;
  using type = decltype(build(std::make_index_sequence<n>{}));
};
}  // namespace detail

template <class T, class... Layers>
class Sequential : public detail::parse<T, std::tuple<>, Layers...>::type {
  using Base = typename detail::parse<T, std::tuple<>, Layers...>::type;

 public:
  using Base::Base;
};

template <int In, int Out, class HiddenWidths, class Act, class OutAct = Identity, class T = float, class Norm = NoNorm>
class Mlp : public detail::mlp_network<T, In, Out, HiddenWidths, Act, OutAct, Norm>::type {
  using Base = typename detail::mlp_network<T, In, Out, HiddenWidths, Act, OutAct, Norm>::type;

 public:
  using Base::Base;
};

}  // namespace sagips::nn
