#pragma once
// What an MPI test file needs from the shared MPI test main (mpi_main.cpp).
//
// Every rank runs the same doctest test cases in the same order. After each test case the
// ranks meet at a watched barrier: a rank that does not arrive within SAGIPS_TEST_ARRIVAL_TIMEOUT
// seconds (default 120) is named and the job is aborted, so a deadlock fails instead of hanging.
// A failure on any rank fails the run; the failing ranks' output is printed by rank 0.

#include <doctest/doctest.h>
#include <mpi.h>

namespace sagips::testing {

MPI_Comm comm();  // MPI_COMM_WORLD
int rank();
int size();

// Records the last place this rank reached, named in watchdog reports.
void checkpoint(const char* where);

// Declares the rank counts a test executable can use; other counts exit non-zero at start.
struct RankRange {
  RankRange(int lo, int hi);
};

}  // namespace sagips::testing

#define SAGIPS_MPI_TEST_RANKS(lo, hi) \
  static const ::sagips::testing::RankRange sagips_mpi_test_rank_range_(lo, hi)
