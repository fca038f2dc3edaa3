#pragma once
// Weight drift: how far the ranks' copies of the generator have moved apart (the asynchronous modes
// let them). drift = max over ranks of ||w_r - mean w|| / ||mean w||; 0 when all copies are equal.
// Collective over comm, under the stall watchdog.

#include <mpi.h>

#include <cmath>
#include <vector>

#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange {

template <class T>
double drift(MPI_Comm comm, const T* params, std::size_t n) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size == 1 || n == 0) return 0;
  std::vector<double> mean(params, params + n);
  mpi::allreduce(MPI_IN_PLACE, mean.data(), static_cast<int>(n), MPI_DOUBLE, MPI_SUM, comm,
                 "the weight-drift reduction");
  double norm = 0, dist = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean[i] /= size;
    norm += mean[i] * mean[i];
    dist += (params[i] - mean[i]) * (params[i] - mean[i]);
  }
  double worst = std::sqrt(dist);
  mpi::allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, comm, "the weight-drift reduction");
  return norm > 0 ? worst / std::sqrt(norm) : worst;
}

}  // namespace sagips::exchange
