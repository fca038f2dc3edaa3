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
// Kokkos takes its own flags (--kokkos-threads=N, --kokkos-help, ...) out of argv; -h/--help are
// left to the program and never shown to Kokkos, so --help prints the program's help alone.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

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
      initialize_kokkos(argc, argv);
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
  static bool is_help_flag(const char* arg) {
    return std::strcmp(arg, "-h") == 0 || std::strcmp(arg, "--help") == 0;
  }

  // Kokkos answers -h/--help with its own 40-line banner; the program's --help should show the
  // program's options only, so Kokkos gets argv without them (--kokkos-help still reaches it).
  // Kokkos removes the --kokkos-* arguments it consumed from the argv it was given; the same are
  // then removed from the caller's argv, so that the program's own parser never sees them.
  static void initialize_kokkos(int& argc, char**& argv) {
    std::vector<char*> for_kokkos;
    for (int i = 0; i < argc; ++i)
      if (i == 0 || !is_help_flag(argv[i])) for_kokkos.push_back(argv[i]);
    for_kokkos.push_back(nullptr);
    int kokkos_argc = static_cast<int>(for_kokkos.size()) - 1;
    Kokkos::initialize(kokkos_argc, for_kokkos.data());
    // What Kokkos left is an ordered subsequence of what it was given (it only shifts pointers).
    int kept = 0;
    int next = 0;
    for (int i = 0; i < argc; ++i) {
      if (i > 0 && is_help_flag(argv[i])) {
        argv[kept++] = argv[i];
      } else if (next < kokkos_argc && for_kokkos[static_cast<std::size_t>(next)] == argv[i]) {
        argv[kept++] = argv[i];
        ++next;
      }
    }
    argv[kept] = nullptr;
    argc = kept;
  }

  bool owns_mpi_ = false;
  bool owns_kokkos_ = false;
  int rank_ = 0;
  int size_ = 1;
  int thread_level_ = MPI_THREAD_SINGLE;
};

// Runs body(env) and maps failures onto exit codes without ever leaving a rank hanging:
//  - a CollectiveError reached every rank: rank 0 prints it once, every rank returns 1;
//  - any other exception is local to one rank: it prints "rank r: ..." and aborts the whole job.
// required_thread_level is passed to MPI_Init_thread (an MPI that only offers MPI_THREAD_SINGLE,
// SimGrid's SMPI for one, is enough for a program that calls MPI from its main thread only).
template <class Body>
int run_main(int& argc, char**& argv, Body&& body, int required_thread_level = MPI_THREAD_FUNNELED) {
  Environment env(argc, argv, required_thread_level);
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
