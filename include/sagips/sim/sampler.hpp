#pragma once
// The sampler axis: what turns parameter sets into events, differentiably, written once and checked
// at compile time. A Pipeline<Theory, Sampler, Stages...> has exactly one.
//
// A sampler is a settings struct (copyable; the user constructs it) with
//   1. static constexpr bool weighted: true when it gives events weights (importance sampling, as
//      Reweighting does); false when its events are draws of the density itself;
//   2. a nested template <class T, class Theory> class Impl, built once per scalar type, with
//   3. Impl(Theory theory, const Sampler& settings);
//   4. void forward(ConstMatrix<T> p, int m, random::CounterRng rng, Matrix<T> events, Vector<T> weights,
//                   bool jacobian):
//      m events for each parameter set p(b, :) into rows [b m, (b + 1) m) of events; event i draws
//      its random numbers from rng with counter i (several per event through the sub-draw argument,
//      rng.uniform4(i, u, t)), so that a forward repeated with the same rng gives the same events and
//      a rank's events continue its model's sequence (rng's counters start at the rank's first
//      event); the weights (a weighted sampler) are
//      multiplied into `weights`, which the pipeline sets to 1 (an unweighted pipeline passes none);
//      with jacobian false, the vjp will not be asked for (the forward may skip what it keeps for it);
//   5. void vjp(ConstMatrix<T> d_events, ConstVector<T> d_weights, Matrix<T> d_p):
//      after a forward with jacobian, dL/dp [B, P] from dL/d(events) and dL/d(weights) (empty for an
//      unweighted pipeline), overwriting d_p;
//   6. optional: void check(): throws an Error when the last forward met a theory value it could not
//      use (negative, not finite); a pipeline calls it where it waits anyway (Checks::deferred).
//
// GridSampler<T, Theory> (sim/grid_sampler.hpp) is the public base the built-in samplers share: the
// theory's densities and their parameter gradients on a grid of nodes, their check, cumulative tables
// and the vjp of per-event Jacobians. check_sampler<Sampler, T, Theory>() states each point that
// fails as one static_assert sentence; the pipeline calls it.

#include <Kokkos_Core.hpp>
#include <type_traits>
#include <utility>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"

namespace sagips::sim {

namespace detail {
template <class S, class = void>
struct sampler_weighted_flag : std::false_type {};
template <class S>
struct sampler_weighted_flag<S, std::void_t<decltype(S::weighted)>>
    : std::is_same<std::remove_cv_t<decltype(S::weighted)>, bool> {};
template <class S, class T, class Theory, class = void>
struct sampler_has_impl : std::false_type {};
template <class S, class T, class Theory>
struct sampler_has_impl<S, T, Theory, std::void_t<typename S::template Impl<T, Theory>>> : std::true_type {};
template <class I, class T, class = void>
struct sampler_has_forward : std::false_type {};
template <class I, class T>
struct sampler_has_forward<
    I, T,
    std::void_t<decltype(std::declval<I&>().forward(std::declval<ConstMatrix<T>>(), 0, std::declval<random::CounterRng>(),
                                                    std::declval<Matrix<T>>(), std::declval<Vector<T>>(), true))>>
    : std::true_type {};
template <class I, class T, class = void>
struct sampler_has_vjp : std::false_type {};
template <class I, class T>
struct sampler_has_vjp<I, T,
                       std::void_t<decltype(std::declval<I&>().vjp(std::declval<ConstMatrix<T>>(),
                                                                   std::declval<ConstVector<T>>(),
                                                                   std::declval<Matrix<T>>()))>> : std::true_type {};
}  // namespace detail

// Every point of the contract above, one sentence each. Returns true (usable in static_assert).
template <class Sampler, class T, class Theory>
constexpr bool check_sampler() {
  static_assert(detail::sampler_weighted_flag<Sampler>::value,
                "a sampler needs `static constexpr bool weighted = ...;` (true: its events carry weights)");
  static_assert(detail::sampler_has_impl<Sampler, T, Theory>::value,
                "a sampler needs a nested `template <class T, class Theory> class Impl`");
  if constexpr (detail::sampler_has_impl<Sampler, T, Theory>::value) {
    using I = typename Sampler::template Impl<T, Theory>;
    static_assert(std::is_constructible_v<I, Theory, const Sampler&>,
                  "a sampler's Impl<T, Theory> needs a constructor Impl(Theory theory, const Sampler& settings)");
    static_assert(detail::sampler_has_forward<I, T>::value,
                  "a sampler's Impl<T, Theory> needs `void forward(ConstMatrix<T> p, int m, random::CounterRng rng, "
                  "Matrix<T> events, Vector<T> weights, bool jacobian)`");
    static_assert(detail::sampler_has_vjp<I, T>::value,
                  "a sampler's Impl<T, Theory> needs `void vjp(ConstMatrix<T> d_events, ConstVector<T> d_weights, "
                  "Matrix<T> d_p)`");
  }
  return true;
}

}  // namespace sagips::sim
