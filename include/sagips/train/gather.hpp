#pragma once
// The collectives that end a run: every training rank's final estimate gathered with the model it
// belongs to (the answer is built from them, estimates.hpp), and the reporting rank's result handed to
// every rank (parameter-server masters included), so that every rank returns the same result.

#include <mpi.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sagips/runtime/watchdog.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/result.hpp"

namespace sagips::train {

struct GatheredEstimates {
  std::vector<double> means;   // [rank * P + j]: every training rank's parameter means, in rank order
  std::vector<int> member_of;  // [rank]: the model each rank belongs to
};

// Collective over the training ranks.
inline GatheredEstimates gather_estimates(MPI_Comm workers, const ParameterStats& mine, int member) {
  int n = 1;
  MPI_Comm_size(workers, &n);
  const int P = static_cast<int>(mine.mean.size());
  GatheredEstimates g;
  g.means.resize(static_cast<std::size_t>(n) * P);
  g.member_of.resize(static_cast<std::size_t>(n));
  mpi::allgather(mine.mean.data(), P, MPI_DOUBLE, g.means.data(), P, MPI_DOUBLE, workers,
                 "the gathering of the final estimates");
  mpi::allgather(&member, 1, MPI_INT, g.member_of.data(), 1, MPI_INT, workers, "the gathering of the final estimates");
  return g;
}

// Collective over comm: root's result replaces everyone else's.
inline void broadcast_result(TrainingResult& result, int root, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string encoded = rank == root ? result.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "";
  long len = static_cast<long>(encoded.size());
  mpi::bcast(&len, 1, MPI_LONG, root, comm, "the broadcast of the result");
  encoded.resize(static_cast<std::size_t>(len));
  mpi::bcast(encoded.data(), static_cast<int>(len), MPI_CHAR, root, comm, "the broadcast of the result");
  if (rank != root) result = TrainingResult::from_json(nlohmann::json::parse(encoded));
}

}  // namespace sagips::train
