#pragma once
// Errors. Two kinds matter on a cluster:
//  - sagips::Error: raised on the rank that found the problem;
//  - sagips::CollectiveError: raised on *every* rank of a communicator at the same point, so the
//    program can unwind and exit cleanly everywhere instead of leaving the other ranks to hang.
// check_all() turns rank-local findings into a CollectiveError; run_main() (environment.hpp) turns
// any leftover Error into a clean MPI_Abort, so bad input never hangs a job. check_all's own traffic
// waits under the stall watchdog (watchdog.hpp): a rank that never arrives is named.

#include <mpi.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sagips/runtime/watchdog.hpp"

namespace sagips {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CollectiveError : public Error {
 public:
  using Error::Error;
};

// Raised on every rank when a run stopped on request (a signal, runtime/signals.hpp) after saving what
// it needs to continue: not a failure. run_main prints it once and exits with exit_code().
class Stopped : public CollectiveError {
 public:
  Stopped(const std::string& message, int exit_code) : CollectiveError(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
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

// "0-3,7,9-10" for the ranks {0,1,2,3,7,9,10} (ascending): a list that stays short on many ranks.
inline std::string rank_ranges(const std::vector<int>& ranks) {
  std::string out;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(ranks[i]);
    if (j > i) out += (j == i + 1 ? "," : "-") + std::to_string(ranks[j]);
    i = j + 1;
  }
  return out;
}

// Every rank passes its own finding (empty: all is well). If any rank has one, every rank throws
// the same CollectiveError listing them: each different message once, with the ranks that found it
// (as ranges: "on ranks 0-63"); a message shared by all ranks is stated alone. `what` names
// the check in a stall report.
inline void check_all(MPI_Comm comm, const std::string& local_error,
                      const std::string& what = "a collective error check") {
  int bad = local_error.empty() ? 0 : 1;
  int any_bad = 0;
  mpi::allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, comm, what);
  if (!any_bad) return;

  const std::vector<std::string> all = mpi::allgather_text(local_error, comm, what);
  const int size = static_cast<int>(all.size());

  // The messages, each once, with the ranks that sent it ("0-3,7"), in order of the first rank.
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  int reporting = 0;
  for (int r = 0; r < size; ++r) {
    if (all[r].empty()) continue;
    ++reporting;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == all[r]; });
    if (it == groups.end()) groups.push_back({all[r], {r}});
    else it->second.push_back(r);
  }
  std::ostringstream os;
  if (groups.size() == 1 && reporting == size) {
    os << groups.front().first;
  } else {
    const std::size_t shown = 8;  // on thousands of ranks, thousands of different messages help nobody
    for (std::size_t i = 0; i < groups.size() && i < shown; ++i) {
      const auto& ranks = groups[i].second;
      os << (i ? "; " : "") << groups[i].first << " (on rank" << (ranks.size() > 1 ? "s " : " ")
         << rank_ranges(ranks) << ")";
    }
    if (groups.size() > shown) os << "; and " << groups.size() - shown << " other messages";
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
