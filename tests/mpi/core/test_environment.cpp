// Environment and collective errors under real ranks.
#include <Kokkos_Core.hpp>
#include <sagips/runtime/environment.hpp>
#include <sagips/runtime/error.hpp>
#include <string>

#include "mpi_test.hpp"

TEST_CASE("MPI and Kokkos are both up, with the thread level the library needs") {
  int initialized = 0, provided = 0;
  MPI_Initialized(&initialized);
  MPI_Query_thread(&provided);
  CHECK(initialized == 1);
  CHECK(provided >= MPI_THREAD_FUNNELED);
  CHECK(Kokkos::is_initialized());
  CHECK(sagips::Environment::execution_space() == std::string(Kokkos::DefaultExecutionSpace::name()));
}

TEST_CASE("a Kokkos reduction on every rank agrees with an MPI reduction") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  double local = 0;
  Kokkos::parallel_reduce(
      "sum", 1000, KOKKOS_LAMBDA(int i, double& acc) { acc += i + r; }, local);
  double global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, sagips::testing::comm());
  CHECK(global == doctest::Approx(n * 999.0 * 1000 / 2 + 1000.0 * n * (n - 1) / 2));
}

TEST_CASE("check_all: a finding on one rank becomes the same error on every rank") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  CHECK_NOTHROW(sagips::check_all(sagips::testing::comm(), ""));
  const int culprit = n - 1;
  std::string message;
  try {
    sagips::check_all(sagips::testing::comm(), r == culprit ? "bad shard" : "");
  } catch (const sagips::CollectiveError& e) {
    message = e.what();
  }
  // With one rank the finding is everybody's, so no rank list.
  CHECK(message == (n == 1 ? std::string("bad shard") : "bad shard (on rank " + std::to_string(culprit) + ")"));

  // Different findings are listed by rank; identical findings on all ranks are stated once.
  message.clear();
  try {
    sagips::check_all(sagips::testing::comm(), "same on all");
  } catch (const sagips::CollectiveError& e) {
    message = e.what();
  }
  CHECK(message == "same on all");
  if (n >= 2) {
    message.clear();
    try {
      sagips::check_all(sagips::testing::comm(), r < 2 ? "problem " + std::to_string(r) : "");
    } catch (const sagips::CollectiveError& e) {
      message = e.what();
    }
    CHECK(message == "problem 0 (on rank 0); problem 1 (on rank 1)");
  }
  // On many ranks the same finding is stated once, its ranks as ranges.
  if (n >= 3) {
    message.clear();
    try {
      sagips::check_all(sagips::testing::comm(), r < n - 1 ? "disk full" : "");
    } catch (const sagips::CollectiveError& e) {
      message = e.what();
    }
    CHECK(message == "disk full (on ranks " + std::string(n == 3 ? "0,1" : "0-" + std::to_string(n - 2)) + ")");
  }
}

TEST_CASE("rank_ranges writes runs of consecutive ranks as ranges") {
  CHECK(sagips::rank_ranges({}) == "");
  CHECK(sagips::rank_ranges({3}) == "3");
  CHECK(sagips::rank_ranges({0, 1}) == "0,1");
  CHECK(sagips::rank_ranges({0, 1, 2, 3, 7, 9, 10}) == "0-3,7,9,10");
  CHECK(sagips::rank_ranges({0, 2, 3, 4, 5, 8}) == "0,2-5,8");
}

TEST_CASE("collectively() turns an Error thrown on one rank into a CollectiveError everywhere") {
  const int r = sagips::testing::rank();
  bool caught = false;
  try {
    sagips::collectively(sagips::testing::comm(), [&] { SAGIPS_REQUIRE(r != 0, "rank " << r << " refuses"); });
  } catch (const sagips::CollectiveError& e) {
    caught = std::string(e.what()) == "rank 0 refuses" + std::string(sagips::testing::size() > 1 ? " (on rank 0)" : "");
  }
  CHECK(caught);
}
