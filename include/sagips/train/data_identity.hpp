#pragma once
// The real data's identity: the number of events and a checksum of their bytes. Every rank of a run
// must train on the same data, and a resumed run on the data it started with; a file replaced while
// the ranks read it, or another --data, would otherwise go unnoticed. The trainer compares rank 0's
// identity on every rank, records it in its configuration (summary.json) and fingerprints it for
// --resume.

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::train {

inline std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// checksum64 of the events' bytes, row by row.
template <class T>
std::uint64_t data_checksum(HostMatrix<const T> data) {
  std::string bytes;
  bytes.reserve(data.extent(0) * data.extent(1) * sizeof(T));
  for (std::size_t i = 0; i < data.extent(0); ++i)
    for (std::size_t d = 0; d < data.extent(1); ++d) {
      const T v = data(i, d);
      bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
  return files::checksum64(bytes);
}

// Collective: {"events": N, "checksum": "<16 hex digits>"} of this rank's data, after every rank has
// compared its own with rank 0's; a difference is an error on every rank.
template <class T>
nlohmann::json agreed_data_identity(MPI_Comm comm, HostMatrix<const T> data) {
  const unsigned long long mine[2] = {static_cast<unsigned long long>(data.extent(0)), data_checksum(data)};
  unsigned long long root[2] = {mine[0], mine[1]};
  mpi::bcast(root, 2, MPI_UNSIGNED_LONG_LONG, 0, comm, "the comparison of the real data between ranks");
  std::string problem;
  if (root[0] != mine[0] || root[1] != mine[1])
    problem = "the real data differ between ranks: this rank has " + std::to_string(mine[0]) + " events (checksum " +
              hex64(mine[1]) + "), rank 0 " + std::to_string(root[0]) + " (checksum " + hex64(root[1]) +
              "); was the file changed while the ranks read it?";
  check_all(comm, problem, "the comparison of the real data between ranks");
  return {{"events", static_cast<long>(data.extent(0))}, {"checksum", hex64(mine[1])}};
}

}  // namespace sagips::train
