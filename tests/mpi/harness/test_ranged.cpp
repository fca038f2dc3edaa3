// A test binary that declares the rank counts it can use; the suite checks that others are refused.
#include "mpi_test.hpp"

SAGIPS_MPI_TEST_RANKS(2, 4);

TEST_CASE("a ranged binary runs on an allowed rank count") {
  CHECK(sagips::testing::size() >= 2);
  CHECK(sagips::testing::size() <= 4);
}
