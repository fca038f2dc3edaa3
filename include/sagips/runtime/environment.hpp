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
// --kokkos-help prints Kokkos' help once (rank 0) and run_main then ends the program with 0.
//
// Start-up and shutdown are watched without MPI: a rank whose MPI_Init has not returned after
// SAGIPS_INIT_TIMEOUT seconds (600 by default; 0: no limit), or whose MPI_Finalize has not returned
// after the stall watchdog's timeout (at least 10 s), prints which and exits with 124 (a rank of the
// job stopped or died before joining, or before the end: without this, every other rank would wait
// for it forever, and nothing would say why).

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/runtime/deadline.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips {

class Environment {
 public:
  // The library calls MPI from the main thread only, so FUNNELED is what it needs.
  explicit Environment(int& argc, char**& argv, int required_thread_level = MPI_THREAD_FUNNELED) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      Deadline watch(init_timeout(), "MPI_Init",
                     "a rank of this job did not start, or stopped before joining (set SAGIPS_INIT_TIMEOUT "
                     "to wait longer)");
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
    for (int i = 1; i < argc; ++i) kokkos_help_ = kokkos_help_ || std::strcmp(argv[i], "--kokkos-help") == 0;
    if (!Kokkos::is_initialized()) {
      initialize_kokkos(argc, argv, rank_ == 0);
      owns_kokkos_ = true;
    }
  }

  ~Environment() {
    if (owns_kokkos_ && Kokkos::is_initialized()) Kokkos::finalize();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_mpi_ && !finalized) {
      const double limit = watchdog::timeout() > 0 ? std::max(10.0, watchdog::timeout()) : 0;
      Deadline watch(limit, "MPI_Finalize",
                     "another rank of this job has not reached the end (stopped, hung or died); this rank's own "
                     "work is complete");
      MPI_Finalize();
    }
  }

  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  MPI_Comm comm() const { return MPI_COMM_WORLD; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  int thread_level() const { return thread_level_; }
  static std::string execution_space() { return ExecSpace::name(); }
  // --kokkos-help was given: Kokkos printed its help (on rank 0); the program should end.
  bool kokkos_help() const { return kokkos_help_; }

 private:
  static double init_timeout() {
    const char* text = std::getenv("SAGIPS_INIT_TIMEOUT");
    if (text == nullptr || *text == '\0') return 600;
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0) || !std::isfinite(v)) {
      std::fprintf(stderr, "SAGIPS_INIT_TIMEOUT='%s' is not a number of seconds: using 600\n", text);
      return 600;
    }
    return v;
  }

  static bool is_help_flag(const char* arg) {
    return std::strcmp(arg, "-h") == 0 || std::strcmp(arg, "--help") == 0;
  }

  // Kokkos answers -h/--help with its own 40-line banner; the program's --help should show the
  // program's options only, so Kokkos gets argv without them (--kokkos-help still reaches it, on the
  // printing rank only: every rank would print it). Kokkos removes the --kokkos-* arguments it
  // consumed from the argv it was given; the same are then removed from the caller's argv, so that
  // the program's own parser never sees them (--kokkos-help is removed on every rank).
  static void initialize_kokkos(int& argc, char**& argv, bool prints) {
    std::vector<char*> for_kokkos;
    for (int i = 0; i < argc; ++i)
      if (i == 0 || (!is_help_flag(argv[i]) && (prints || std::strcmp(argv[i], "--kokkos-help") != 0)))
        for_kokkos.push_back(argv[i]);
    for_kokkos.push_back(nullptr);
    int kokkos_argc = static_cast<int>(for_kokkos.size()) - 1;
    Kokkos::initialize(kokkos_argc, for_kokkos.data());
    // What Kokkos left is an ordered subsequence of what it was given (it only shifts pointers).
    int kept = 0;
    int next = 0;
    for (int i = 0; i < argc; ++i) {
      if (i > 0 && std::strcmp(argv[i], "--kokkos-help") == 0) continue;
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
  bool kokkos_help_ = false;
  int rank_ = 0;
  int size_ = 1;
  int thread_level_ = MPI_THREAD_SINGLE;
};

// Runs body(env) and maps failures onto exit codes without ever leaving a rank hanging:
//  - --kokkos-help: Kokkos printed its help; every rank returns 0 without running the body;
//  - a Stopped (a run interrupted on request, its state saved): rank 0 prints it once, every rank
//    returns its exit code (signals::exit_code);
//  - a CollectiveError reached every rank: rank 0 prints it once, every rank returns 1;
//  - any other exception is local to one rank: it prints "rank r: ..." and aborts the whole job.
// required_thread_level is passed to MPI_Init_thread (an MPI that only offers MPI_THREAD_SINGLE,
// SimGrid's SMPI for one, is enough for a program that calls MPI from its main thread only).
template <class Body>
int run_main(int& argc, char**& argv, Body&& body, int required_thread_level = MPI_THREAD_FUNNELED) {
  Environment env(argc, argv, required_thread_level);
  if (env.kokkos_help()) return 0;
  try {
    return std::forward<Body>(body)(env);
  } catch (const Stopped& e) {
    if (env.is_root()) std::fprintf(stderr, "%s\n", e.what());
    return e.exit_code();
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
