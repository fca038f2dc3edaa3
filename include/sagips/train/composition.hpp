#pragma once
// How a trainer's parts fit together, checked at compile time before the trainer looks inside any
// of them: each network against its contract (nn/contract.hpp), the loss against its own
// (loss/losses.hpp), then the widths and scalar types that join them, one sentence each; and the
// networks a trainer is built from when it names none.

#include <type_traits>

#include "sagips/loss/losses.hpp"
#include "sagips/nn/activations.hpp"
#include "sagips/nn/contract.hpp"
#include "sagips/nn/mlp.hpp"

namespace sagips::train {

// The paper's networks: 10 -> 4 x 128 LeakyReLU(0.2) -> P (sigmoid) and D -> 4 x 128 -> 1.
template <class Pipeline>
using DefaultGenerator = nn::Mlp<10, Pipeline::num_params, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu,
                                 nn::Sigmoid, typename Pipeline::value_type>;
template <class Pipeline>
using DefaultDiscriminator = nn::Mlp<Pipeline::event_dim, 1, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu,
                                     nn::Identity, typename Pipeline::value_type>;

template <class Pipeline, class Generator, class Discriminator, class Loss>
constexpr bool check_composition() {
  nn::check_network<Generator>();
  nn::check_discriminator<Discriminator>();
  if constexpr (nn::is_network_v<Generator> && nn::is_discriminator_v<Discriminator>) {
    using T = typename Generator::value_type;
    static_assert(std::is_same_v<T, typename Discriminator::value_type> &&
                      std::is_same_v<T, typename Pipeline::value_type>,
                  "Trainer: generator, discriminator and pipeline must use the same scalar type");
    static_assert(Generator::out_width == Pipeline::num_params,
                  "Trainer: the generator must output one value per physics parameter of the pipeline");
    static_assert(Discriminator::in_width == Pipeline::event_dim,
                  "Trainer: the discriminator's input width must be the pipeline's event dimension");
    static_assert(Discriminator::out_width == 1, "Trainer: the discriminator must output one score per event");
  }
  loss::check_loss<Loss>();
  return true;
}

}  // namespace sagips::train
