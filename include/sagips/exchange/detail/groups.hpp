#pragma once
// Groups of consecutive ranks, as the grouped strategies (AsyncRing, Ensemble) lay them out.

#include <mpi.h>

#include <algorithm>
#include <string>

#include "sagips/core/comm.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/watchdog.hpp"

namespace sagips::exchange::detail {

// Groups of `g` consecutive ranks. g = 0: the number of ranks sharing a node, at most 4 (the same on
// every node: the smallest count wins), or all ranks when there are fewer. Collective; a size that
// does not fit is refused on every rank.
inline int resolve_group_size(MPI_Comm comm, int requested) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  int g = requested;
  if (g == 0) {
    mpi::barrier(comm, "the layout of the exchange groups");
    MPI_Comm node_raw = MPI_COMM_NULL;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_raw);
    const Comm node(node_raw);
    int local = node.size();
    mpi::allreduce(MPI_IN_PLACE, &local, 1, MPI_INT, MPI_MIN, comm, "the layout of the exchange groups");
    g = std::min({local, 4, size});
  }
  std::string problem;
  if (g < 1 || g > size)
    problem = "group size " + std::to_string(g) + " is not between 1 and the rank count " + std::to_string(size);
  else if (size % g != 0)
    problem = "group size " + std::to_string(g) + " does not divide the rank count " + std::to_string(size) +
              " (groups are " + std::to_string(g) + " consecutive ranks)";
  check_all(comm, problem, "the layout of the exchange groups");
  return g;
}

}  // namespace sagips::exchange::detail
