#pragma once
// The real events of a sagips::App run, on every rank: read from a .npy file by rank 0 alone,
// checked, and broadcast, so that every rank trains on the same bytes (a file replaced while many
// ranks read it cannot split them) and the filesystem sees one reader, not thousands.
//
//   HostMatrix<T> data = sagips::app::read_events<T, D>(comm, "events.npy", pipeline.support());

#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "sagips/core/views.hpp"
#include "sagips/io/npy.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/utf8.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/sim/real_data.hpp"

namespace sagips::app {

// Rank `root`'s events [rows, D] to every rank of comm, in pieces of at most 2^30 bytes (MPI counts are int).
template <class T, int D>
HostMatrix<T> broadcast_events(MPI_Comm comm, HostMatrix<T> data, int root = 0) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  unsigned long long rows = rank == root ? data.extent(0) : 0;
  mpi::bcast(&rows, 1, MPI_UNSIGNED_LONG_LONG, root, comm, "the broadcast of the real data");
  if (rank != root) data = HostMatrix<T>("sagips::app::real_data", rows, D);
  char* bytes = reinterpret_cast<char*>(data.data());
  const std::size_t total = static_cast<std::size_t>(rows) * D * sizeof(T), piece = std::size_t(1) << 30;
  for (std::size_t at = 0; at < total; at += piece)
    mpi::bcast(bytes + at, static_cast<int>(std::min(piece, total - at)), MPI_BYTE, root, comm,
               "the broadcast of the real data");
  return data;
}

// The events of `file` [N, D] (or [N] for D = 1), read and checked by rank 0 (shape, finite values,
// inside `support`, the pipeline's reach), on every rank; a problem is a CollectiveError on every rank.
template <class T, int D>
HostMatrix<T> read_events(MPI_Comm comm, const std::string& file, const sim::Box<D>& support) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  HostMatrix<T> data;
  collectively(comm, [&] {
    if (rank == 0) {
      data = io::read_npy<T>(file);
      sim::check_events<T, D>(data, support, utf8::escape_invalid(file));
    }
  }, "the loading of the real data");
  return broadcast_events<T, D>(comm, data);
}

}  // namespace sagips::app
