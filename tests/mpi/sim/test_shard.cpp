// Sharding real data over ranks: disjoint shards drawn without replacement from one permutation,
// batches drawn with replacement from the shard, impossible requests refused on every rank.
#include <mpi.h>

#include <algorithm>
#include <sagips/sim/shard.hpp>
#include <vector>

#include "mpi_test.hpp"

namespace {
// Event k of the data set is (k, -k): its first coordinate names it.
sagips::HostMatrix<const double> numbered(long n) {
  sagips::HostMatrix<double> m("data", n, 2);
  for (long k = 0; k < n; ++k) {
    m(k, 0) = double(k);
    m(k, 1) = -double(k);
  }
  return m;
}
}  // namespace

TEST_CASE("shards are disjoint, cover what they should, and agree with the permutation on every rank") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  const long total = 1000;
  const auto shard = sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), numbered(total), {}, 7);
  CHECK(shard.size() == total / n);
  CHECK(shard.dim() == 2);
  auto mine = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), shard.events());
  std::vector<int> ids(static_cast<std::size_t>(shard.size()));
  for (long k = 0; k < shard.size(); ++k) {
    ids[static_cast<std::size_t>(k)] = static_cast<int>(mine(k, 0));
    REQUIRE(mine(k, 1) == -mine(k, 0));  // rows stay whole
  }
  // Gather every rank's ids: no id twice.
  std::vector<int> all(static_cast<std::size_t>(shard.size() * n));
  MPI_Allgather(ids.data(), static_cast<int>(ids.size()), MPI_INT, all.data(), static_cast<int>(ids.size()), MPI_INT,
                sagips::testing::comm());
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK(all.front() >= 0);
  CHECK(all.back() < total);
  // The shard is a shuffled subset, not the first rows.
  CHECK_FALSE(std::is_sorted(ids.begin(), ids.end()));
  (void)r;
}

TEST_CASE("a fraction or a count per rank; too much for disjoint shards is refused on every rank") {
  const int n = sagips::testing::size();
  const auto data = numbered(100);
  sagips::sim::ShardSpec spec;
  spec.count = 100 / n;
  CHECK(sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), data, spec, 1).size() == 100 / n);
  spec = {};
  spec.fraction = 0.1;
  if (n <= 10) CHECK(sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), data, spec, 1).size() == 10);
  spec = {};
  spec.count = 100 / n + 1;
  CHECK_THROWS_WITH_AS(sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), data, spec, 1),
                       doctest::Contains("disjoint shards of"), sagips::CollectiveError);
}

TEST_CASE("each step's batch is drawn with replacement from this rank's shard") {
  const auto shard = sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), numbered(400), {}, 3);
  auto mine = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), shard.events());
  std::vector<double> ids;
  for (long k = 0; k < shard.size(); ++k) ids.push_back(mine(k, 0));
  sagips::Matrix<double> batch("batch", 5000, 2);
  shard.draw(batch, 5000, sagips::random::CounterRng(99));
  auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), batch);
  std::vector<int> hits(ids.size(), 0);
  for (int k = 0; k < 5000; ++k) {
    const auto it = std::find(ids.begin(), ids.end(), b(k, 0));
    REQUIRE(it != ids.end());  // only this rank's events
    ++hits[static_cast<std::size_t>(it - ids.begin())];
  }
  const auto most = *std::max_element(hits.begin(), hits.end());
  CHECK(most > 1);  // with replacement
}

TEST_CASE("strata: every event in use, each rank the strata of its sets, and a batch independent of the rank count") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  const int per_rank = 3, m = 5;
  const long total = 1009;  // not a multiple of the sets: strata and shards of uneven size
  sagips::sim::ShardSpec spec;
  spec.layout = sagips::sim::ShardLayout::strata;
  spec.sets_per_rank = per_rank;
  spec.events_per_set = m;
  const auto shard = sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), numbered(total), spec, 7);
  CHECK(shard.stratified());
  long count = shard.size();
  MPI_Allreduce(MPI_IN_PLACE, &count, 1, MPI_LONG, MPI_SUM, sagips::testing::comm());
  CHECK(count == total);  // none left out, none twice (the ids below are distinct)

  // One rank holding every set of the step (the same permutation, the same seed).
  auto one_spec = spec;
  one_spec.sets_per_rank = per_rank * n;
  const auto one = sagips::sim::EventShard<double>::from_data(MPI_COMM_SELF, numbered(total), one_spec, 7);
  const int rows = per_rank * m, all_rows = rows * n;
  sagips::Matrix<double> whole("whole", all_rows, 2), mine("mine", rows, 2);
  const sagips::random::CounterRng rng(sagips::random::stream_key(5, 0, sagips::random::Purpose::data_indices, 2));
  one.draw(whole, all_rows, rng);
  shard.draw(mine, rows, sagips::random::CounterRng(rng.key(), static_cast<std::uint64_t>(r * rows)));
  auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), whole);
  auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), mine);
  for (int k = 0; k < rows; ++k) REQUIRE(b(k, 0) == w(r * rows + k, 0));

  // A set's rows come from its own stratum: the ids of different sets never meet.
  auto ev = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), shard.events());
  const long lo_of_set1 = (static_cast<long>(r) * per_rank + 1) * total / (static_cast<long>(n) * per_rank) -
                          static_cast<long>(r) * per_rank * total / (static_cast<long>(n) * per_rank);
  std::vector<double> set0;
  for (long k = 0; k < lo_of_set1; ++k) set0.push_back(ev(k, 0));
  for (int k = 0; k < m; ++k) CHECK(std::find(set0.begin(), set0.end(), b(k, 0)) != set0.end());
  for (int k = m; k < rows; ++k) CHECK(std::find(set0.begin(), set0.end(), b(k, 0)) == set0.end());

  // Fewer events in use than sets: refused on every rank.
  spec.sets_per_rank = 2000;
  CHECK_THROWS_WITH_AS(sagips::sim::EventShard<double>::from_data(sagips::testing::comm(), numbered(total), spec, 7),
                       doctest::Contains("parameter sets of a step"), sagips::CollectiveError);
}
