#pragma once
// sagips::Comm: an MPI communicator this object owns. It is freed when the object goes (unless MPI
// is already finalized: a Comm may outlive MPI in a program that ends abnormally), moves but does not
// copy, and converts to MPI_Comm wherever MPI wants one. Its constructors are the watched
// collectives of watchdog.hpp, so a rank that does not arrive is named instead of hanging the split.
//
//   sagips::Comm group = sagips::Comm::split(comm, rank / g, rank, "the groups of the async ring");
//   MPI_Allreduce(..., group);   // an MPI_Comm wherever one is expected

#include <mpi.h>

#include <string>
#include <utility>

#include "sagips/runtime/watchdog.hpp"

namespace sagips {

class Comm {
 public:
  Comm() = default;
  explicit Comm(MPI_Comm owned) : comm_(owned) {}  // takes ownership (MPI_COMM_NULL: empty)
  ~Comm() { reset(); }
  Comm(Comm&& o) noexcept : comm_(std::exchange(o.comm_, MPI_COMM_NULL)) {}
  Comm& operator=(Comm&& o) noexcept {
    if (this != &o) {
      reset();
      comm_ = std::exchange(o.comm_, MPI_COMM_NULL);
    }
    return *this;
  }
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  // A private duplicate of parent (its traffic never meets the parent's).
  static Comm dup(MPI_Comm parent, const std::string& what) { return Comm(mpi::dup(parent, what)); }
  // The ranks of parent with the same color, ordered by key; MPI_UNDEFINED gives an empty Comm.
  static Comm split(MPI_Comm parent, int color, int key, const std::string& what) {
    return Comm(mpi::split(parent, color, key, what));
  }

  MPI_Comm get() const { return comm_; }
  operator MPI_Comm() const { return comm_; }  // NOLINT: used where MPI wants a communicator
  bool empty() const { return comm_ == MPI_COMM_NULL; }
  int rank() const {
    int r = 0;
    MPI_Comm_rank(comm_, &r);
    return r;
  }
  int size() const {
    int s = 0;
    MPI_Comm_size(comm_, &s);
    return s;
  }

  void reset() {
    if (comm_ == MPI_COMM_NULL) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
    comm_ = MPI_COMM_NULL;
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

}  // namespace sagips
