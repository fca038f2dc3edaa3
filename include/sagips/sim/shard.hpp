#pragma once
// This rank's shard of the real data, and each step's real batch drawn from it.
//
// The data set is permuted by a seeded shuffle that every rank computes identically, and each rank
// keeps a block of the permutation, so shards are disjoint. Two layouts (ShardSpec::layout):
//
//   split  (default): rank r keeps [r c, (r + 1) c), c = the per-rank count (a count, a fraction of
//          the data set, or by default all of it split evenly, the remainder unused); row k of a
//          step's batch is a draw with replacement from the whole shard (counter k of the step's
//          data stream, continued over the model's ranks).
//   strata: the events in use are cut into one stratum per parameter set of the model's step (ranks x
//          sets per rank, sizes differing by at most one, so shards may be uneven), and rank r keeps
//          the strata of its own sets; row k of a batch, an event of set k / m, is drawn from that
//          set's stratum. A set's real events then do not depend on how the sets are split over
//          ranks: N ranks with B sets each draw exactly the batch that one rank with N B sets draws,
//          which makes a training step independent of the rank count (docs/training.md).

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/shard_layout.hpp"

namespace sagips::sim {

struct ShardSpec {
  double fraction = 0;  // of the whole data set, per rank; 0: 1 / ranks
  long count = 0;       // events per rank; overrides fraction when > 0
  ShardLayout layout = ShardLayout::split;
  int sets_per_rank = 1;   // strata: parameter sets per rank and step
  int events_per_set = 1;  // strata: events per set (row k of a batch belongs to set k / events_per_set)
};

template <class T>
class EventShard {
 public:
  EventShard() = default;

  // Collective over comm. all: the whole data set [N, D], the same on every rank.
  static EventShard from_data(MPI_Comm comm, HostMatrix<const T> all, ShardSpec spec, std::uint64_t seed) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const long n = static_cast<long>(all.extent(0));
    const int dim = static_cast<int>(all.extent(1));
    const bool strata = spec.layout == ShardLayout::strata;
    long per = spec.count > 0 ? spec.count
                              : (spec.fraction > 0 ? static_cast<long>(spec.fraction * static_cast<double>(n)) : n / size);
    // strata: the events in use (all of them by default) and the model's sets of a step.
    const long used = spec.count > 0 || spec.fraction > 0 ? per * size : n;
    const long sets = static_cast<long>(size) * spec.sets_per_rank;
    std::string problem;
    if (n == 0 || dim == 0)
      problem = "the real data set is empty";
    else if (strata && (spec.sets_per_rank < 1 || spec.events_per_set < 1))
      problem = "a stratified shard needs at least one parameter set per rank and one event per set";
    else if (per < 1)
      problem = "a shard of the " + std::to_string(n) + " real events would be empty on " + std::to_string(size) + " ranks";
    else if (per * size > n)
      problem = "disjoint shards of " + std::to_string(per) + " events on " + std::to_string(size) +
                " ranks need " + std::to_string(per * size) + " real events; the data set has " + std::to_string(n);
    else if (strata && used < sets)
      problem = "the strata layout gives each of the " + std::to_string(sets) + " parameter sets of a step (" +
                std::to_string(size) + " ranks x " + std::to_string(spec.sets_per_rank) +
                ") its own real events, but only " + std::to_string(used) + " are in use";
    check_all(comm, problem);

    // Fisher-Yates with counter-based draws: the same permutation on every rank.
    std::vector<long> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), 0L);
    const random::CounterRng rng(random::stream_key(seed, 0, random::Purpose::data_indices, 0));
    for (long i = n - 1; i > 0; --i) {
      const long j = static_cast<long>(rng.below(static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i + 1)));
      std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(j)]);
    }
    EventShard s;
    long first = static_cast<long>(rank) * per;
    if (strata) {  // stratum g of the model's sets: [g used / sets, (g + 1) used / sets)
      const long b = spec.sets_per_rank;
      auto bound = [&](long g) { return g * used / sets; };
      first = bound(rank * b);
      per = bound((rank + 1) * b) - first;
      s.events_per_set_ = spec.events_per_set;
      s.starts_ = Kokkos::View<long*, MemSpace>("sagips::sim::strata", b + 1);
      auto h = Kokkos::create_mirror_view(s.starts_);
      for (long j = 0; j <= b; ++j) h(j) = bound(rank * b + j) - first;
      Kokkos::deep_copy(s.starts_, h);
    }
    HostMatrix<T> mine("sagips::sim::shard_host", per, dim);
    for (long k = 0; k < per; ++k) {
      const long src = perm[static_cast<std::size_t>(first + k)];
      for (int d = 0; d < dim; ++d) mine(k, d) = all(src, d);
    }
    s.events_ = Matrix<T>("sagips::sim::shard", per, dim);
    Kokkos::deep_copy(s.events_, mine);
    return s;
  }

  // Rows [0, n) of a step's batch, with replacement: out(k) = shard row rng.below(k, size) (split), or
  // row start_s + rng.below(k, size_s) of stratum s = k B / n of this rank's B sets (strata: s = k / m
  // for the full batch of B m rows; a batch shortened by a rejecting stage spreads its rows evenly
  // over the sets).
  void draw(Matrix<T> out, int n, const random::CounterRng& rng) const {
    SAGIPS_REQUIRE(events_.extent(0) > 0, "EventShard::draw on an empty shard");
    SAGIPS_REQUIRE(static_cast<int>(out.extent(0)) >= n && out.extent(1) == events_.extent(1),
                   "EventShard::draw: output [" << out.extent(0) << ", " << out.extent(1) << "] for " << n
                                                << " events of dimension " << events_.extent(1));
    const auto ev = events_;
    const auto starts = starts_;
    const std::uint64_t size = ev.extent(0);
    const int dim = static_cast<int>(ev.extent(1));
    const long sets = static_cast<long>(starts.extent(0)) - 1;  // strata: this rank's sets (else -1)
    SAGIPS_REQUIRE(sets < 0 || n <= sets * events_per_set_, "EventShard::draw: " << n << " rows for " << sets
                                                                                  << " sets of " << events_per_set_
                                                                                  << " events");
    Kokkos::parallel_for(
        "sagips::sim::draw", Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(int k) {
          std::uint64_t r = 0;
          if (sets < 0) {
            r = rng.below(static_cast<std::uint64_t>(k), size);
          } else {
            const long set = static_cast<long>(k) * sets / n;
            const long lo = starts(set);
            r = static_cast<std::uint64_t>(lo) +
                rng.below(static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(starts(set + 1) - lo));
          }
          for (int d = 0; d < dim; ++d) out(k, d) = ev(r, d);
        });
  }

  long size() const { return static_cast<long>(events_.extent(0)); }
  int dim() const { return static_cast<int>(events_.extent(1)); }
  ConstMatrix<T> events() const { return events_; }
  bool stratified() const { return starts_.extent(0) > 0; }

 private:
  Matrix<T> events_;
  Kokkos::View<long*, MemSpace> starts_;  // strata: each set's first row in events_, and the end
  int events_per_set_ = 1;
};

}  // namespace sagips::sim
