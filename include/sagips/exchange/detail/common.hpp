#pragma once
// What the exchange strategies share: MPI datatypes, the finiteness check before sending, the stall
// watchdog, the group layout, the statistics, and the server hooks of the strategies without a server.

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "sagips/core/error.hpp"
#include "sagips/core/watchdog.hpp"
#include "sagips/exchange/config.hpp"

namespace sagips::exchange {

struct Stats {
  long exchanges = 0;           // start/finish pairs on this rank
  double bytes_sent = 0;        // payload bytes this rank sent
  double wait_seconds = 0;      // time spent blocked in finish (or in a synchronous start)
  long stale_updates = 0;       // parameter server: updates applied by this master
  double staleness_sum = 0;     // ... and the sum of their staleness (master step - worker's last pull)
  long staleness_max = 0;
  long nonfinite_reads = 0;     // RMA: neighbour buffers skipped by the finiteness guard
};

namespace detail {

// The parameter-server hooks (exchanger.hpp) as the strategies without a server have them: a rank is
// never a server and nothing happens after the weight update or at the end.
template <class T>
struct NoServer {
  void after_update(T*) {}
  bool is_server() const { return false; }
  template <class Apply>
  void serve(T*, Apply&&) {}
  void worker_done() {}
};

template <class T>
MPI_Datatype mpi_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "exchanges move float or double");
  return std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE;
}

// The watchdog's clock (MPI_Wtime unless set otherwise), so simulated MPI counts simulated time.
inline double now() { return watchdog::now(); }

// Non-finite gradients are found before they leave the rank.
template <class T>
void check_finite(const T* g, std::size_t n, std::int64_t step, const char* what = "generator gradient") {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(g[i])) {
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      throw Error("rank " + std::to_string(rank) + ": non-finite " + what + " at step " + std::to_string(step) +
                  " (element " + std::to_string(i) + " = " + std::to_string(double(g[i])) + "); not sending it");
    }
}

// The stall watchdog of an exchange (core/watchdog.hpp): waits on the exchange's requests and, past
// the timeout, names the ranks of its communicator that never arrived and aborts the job (exit 124).
class StallWatch {
 public:
  StallWatch() = default;
  StallWatch(MPI_Comm comm, double timeout, const char* strategy) : comm_(comm), timeout_(timeout), strategy_(strategy) {}

  double timeout() const { return timeout_; }

  [[noreturn]] void report(std::int64_t step, const std::string& waiting_for) const {
    watchdog::report_stall(comm_, describe(step, waiting_for), timeout_, timeout_);
  }

  // Waits for all requests, reporting a stall after the timeout.
  double wait(std::vector<MPI_Request>& reqs, std::int64_t step, const std::string& waiting_for) const {
    return watchdog::wait(comm_, reqs, describe(step, waiting_for), timeout_);
  }

 private:
  std::string describe(std::int64_t step, const std::string& waiting_for) const {
    return std::string("the ") + strategy_ + " exchange of step " + std::to_string(step) + " (waiting for " +
           waiting_for + ")";
  }
  MPI_Comm comm_ = MPI_COMM_NULL;
  double timeout_ = 300;
  const char* strategy_ = "";
};

// Groups of `g` consecutive ranks. g = 0: the number of ranks sharing a node, at most 4 (the same
// on every node: the smallest count wins), or all ranks when there are fewer.
inline int resolve_group_size(MPI_Comm comm, int requested) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  int g = requested;
  if (g == 0) {
    MPI_Comm node;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int local = 1;
    MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
    MPI_Allreduce(MPI_IN_PLACE, &local, 1, MPI_INT, MPI_MIN, comm);
    g = std::min({local, 4, size});
  }
  std::string problem;
  if (g < 1 || g > size)
    problem = "group size " + std::to_string(g) + " is not between 1 and the rank count " + std::to_string(size);
  else if (size % g != 0)
    problem = "group size " + std::to_string(g) + " does not divide the rank count " + std::to_string(size) +
              " (groups are " + std::to_string(g) + " consecutive ranks)";
  check_all(comm, problem);
  return g;
}

}  // namespace detail
}  // namespace sagips::exchange
