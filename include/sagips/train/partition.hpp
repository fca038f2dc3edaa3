#pragma once
// Independent models: the ranks of a run carved into `count` equal groups of consecutive ranks, each
// one model. A model has its own initial weights and (with the bootstrap) its own resample of the
// data; its ranks train it together through the exchange strategy, which sees only the model's
// communicator and never learns that other models exist. The models never talk, so the spread of
// their answers is the statistical uncertainty of one of them (train/estimates.hpp).
//
//   ModelPartition p(world, 2);          // 8 ranks: ranks 0-3 model 0, ranks 4-7 model 1
//   p.membership().index                 // this rank's model
//   Exchanger<AsyncRing, float> e(p.comm(), ...);   // a ring inside the model
//
// `count` 0 means one model per rank. A count that does not divide the rank count is refused on
// every rank (collective).

#include <mpi.h>

#include <string>

#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::train {

// Which of the independent models this rank trains: model `index` of `count`, each of `ranks` ranks.
struct Membership {
  int index = 0;
  int count = 1;
  int ranks = 1;
};

// The first problem with splitting `size` ranks into `models` models (0: one per rank); empty: none.
inline std::string partition_problem(int size, int models) {
  if (models < 0) return "models: " + std::to_string(models) + " is negative (0: one model per rank)";
  if (models > size)
    return "--models " + std::to_string(models) + " asks for more models than the " + std::to_string(size) +
           " rank(s) of the run (each model needs at least one rank)";
  if (models > 0 && size % models != 0)
    return "--models " + std::to_string(models) + " does not divide the " + std::to_string(size) +
           " ranks of the run (models are equal groups of consecutive ranks)";
  return "";
}

class ModelPartition {
 public:
  ModelPartition() = default;
  // Collective over comm.
  ModelPartition(MPI_Comm comm, int models) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    check_all(comm, partition_problem(size, models), "the split of the ranks into models");
    m_.count = models == 0 ? size : models;
    m_.ranks = size / m_.count;
    m_.index = rank / m_.ranks;
    comm_ = Comm::split(comm, m_.index, rank, "the split of the ranks into models");
  }

  const Membership& membership() const { return m_; }
  const Comm& comm() const { return comm_; }  // this rank's model's ranks

 private:
  Membership m_;
  Comm comm_;
};

}  // namespace sagips::train
