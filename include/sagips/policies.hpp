#pragma once
// One bundle of policies for a whole program: the pipeline, both networks, the losses, the exchange
// strategies and the optimizers, each named by what it is rather than by its place in a template
// argument list. Derive from Defaults and change what differs; App and Trainer take the same bundle:
//
//   struct Mine : sagips::Defaults<Pipeline> {
//     using losses = sagips::loss::Choice<sagips::loss::LeastSquares, PseudoHuber>;   // --loss picks
//     using generator = sagips::nn::Mlp<10, Pipeline::num_params, sagips::nn::Hidden<64, 64>, Elu,
//                                       sagips::nn::Sigmoid>;
//   };
//   sagips::AppFor<Mine> app("my-solver");                       // the whole program
//   sagips::TrainerFor<Mine> trainer(comm, cfg, xcfg, pipeline, data);   // or your own loop
//
// The defaults are the run-time choices among the built-ins (--strategy, --loss, each network's
// optimizer) and the paper's networks. A fixed choice is a Choice of one (or the policy itself:
// `using strategies = sagips::exchange::AsyncRing;`). check_policies<Mine>() says, one sentence per
// point, what a bundle misses; AppFor and TrainerFor call it.

#include <type_traits>

#include "sagips/app.hpp"
#include "sagips/exchange.hpp"
#include "sagips/loss.hpp"
#include "sagips/objective.hpp"
#include "sagips/optim.hpp"
#include "sagips/train/trainer.hpp"

namespace sagips {

template <class Pipeline>
struct Defaults {
  using pipeline = Pipeline;
  using generator = train::DefaultGenerator<Pipeline>;
  using discriminator = train::DefaultDiscriminator<Pipeline>;
  using losses = loss::Builtin;
  using strategies = exchange::Builtin;
  using optimizers = optim::Builtin;
  using objectives = objective::Builtin;  // --objective picks (gan, or a sample distance)
};

namespace detail {
template <class B, class = void>
struct has_pipeline : std::false_type {};
template <class B>
struct has_pipeline<B, std::void_t<typename B::pipeline>> : std::true_type {};
template <class B, class = void>
struct has_networks : std::false_type {};
template <class B>
struct has_networks<B, std::void_t<typename B::generator, typename B::discriminator>> : std::true_type {};
template <class B, class = void>
struct has_choices : std::false_type {};
template <class B>
struct has_choices<B, std::void_t<typename B::losses, typename B::strategies, typename B::optimizers,
                                  typename B::objectives>>
    : std::true_type {};
}  // namespace detail

// Every point of a bundle, one sentence each (the policies themselves are checked by their own axes
// when the trainer is built). Returns true (usable in static_assert).
template <class B>
constexpr bool check_policies() {
  static_assert(detail::has_pipeline<B>::value,
                "policies: the bundle needs `using pipeline = ...;` (derive it from sagips::Defaults<Pipeline>)");
  static_assert(detail::has_networks<B>::value,
                "policies: the bundle needs `using generator = ...;` and `using discriminator = ...;` (derive it "
                "from sagips::Defaults<Pipeline>)");
  static_assert(detail::has_choices<B>::value,
                "policies: the bundle needs `using losses`, `using strategies`, `using optimizers` and `using objectives` (derive it "
                "from sagips::Defaults<Pipeline>)");
  return true;
}

namespace detail {
template <class B, bool = check_policies<B>()>
struct from_policies {
  using app = App<typename B::pipeline, typename B::generator, typename B::discriminator, typename B::strategies,
                  typename B::losses, typename B::optimizers, typename B::objectives>;
  using trainer = train::Trainer<typename B::pipeline, typename B::generator, typename B::discriminator,
                                 typename B::losses, typename B::strategies, typename B::optimizers,
                                 typename B::objectives>;
};
}  // namespace detail

template <class Policies>
using AppFor = typename detail::from_policies<Policies>::app;
template <class Policies>
using TrainerFor = typename detail::from_policies<Policies>::trainer;

}  // namespace sagips
