// Fault injection for tests: loaded with LD_PRELOAD into an MPI program, it makes one rank hang for
// good (as on a node whose file system or network stopped answering) as it enters MPI_Init /
// MPI_Init_thread or MPI_Finalize, so that tests can check that the job ends with a message instead
// of hanging. (It sleeps rather than SIGSTOPs itself: OpenMPI answers a stopped child by forwarding
// SIGCONT to the job.)
//
//   SAGIPS_STOP_AT=init|finalize    where to stop (unset: nothing is done)
//   SAGIPS_STOP_RANK=<n>            which rank (from OMPI_COMM_WORLD_RANK / PMIX_RANK / PMI_RANK)
//
// The hung process is left to the launcher or the test to kill.
#include <dlfcn.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {
void maybe_stop(const char* where) {
  const char* at = std::getenv("SAGIPS_STOP_AT");
  const char* rank = std::getenv("SAGIPS_STOP_RANK");
  if (at == nullptr || rank == nullptr || std::strcmp(at, where) != 0) return;
  const char* mine = nullptr;
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if ((mine = std::getenv(name)) != nullptr) break;
  if (mine != nullptr && std::strcmp(mine, rank) == 0)
    for (;;) ::pause();
}
template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" {
int MPI_Init(int* argc, char*** argv) {
  maybe_stop("init");
  return next<int (*)(int*, char***)>("MPI_Init")(argc, argv);
}
int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  maybe_stop("init");
  return next<int (*)(int*, char***, int, int*)>("MPI_Init_thread")(argc, argv, required, provided);
}
int MPI_Finalize() {
  maybe_stop("finalize");
  return next<int (*)()>("MPI_Finalize")();
}
}
