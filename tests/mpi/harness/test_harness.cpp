// The harness's own tests. The last two cases are skipped by default; the suite runs them through
// expect_failure.py to check that a hang and a one-rank failure end the run with a clear report.
#include <mpi.h>

#include <chrono>
#include <thread>
#include <vector>

#include "mpi_test.hpp"

TEST_CASE("ranks see the same world and can reduce") {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  int comm_rank = -1, comm_size = -1;
  MPI_Comm_rank(sagips::testing::comm(), &comm_rank);
  MPI_Comm_size(sagips::testing::comm(), &comm_size);
  CHECK(comm_rank == r);
  CHECK(comm_size == n);
  int sum = 0;
  MPI_Allreduce(&r, &sum, 1, MPI_INT, MPI_SUM, sagips::testing::comm());
  CHECK(sum == n * (n - 1) / 2);
}

TEST_CASE("ranks that finish at different times still meet") {
  // Rank-dependent work before the end-of-test barrier must not trip the watchdog.
  std::this_thread::sleep_for(std::chrono::milliseconds(50 * sagips::testing::rank()));
  sagips::testing::checkpoint("after sleeping");
  CHECK(true);
}

TEST_CASE("watchdog: a rank that never arrives" * doctest::skip()) {
  if (sagips::testing::rank() == sagips::testing::size() - 1) {
    sagips::testing::checkpoint("waiting for a message nobody sends");
    int never = 0;
    MPI_Recv(&never, 1, MPI_INT, MPI_ANY_SOURCE, 4242, sagips::testing::comm(), MPI_STATUS_IGNORE);
  }
}

TEST_CASE("harness: a test that fails on rank 1 only" * doctest::skip()) {
  const bool ok = sagips::testing::rank() != 1;
  INFO("deliberate failure on rank " << sagips::testing::rank());
  CHECK(ok);
}
