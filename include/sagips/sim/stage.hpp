#pragma once
// The stage contract: what a detector or experiment stage of a Pipeline is, checked at compile time,
// and the public tool a stage uses to drop events.
//
// A stage is a settings struct (copyable; the user constructs it) with a nested
//   template <class T, int D> class Impl
// that the pipeline builds once per scalar type T (float or double) and event dimension D, with
//   1. Impl(const Stage& settings, const Box<D>& domain), and movable (the domain is for stages that
//      need it, like background shapes);
//   2. static constexpr bool weighted: true when forward changes the weights as a function of the
//      events (an unweighted pipeline passes an empty weights vector);
//   3. int forward(Matrix<T> events, Vector<T> weights, int count, random::CounterRng rng):
//      rewrites rows [0, count) of events (and of weights, when weights.extent(0) > 0) in place and
//      returns the new count (<= count: dropped events are removed by compacting the kept ones to the
//      front, see Compactor); row i draws its random numbers from rng with counter i (several per
//      row through the sub-draw argument: rng.uniform4(i, u, t)), so a forward repeated with the
//      same rng gives the same events, and a rank's rows continue its model's sequence (the pipeline
//      gives each rank an rng whose counters start at its first event);
//   4. void vjp(Matrix<T> d_events, Vector<T> d_weights, int count_before, int count_after):
//      after a forward, in place, dL/d(output rows [0, count_after)) into dL/d(input rows
//      [0, count_before)); d_weights is empty exactly when forward's weights were;
//   5. optional: Box<D> support(const Box<D>& in) const: the region the output can reach from
//      events in `in` (a stage that moves events states it; without it the pipeline assumes they
//      stay in `in`); real data outside the pipeline's support are refused as a data error.
// Check a stage's vjp with sagips::testing::check_stage_vjp (sagips/testing/gradients.hpp).
//
// check_stage<Stage, T, D>() states each point that fails as a one-sentence static_assert; the
// pipeline calls it for every stage.

#include <Kokkos_Core.hpp>
#include <type_traits>
#include <utility>

#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

// ---- dropping events ----------------------------------------------------------------------------
// Compactor<T>: a stage that drops events holds one. keep_if moves the rows whose predicate holds to
// the front, in their order, and remembers where each came from; scatter_back, in the stage's vjp,
// sends each kept row's gradient back to its input row and gives the dropped rows zero (a dropped
// event contributes nothing to the loss, and which events are kept is piecewise constant in x).
//
//   int forward(Matrix<T> ev, Vector<T> w, int count, random::CounterRng rng) {
//     return compactor_.keep_if(ev, w, count, KOKKOS_LAMBDA(int i) { return ev(i, 0) < T(0.8); });
//   }
//   void vjp(Matrix<T> d_ev, Vector<T> d_w, int before, int after) {
//     compactor_.scatter_back(d_ev, d_w, before, after);
//   }
//
// The predicate is called once per row i in [0, count), in any order and possibly in parallel: it
// reads row i (and rng with counter i) and nothing it writes. Buffers grow to the largest count seen.
template <class T>
class Compactor {
 public:
  template <class Keep>
  int keep_if(Matrix<T> events, Vector<T> weights, int count, const Keep& keep) {
    const int dim = static_cast<int>(events.extent(1));
    const bool weighted = weights.extent(0) > 0;
    SAGIPS_REQUIRE(count >= 0 && count <= static_cast<int>(events.extent(0)) &&
                       (!weighted || count <= static_cast<int>(weights.extent(0))),
                   "Compactor::keep_if: count " << count << " for " << events.extent(0) << " events and "
                                                << weights.extent(0) << " weights");
    if (static_cast<int>(origin_.extent(0)) < count) {
      origin_ = Kokkos::View<int*, MemSpace>("sagips::sim::compact_origin", count);
      flags_ = Kokkos::View<int*, MemSpace>("sagips::sim::compact_flags", count);
    }
    if (static_cast<int>(scratch_.extent(0)) < count || static_cast<int>(scratch_.extent(1)) != dim)
      scratch_ = Matrix<T>("sagips::sim::compact", count, dim);
    if (weighted && static_cast<int>(wscratch_.extent(0)) < count)
      wscratch_ = Vector<T>("sagips::sim::compact_w", count);
    auto flags = flags_;
    auto origin = origin_;
    auto s = scratch_;
    auto ws = wscratch_;
    // The predicate into flags first: a scan may visit a row more than once, a predicate once.
    Kokkos::parallel_for(
        "sagips::sim::compact_flags", Kokkos::RangePolicy<ExecSpace>(0, count),
        KOKKOS_LAMBDA(int i) { flags(i) = keep(i) ? 1 : 0; });
    int kept = 0;
    Kokkos::parallel_scan(
        "sagips::sim::compact", Kokkos::RangePolicy<ExecSpace>(0, count),
        KOKKOS_LAMBDA(int i, int& pos, bool final) {
          if (flags(i)) {
            if (final) {
              origin(pos) = i;
              for (int d = 0; d < dim; ++d) s(pos, d) = events(i, d);
              if (weighted) ws(pos) = weights(i);
            }
            ++pos;
          }
        },
        kept);
    Kokkos::parallel_for(
        "sagips::sim::compact_copy", Kokkos::RangePolicy<ExecSpace>(0, kept), KOKKOS_LAMBDA(int j) {
          for (int d = 0; d < dim; ++d) events(j, d) = s(j, d);
          if (weighted) weights(j) = ws(j);
        });
    before_ = count;
    after_ = kept;
    return kept;
  }

  // dL/d(kept rows) -> dL/d(input rows), in place; the dropped rows get zero.
  void scatter_back(Matrix<T> d_events, Vector<T> d_weights, int before, int after) {
    SAGIPS_REQUIRE(before == before_ && after == after_, "Compactor::scatter_back: called for "
                                                             << before << " -> " << after
                                                             << " rows, the last keep_if went from " << before_
                                                             << " to " << after_ << " rows");
    const int dim = static_cast<int>(d_events.extent(1));
    const bool weighted = d_weights.extent(0) > 0;
    SAGIPS_REQUIRE(
        before <= static_cast<int>(d_events.extent(0)) && dim == static_cast<int>(scratch_.extent(1)) &&
            (!weighted ||
             (before <= static_cast<int>(d_weights.extent(0)) && after <= static_cast<int>(wscratch_.extent(0)))),
        "Compactor::scatter_back: gradients ["
            << d_events.extent(0) << ", " << dim << "] and " << d_weights.extent(0) << " weight gradients for "
            << before << " rows of dimension " << scratch_.extent(1)
            << (weighted && after > static_cast<int>(wscratch_.extent(0)) ? " (keep_if saw no weights)" : ""));
    auto origin = origin_;
    auto s = scratch_;
    auto ws = wscratch_;
    Kokkos::parallel_for(
        "sagips::sim::scatter_save", Kokkos::RangePolicy<ExecSpace>(0, after), KOKKOS_LAMBDA(int j) {
          for (int d = 0; d < dim; ++d) s(j, d) = d_events(j, d);
          if (weighted) ws(j) = d_weights(j);
        });
    Kokkos::parallel_for(
        "sagips::sim::scatter_zero", Kokkos::RangePolicy<ExecSpace>(0, before), KOKKOS_LAMBDA(int i) {
          for (int d = 0; d < dim; ++d) d_events(i, d) = T(0);
          if (weighted) d_weights(i) = T(0);
        });
    Kokkos::parallel_for(
        "sagips::sim::scatter_back", Kokkos::RangePolicy<ExecSpace>(0, after), KOKKOS_LAMBDA(int j) {
          for (int d = 0; d < dim; ++d) d_events(origin(j), d) = s(j, d);
          if (weighted) d_weights(origin(j)) = ws(j);
        });
  }

  // After keep_if: origin()(j) is the input row of output row j, for j < kept().
  Kokkos::View<const int*, MemSpace> origin() const { return origin_; }
  int kept() const { return after_; }

 private:
  Kokkos::View<int*, MemSpace> origin_, flags_;
  Matrix<T> scratch_;
  Vector<T> wscratch_;
  int before_ = -1, after_ = -1;
};

// ---- the contract, checked ------------------------------------------------------------------------
namespace detail {
template <class Stage, class T, int D, class = void>
struct stage_impl {
  using type = void;
};
template <class Stage, class T, int D>
struct stage_impl<Stage, T, D, std::void_t<typename Stage::template Impl<T, D>>> {
  using type = typename Stage::template Impl<T, D>;
};

template <class Impl, class = void>
struct has_weighted_flag : std::false_type {};
template <class Impl>
struct has_weighted_flag<Impl, std::void_t<std::bool_constant<Impl::weighted>>>
    : std::is_same<std::remove_cv_t<decltype(Impl::weighted)>, bool> {};

// The calls exactly as the pipeline makes them.
template <class Impl, class T, class = void>
struct has_stage_forward : std::false_type {};
template <class Impl, class T>
struct has_stage_forward<
    Impl, T,
    std::void_t<decltype(std::declval<Impl&>().forward(std::declval<Matrix<T>&>(), std::declval<Vector<T>&>(),
                                                       std::declval<int&>(), std::declval<random::CounterRng>()))>>
    : std::is_convertible<decltype(std::declval<Impl&>().forward(std::declval<Matrix<T>&>(), std::declval<Vector<T>&>(),
                                                                 std::declval<int&>(),
                                                                 std::declval<random::CounterRng>())),
                          int> {};
template <class Impl, class T, class = void>
struct has_stage_vjp : std::false_type {};
template <class Impl, class T>
struct has_stage_vjp<
    Impl, T,
    std::void_t<decltype(std::declval<Impl&>().vjp(std::declval<Matrix<T>&>(), std::declval<Vector<T>&>(),
                                                   std::declval<int&>(), std::declval<int&>()))>> : std::true_type {};

// A member named support (one, not overloaded), and whether the pipeline can call it.
template <class Impl, class = void>
struct names_support : std::false_type {};
template <class Impl>
struct names_support<Impl, std::void_t<decltype(&Impl::support)>> : std::true_type {};
template <class Impl, int D, class = void>
struct has_stage_support : std::false_type {};
template <class Impl, int D>
struct has_stage_support<Impl, D,
                         std::void_t<decltype(std::declval<const Impl&>().support(std::declval<const Box<D>&>()))>>
    : std::is_convertible<decltype(std::declval<const Impl&>().support(std::declval<const Box<D>&>())), Box<D>> {};

// Each point of the contract on its own (Impl = void when there is no Impl: every point false).
template <class Stage, class T, int D, class Impl = typename stage_impl<Stage, T, D>::type>
struct StageContract {
  static constexpr bool has_impl = !std::is_void_v<Impl>;
  static constexpr bool constructible = std::is_constructible_v<Impl, const Stage&, const Box<D>&>;
  static constexpr bool movable = std::is_move_constructible_v<Impl>;
  static constexpr bool weighted_flag = has_weighted_flag<Impl>::value;
  static constexpr bool forward = has_stage_forward<Impl, T>::value;
  static constexpr bool vjp = has_stage_vjp<Impl, T>::value;
  static constexpr bool support = has_stage_support<Impl, D>::value;
  static constexpr bool support_ok = support || !names_support<Impl>::value;
  static constexpr bool holds = has_impl && constructible && movable && weighted_flag && forward && vjp && support_ok;
};

// What the pipeline holds in place of a stage that breaks the contract, so that the static_assert
// is the compiler's only complaint (never reached at run time: the program does not compile).
template <class T, int D>
struct BrokenStage {
  static constexpr bool weighted = false;
  template <class... A>
  explicit BrokenStage(const A&...) {}
  int forward(Matrix<T>, Vector<T>, int count, random::CounterRng) { return count; }
  void vjp(Matrix<T>, Vector<T>, int, int) {}
};
}  // namespace detail

// True when Stage meets the contract for (T, D); otherwise the first point it misses, as a
// static_assert (the compiler's note "required from check_stage<Stage, ...>" names the stage).
template <class Stage, class T, int D>
constexpr bool check_stage() {
  using C = detail::StageContract<Stage, T, D>;
  static_assert(C::has_impl,
                "a stage needs a nested `template <class T, int D> class Impl` (see sagips/sim/stage.hpp)");
  static_assert(!C::has_impl || C::constructible,
                "a stage's Impl<T, D> must be constructible from (const Stage&, const Box<D>&)");
  static_assert(!C::constructible || C::movable,
                "a stage's Impl<T, D> must be movable (the pipeline holds it by value)");
  static_assert(!C::has_impl || C::weighted_flag,
                "a stage's Impl<T, D> needs `static constexpr bool weighted` (true when forward changes the weights)");
  static_assert(!C::has_impl || C::forward,
                "a stage's Impl<T, D> needs `int forward(Matrix<T> events, Vector<T> weights, int count, "
                "random::CounterRng rng)` returning the new count");
  static_assert(!C::has_impl || C::vjp,
                "a stage's Impl<T, D> needs `void vjp(Matrix<T> d_events, Vector<T> d_weights, int count_before, "
                "int count_after)`");
  static_assert(C::support_ok, "a stage's optional support must be `Box<D> support(const Box<D>& in) const`");
  return C::holds;
}

template <class Stage, class T, int D>
inline constexpr bool is_stage_v = detail::StageContract<Stage, T, D>::holds;

// The stage's Impl, or a placeholder when the contract fails (check_stage then says why).
template <class Stage, class T, int D>
using stage_impl_t = std::conditional_t<is_stage_v<Stage, T, D>, typename detail::stage_impl<Stage, T, D>::type,
                                        detail::BrokenStage<T, D>>;

// Whether Impl has the optional support().
template <class Impl, int D>
inline constexpr bool has_support_v = detail::has_stage_support<Impl, D>::value;

}  // namespace sagips::sim
