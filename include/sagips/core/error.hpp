#pragma once
// Errors. Two kinds matter on a cluster:
//  - sagips::Error: raised on the rank that found the problem;
//  - sagips::CollectiveError: raised on *every* rank of a communicator at the same point, so the
//    program can unwind and exit cleanly everywhere instead of leaving the other ranks to hang.
// check_all() turns rank-local findings into a CollectiveError; run_main() (environment.hpp) turns
// any leftover Error into a clean MPI_Abort, so bad input never hangs a job. check_all's own traffic
// waits under the stall watchdog (watchdog.hpp): a rank that never arrives is named.

#include <mpi.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sagips/core/watchdog.hpp"

namespace sagips {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CollectiveError : public Error {
 public:
  using Error::Error;
};

// SAGIPS_REQUIRE(cond, "message " << value): throw sagips::Error with the streamed message.
#define SAGIPS_REQUIRE(cond, message)                 \
  do {                                                \
    if (!(cond)) {                                    \
      std::ostringstream sagips_require_os_;          \
      sagips_require_os_ << message;                  \
      throw ::sagips::Error(sagips_require_os_.str()); \
    }                                                 \
  } while (false)

// Every rank passes its own finding (empty: all is well). If any rank has one, every rank throws
// the same CollectiveError listing them; a message shared by all ranks is stated once. `what` names
// the check in a stall report.
inline void check_all(MPI_Comm comm, const std::string& local_error,
                      const std::string& what = "a collective error check") {
  int bad = local_error.empty() ? 0 : 1;
  int any_bad = 0;
  mpi::allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, comm, what);
  if (!any_bad) return;

  int size = 1;
  MPI_Comm_size(comm, &size);
  int len = static_cast<int>(local_error.size());
  std::vector<int> lens(size), displs(size);
  mpi::allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm, what);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[r] = total;
    total += lens[r];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  mpi::allgatherv(local_error.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, comm, what);

  std::vector<std::pair<int, std::string>> found;
  for (int r = 0; r < size; ++r)
    if (lens[r] > 0) found.emplace_back(r, all.substr(static_cast<std::size_t>(displs[r]), lens[r]));
  bool same = true;
  for (const auto& f : found) same = same && f.second == found.front().second;

  std::ostringstream os;
  if (same && static_cast<int>(found.size()) == size) {
    os << found.front().second;
  } else if (same) {
    os << found.front().second << " (on rank" << (found.size() > 1 ? "s " : " ");
    for (std::size_t i = 0; i < found.size(); ++i) os << (i ? "," : "") << found[i].first;
    os << ")";
  } else {
    for (std::size_t i = 0; i < found.size(); ++i)
      os << (i ? "; " : "") << "rank " << found[i].first << ": " << found[i].second;
  }
  throw CollectiveError(os.str());
}

// Run f() on every rank; a sagips::Error thrown by f on any rank becomes a CollectiveError on all.
template <class F>
void collectively(MPI_Comm comm, F&& f, const std::string& what = "a collective error check") {
  std::string error;
  try {
    f();
  } catch (const CollectiveError&) {
    throw;
  } catch (const Error& e) {
    error = e.what();
    if (error.empty()) error = "unspecified error";
  }
  check_all(comm, error, what);
}

}  // namespace sagips
