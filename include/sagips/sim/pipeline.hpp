#pragma once
// The simulator-stage axis: Pipeline<Theory, Sampler, Stages...> turns parameter sets p [B, P] into
// events [B M, D] (and weights, when a stage or the sampler weights events), and carries dL/d(events)
// (and dL/d(weights)) back to dL/dp.
//
//   using Pipeline = sagips::sim::Pipeline<Proxy2D, InverseCdf2D<64>, GaussianSmearing>;   // float
//   using Pipeline = sagips::sim::BasicPipeline<double, Proxy2D, InverseCdf2D<64>, GaussianSmearing>;
//   Pipeline pipe(Proxy2D{}, InverseCdf2D<64>{}, GaussianSmearing{0.01});
//   auto out = pipe.forward(p, M, keys);          // out.events [out.count, D], out.weights (or empty)
//   pipe.vjp(d_events, d_weights, d_p);           // after a forward
//
// Buffers are allocated once per (B, M) shape. Randomness: the sampler draws from the stream
// (keys, Purpose::sampler), stage s from its own stream derived from (keys, Purpose::detector, s),
// so the sampled events do not depend on which stages follow (generate_events with and without
// smearing gives the same events before smearing). Rejection stages keep count <= B M rows: the
// kept events, compacted to the front in order.
//
// The theory, the sampler and every stage are checked against their contracts (sim/theory.hpp,
// sim/sampler.hpp, sim/stage.hpp) at compile time: a broken one is a static_assert naming the point
// it misses.

#include <Kokkos_Core.hpp>
#include <array>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/sampler.hpp"
#include "sagips/sim/stage.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

// When a forward's theory values are checked (BasicPipeline::forward).
enum class Checks { now, deferred };

namespace detail {
template <class S, class = void>
struct has_check : std::false_type {};
template <class S>
struct has_check<S, std::void_t<decltype(std::declval<S&>().check())>> : std::true_type {};
template <class S>
inline constexpr bool has_check_v = has_check<S>::value;  // a sampler that checks the theory's values
}  // namespace detail

template <class T, class Theory, class Sampler, class... Stages>
class BasicPipeline {
  static_assert(std::is_floating_point_v<T>, "Pipeline: the scalar type must be float or double");
  // Evaluated when the class is instantiated (a static member's initializer would wait until used):
  // each check's static_assert names what a broken theory or stage misses.
  using contracts = std::integer_sequence<bool, check_theory<Theory>(), check_sampler<Sampler, T, Theory>(),
                                           check_stage<Stages, T, Theory::dim>()...>;
  static constexpr bool theory_holds = is_theory_v<Theory>;

 public:
  using value_type = T;
  using theory_type = Theory;
  static constexpr int num_params = Theory::num_params;
  static constexpr int event_dim = Theory::dim;
  static constexpr int num_stages = sizeof...(Stages);  // detector stages after the sampler
  using SamplerImpl = typename Sampler::template Impl<T, Theory>;
  using StageImpls = std::tuple<stage_impl_t<Stages, T, Theory::dim>...>;
  static constexpr bool weighted = Sampler::weighted || (stage_impl_t<Stages, T, Theory::dim>::weighted || ... || false);

  struct Output {
    ConstMatrix<T> events;
    ConstVector<T> weights;  // empty when the pipeline does not weight events
    int count = 0;
  };

  BasicPipeline() : BasicPipeline(Theory{}, Sampler{}, Stages{}...) {}
  explicit BasicPipeline(Theory theory, Sampler sampler = {}, Stages... stages)
      : theory_(theory),
        sampler_settings_(sampler),
        box_(checked_domain<Theory>()),
        sampler_(theory, sampler),
        stages_(stage_impl_t<Stages, T, Theory::dim>(stages, box_)...),
        counts_(sizeof...(Stages) + 1, 0) {}

  const Box<Theory::dim>& domain() const { return box_; }
  const Theory& theory() const { return theory_; }

  // The same theory and sampler without the detector stages: events at truth level (the maximum-
  // likelihood fit's sample when the data are generated). The same seed gives the same events before
  // the stages (each stage draws from its own stream).
  using TruthLevel = BasicPipeline<T, Theory, Sampler>;
  TruthLevel truth_level() const { return TruthLevel(theory_, sampler_settings_); }

  // Where this pipeline's events can lie: the theory's domain, widened by the stages that move
  // events (smearing). Real events outside it cannot come from the model: see check_events.
  Box<Theory::dim> support() const { return support_of(box_, std::index_sequence_for<Stages...>{}); }

  // checks: Checks::now throws here when the theory's values on the grid are negative or not finite;
  // Checks::deferred leaves that verdict to check() (a training step asks for it where it waits
  // anyway, so that no forward waits for the device). The stages then run on whatever the sampler
  // made of such values; a stage must not index memory with an event's value unclamped.
  // keys.first_set: the global index of p's first row among the sets of the step (random.hpp).
  Output forward(ConstMatrix<T> p, int events_per_set, const random::StepKeys& keys, bool jacobian = true,
                 Checks checks = Checks::now) {
    check();  // a deferred verdict nobody asked for is never lost
    SAGIPS_REQUIRE(static_cast<int>(p.extent(1)) == num_params,
                   "pipeline: parameter sets have " << p.extent(1) << " columns, the theory has " << num_params
                                                    << " parameters");
    SAGIPS_REQUIRE(events_per_set > 0, "pipeline: " << events_per_set << " events per parameter set");
    sets_ = static_cast<int>(p.extent(0));
    const int n = sets_ * events_per_set;
    // This rank's events are events [first_event, first_event + n) of its model's step: the sampler's
    // and the stages' counters start there.
    const std::uint64_t first_event = keys.first_event(events_per_set);
    if (static_cast<int>(events_.extent(0)) != n) {
      events_ = Matrix<T>("sagips::sim::events", n, event_dim);
      if constexpr (weighted) weights_ = Vector<T>("sagips::sim::weights", n);
    }
    if constexpr (weighted) Kokkos::deep_copy(ExecSpace(), weights_, T(1));
    // (Only with a theory that meets the contract: otherwise check_theory's message is the only one.)
    if constexpr (theory_holds)
      sampler_.forward(p, events_per_set, random::CounterRng(keys.key(random::Purpose::sampler), first_event), events_,
                       weights_, jacobian);
    if (checks == Checks::now) check();
    counts_[0] = n;
    const std::uint64_t stage_key = keys.key(random::Purpose::detector);
    forward_stages(stage_key, first_event, std::index_sequence_for<Stages...>{});
    const int count = counts_.back();
    Output out;
    out.events = Kokkos::subview(events_, std::make_pair(0, count), Kokkos::ALL);
    if constexpr (weighted) out.weights = Kokkos::subview(weights_, std::make_pair(0, count));
    out.count = count;
    return out;
  }

  // The verdict on the last forward's theory values (deferred or not yet asked for): throws an Error
  // naming the first negative or non-finite density, its point and its parameters. Waits for the device.
  void check() {
    if constexpr (detail::has_check_v<SamplerImpl>) sampler_.check();
  }

  void vjp(ConstMatrix<T> d_events, ConstVector<T> d_weights, Matrix<T> d_p) {
    const int count = counts_.back(), n = counts_.front();
    SAGIPS_REQUIRE(static_cast<int>(d_events.extent(0)) == count && static_cast<int>(d_events.extent(1)) == event_dim,
                   "pipeline vjp: dL/d(events) is [" << d_events.extent(0) << ", " << d_events.extent(1)
                                                     << "], the last forward gave [" << count << ", " << event_dim << "]");
    SAGIPS_REQUIRE(static_cast<int>(d_p.extent(0)) == sets_ && static_cast<int>(d_p.extent(1)) == num_params,
                   "pipeline vjp: dL/dp must be [" << sets_ << ", " << num_params << "]");
    if (static_cast<int>(d_events_.extent(0)) != n) {
      d_events_ = Matrix<T>("sagips::sim::d_events", n, event_dim);
      if constexpr (weighted) d_weights_ = Vector<T>("sagips::sim::d_weights", n);
    }
    Kokkos::deep_copy(ExecSpace(), Kokkos::subview(d_events_, std::make_pair(0, count), Kokkos::ALL), d_events);
    if constexpr (weighted) {
      if (d_weights.extent(0) > 0) {
        SAGIPS_REQUIRE(static_cast<int>(d_weights.extent(0)) == count,
                       "pipeline vjp: " << d_weights.extent(0) << " weight gradients for " << count << " events");
        Kokkos::deep_copy(ExecSpace(), Kokkos::subview(d_weights_, std::make_pair(0, count)), d_weights);
      } else {
        Kokkos::deep_copy(ExecSpace(), d_weights_, T(0));
      }
    }
    vjp_stages(std::index_sequence_for<Stages...>{});
    sampler_.vjp(d_events_, d_weights_, d_p);
  }

 private:
  // (A stage after one that rejects events sees them renumbered: its counters are this rank's positions
  // among the kept events, so its draws depend on how the model's sets are split over ranks.)
  template <std::size_t... S>
  void forward_stages(std::uint64_t key, std::uint64_t first_event, std::index_sequence<S...>) {
    ((counts_[S + 1] = std::get<S>(stages_).forward(events_, weights_, counts_[S],
                                                     random::CounterRng(random::mix64(key ^ (S + 1)), first_event))),
     ...);
    (void)key, (void)first_event;  // (a pipeline without stages)
  }
  template <std::size_t... S>
  void vjp_stages(std::index_sequence<S...>) {
    constexpr std::size_t last = sizeof...(S);
    ((std::get<last - 1 - S>(stages_).vjp(d_events_, d_weights_, counts_[last - 1 - S], counts_[last - S])), ...);
  }

  template <std::size_t... S>
  Box<Theory::dim> support_of(Box<Theory::dim> box, std::index_sequence<S...>) const {
    auto widen = [&](const auto& stage) {
      if constexpr (has_support_v<std::decay_t<decltype(stage)>, Theory::dim>) {
        box = stage.support(box);
      }
    };
    (widen(std::get<S>(stages_)), ...);
    (void)widen;  // a pipeline without stages
    return box;
  }

  Theory theory_;
  Sampler sampler_settings_;
  Box<Theory::dim> box_;
  SamplerImpl sampler_;
  StageImpls stages_;
  std::vector<int> counts_;
  int sets_ = 0;
  Matrix<T> events_, d_events_;
  Vector<T> weights_, d_weights_;
};

template <class Theory, class Sampler, class... Stages>
using Pipeline = BasicPipeline<float, Theory, Sampler, Stages...>;

// The generator's unit outputs u in (0, 1) to physical parameters p = lo + u (hi - lo), and back.
template <class T, int P>
class ParameterScaling {
 public:
  ParameterScaling(const std::array<double, P>& lo, const std::array<double, P>& hi) {
    for (int j = 0; j < P; ++j) {
      SAGIPS_REQUIRE(hi[j] > lo[j], "parameter bounds: [" << lo[j] << ", " << hi[j] << "] for parameter " << j
                                                          << " is empty");
      lo_[j] = static_cast<T>(lo[j]);
      width_[j] = static_cast<T>(hi[j] - lo[j]);
    }
  }
  template <class Theory>
  static ParameterScaling from_theory() {
    static_assert(has_bounds_v<Theory>, "ParameterScaling::from_theory: the theory states no lower/upper bounds");
    return ParameterScaling(Theory::lower_bounds(), Theory::upper_bounds());
  }

  void forward(ConstMatrix<T> u, Matrix<T> p) const {
    check(u, p);
    const auto lo = lo_, w = width_;
    const int cols = P;
    Kokkos::parallel_for(
        "sagips::sim::scale", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(u.extent(0)) * cols),
        KOKKOS_LAMBDA(int k) { p(k / cols, k % cols) = lo[k % cols] + u(k / cols, k % cols) * w[k % cols]; });
  }
  void vjp(ConstMatrix<T> dp, Matrix<T> du) const {
    check(dp, du);
    const auto w = width_;
    const int cols = P;
    Kokkos::parallel_for(
        "sagips::sim::scale_vjp", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(dp.extent(0)) * cols),
        KOKKOS_LAMBDA(int k) { du(k / cols, k % cols) = dp(k / cols, k % cols) * w[k % cols]; });
  }

 private:
  static void check(ConstMatrix<T> a, Matrix<T> b) {
    SAGIPS_REQUIRE(static_cast<int>(a.extent(1)) == P && b.extent(0) == a.extent(0) && b.extent(1) == a.extent(1),
                   "parameter scaling: shapes [" << a.extent(0) << ", " << a.extent(1) << "] and [" << b.extent(0)
                                                 << ", " << b.extent(1) << "] for " << P << " parameters");
  }
  Kokkos::Array<T, P> lo_, width_;
};

// "Real" data: n events of the pipeline at fixed parameters, with their own seed (rank 0's streams
// of that seed), on the host. Rejection stages are refilled with further draws until n are kept.
template <class Pipe>
HostMatrix<typename Pipe::value_type> generate_events(Pipe& pipeline, const std::array<double, Pipe::num_params>& params,
                                                      long n, std::uint64_t seed) {
  using T = typename Pipe::value_type;
  constexpr int P = Pipe::num_params, D = Pipe::event_dim;
  static_assert(!Pipe::weighted, "generate_events makes unweighted events: use a pipeline without weighting stages "
                                 "(Acceptance<Eff, AcceptanceMode::rejection> instead of the weight mode, an "
                                 "unweighted sampler)");
  SAGIPS_REQUIRE(n > 0 && n < (1L << 31), "generate_events: " << n << " events requested");
  Matrix<T> p("sagips::sim::truth", 1, P);
  auto hp = Kokkos::create_mirror_view(HostSpace(), p);
  for (int j = 0; j < P; ++j) hp(0, j) = static_cast<T>(params[j]);
  Kokkos::deep_copy(p, hp);
  HostMatrix<T> out("sagips::sim::generated", n, D);
  long have = 0;
  for (std::uint64_t round = 0; have < n; ++round) {
    SAGIPS_REQUIRE(round < 1000, "generate_events: the stages keep almost no events");
    const auto o = pipeline.forward(p, static_cast<int>(n - have), random::StepKeys{seed, 0, round}, false);
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), o.events);
    for (int i = 0; i < o.count && have < n; ++i, ++have)
      for (int d = 0; d < D; ++d) out(have, d) = h(i, d);
  }
  return out;
}

}  // namespace sagips::sim
