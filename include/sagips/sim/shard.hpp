#pragma once
// This rank's shard of the real data, and each step's real batch drawn from it.
//
// The data set is permuted by a seeded shuffle that every rank computes identically; rank r keeps
// the block [r c, (r + 1) c) of the permutation, c = the per-rank count (ShardSpec: a count, or a
// fraction of the data set, or by default all of it split evenly), so shards are disjoint and
// drawn without replacement. Each step's batch is drawn from the shard with replacement (counter-
// based: row k of the batch is draw k of the step's data stream).

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

namespace sagips::sim {

struct ShardSpec {
  double fraction = 0;  // of the whole data set, per rank; 0: 1 / ranks
  long count = 0;       // events per rank; overrides fraction when > 0
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
    long per = spec.count > 0 ? spec.count
                              : (spec.fraction > 0 ? static_cast<long>(spec.fraction * static_cast<double>(n)) : n / size);
    std::string problem;
    if (n == 0 || dim == 0)
      problem = "the real data set is empty";
    else if (per < 1)
      problem = "a shard of the " + std::to_string(n) + " real events would be empty on " + std::to_string(size) + " ranks";
    else if (per * size > n)
      problem = "disjoint shards of " + std::to_string(per) + " events on " + std::to_string(size) +
                " ranks need " + std::to_string(per * size) + " real events; the data set has " + std::to_string(n);
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
    HostMatrix<T> mine("sagips::sim::shard_host", per, dim);
    for (long k = 0; k < per; ++k) {
      const long src = perm[static_cast<std::size_t>(rank * per + k)];
      for (int d = 0; d < dim; ++d) mine(k, d) = all(src, d);
    }
    s.events_ = Matrix<T>("sagips::sim::shard", per, dim);
    Kokkos::deep_copy(s.events_, mine);
    return s;
  }

  // out(k) = shard row rng.below(k, size), k < n (with replacement).
  void draw(Matrix<T> out, int n, const random::CounterRng& rng) const {
    SAGIPS_REQUIRE(events_.extent(0) > 0, "EventShard::draw on an empty shard");
    SAGIPS_REQUIRE(static_cast<int>(out.extent(0)) >= n && out.extent(1) == events_.extent(1),
                   "EventShard::draw: output [" << out.extent(0) << ", " << out.extent(1) << "] for " << n
                                                << " events of dimension " << events_.extent(1));
    const auto ev = events_;
    const std::uint64_t size = ev.extent(0);
    const int dim = static_cast<int>(ev.extent(1));
    Kokkos::parallel_for(
        "sagips::sim::draw", Kokkos::RangePolicy<ExecSpace>(0, n), KOKKOS_LAMBDA(int k) {
          const std::uint64_t r = rng.below(static_cast<std::uint64_t>(k), size);
          for (int d = 0; d < dim; ++d) out(k, d) = ev(r, d);
        });
  }

  long size() const { return static_cast<long>(events_.extent(0)); }
  int dim() const { return static_cast<int>(events_.extent(1)); }
  ConstMatrix<T> events() const { return events_; }

 private:
  Matrix<T> events_;
};

}  // namespace sagips::sim
