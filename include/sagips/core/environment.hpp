#pragma once
// sagips::Environment: MPI first, then Kokkos; finalized in the reverse order.
//
//   int main(int argc, char** argv) {
//     return sagips::run_main(argc, argv, [](sagips::Environment& env) { ...; return 0; });
//   }
//
// A program started without mpirun is one rank (MPI singleton). If MPI or Kokkos were already
// initialized by the caller, Environment leaves them alone and does not finalize them.
// Kokkos Views must not outlive the Environment: keep them inside the body.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include "sagips/core/config.hpp"
#include "sagips/core/error.hpp"

namespace sagips {

class Environment {
 public:
  // The library calls MPI from the main thread only, so FUNNELED is what it needs.
  explicit Environment(int& argc, char**& argv, int required_thread_level = MPI_THREAD_FUNNELED) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      MPI_Init_thread(&argc, &argv, required_thread_level, &thread_level_);
      owns_mpi_ = true;
    } else {
      MPI_Query_thread(&thread_level_);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (thread_level_ < required_thread_level) {
      if (owns_mpi_) MPI_Finalize();
      throw Error("the MPI library provides thread level " + std::to_string(thread_level_) +
                  ", sagips needs " + std::to_string(required_thread_level));
    }
    if (!Kokkos::is_initialized()) {
      Kokkos::initialize(argc, argv);
      owns_kokkos_ = true;
    }
  }

  ~Environment() {
    if (owns_kokkos_ && Kokkos::is_initialized()) Kokkos::finalize();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_mpi_ && !finalized) MPI_Finalize();
  }

  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  MPI_Comm comm() const { return MPI_COMM_WORLD; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  int thread_level() const { return thread_level_; }
  static std::string execution_space() { return ExecSpace::name(); }

 private:
  bool owns_mpi_ = false;
  bool owns_kokkos_ = false;
  int rank_ = 0;
  int size_ = 1;
  int thread_level_ = MPI_THREAD_SINGLE;
};

// Runs body(env) and maps failures onto exit codes without ever leaving a rank hanging:
//  - a CollectiveError reached every rank: rank 0 prints it once, every rank returns 1;
//  - any other exception is local to one rank: it prints "rank r: ..." and aborts the whole job.
template <class Body>
int run_main(int& argc, char**& argv, Body&& body) {
  Environment env(argc, argv);
  try {
    return std::forward<Body>(body)(env);
  } catch (const CollectiveError& e) {
    if (env.is_root()) std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error on rank %d: %s\n", env.rank(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 1;
}

}  // namespace sagips
