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
