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

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

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

// The stall watchdog's report. The ranks of `comm` that are stuck in the same exchange tell each
// other so (on a private duplicate), wait a grace period for the others, and the first of them names
// the ranks that never said so; then the job is aborted (exit code 124). A rank that skipped the
// exchange, hangs elsewhere or died is named.
class StallWatch {
 public:
  StallWatch() = default;
  explicit StallWatch(MPI_Comm comm, double timeout, const char* strategy) : timeout_(timeout), strategy_(strategy) {
    MPI_Comm_dup(comm, &comm_);
  }
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;
  StallWatch(StallWatch&& o) noexcept { *this = std::move(o); }
  StallWatch& operator=(StallWatch&& o) noexcept {
    std::swap(comm_, o.comm_);
    timeout_ = o.timeout_;
    strategy_ = o.strategy_;
    return *this;
  }
  ~StallWatch() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
  }

  double timeout() const { return timeout_; }

  [[noreturn]] void report(std::int64_t step, const std::string& waiting_for) const {
    int rank = 0, size = 1, world = 0;
    MPI_Comm_rank(comm_, &rank);
    MPI_Comm_size(comm_, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &world);
    std::vector<int> world_of(static_cast<std::size_t>(size));
    MPI_Group g, wg;
    MPI_Comm_group(comm_, &g);
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    std::vector<int> local(static_cast<std::size_t>(size));
    for (int r = 0; r < size; ++r) local[static_cast<std::size_t>(r)] = r;
    MPI_Group_translate_ranks(g, size, local.data(), wg, world_of.data());
    constexpr int tag = 9091;
    long token = static_cast<long>(step);
    std::vector<MPI_Request> sends;
    for (int q = 0; q < size; ++q)
      if (q != rank) {
        sends.emplace_back();
        MPI_Isend(&token, 1, MPI_LONG, q, tag, comm_, &sends.back());
      }
    std::vector<char> waiting(static_cast<std::size_t>(size), 0);
    waiting[static_cast<std::size_t>(rank)] = 1;
    const double grace = std::min(10.0, std::max(2.0, timeout_ / 2)), t0 = now();
    while (now() - t0 < grace) {
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, tag, comm_, &flag, &st);
      if (flag) {
        long v = 0;
        MPI_Recv(&v, 1, MPI_LONG, st.MPI_SOURCE, tag, comm_, MPI_STATUS_IGNORE);
        waiting[static_cast<std::size_t>(st.MPI_SOURCE)] = 1;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    std::string missing, present;
    int first = -1;
    for (int q = 0; q < size; ++q) {
      std::string& l = waiting[static_cast<std::size_t>(q)] ? present : missing;
      l += (l.empty() ? "" : ",") + std::to_string(world_of[static_cast<std::size_t>(q)]);
      if (waiting[static_cast<std::size_t>(q)] && first < 0) first = q;
    }
    if (rank == first)
      std::fprintf(stderr,
                   "[sagips exchange watchdog] %s exchange of step %lld stalled for %.0f s: rank(s) %s did not arrive "
                   "(waiting: %s; rank %d was waiting for %s); aborting\n",
                   strategy_, static_cast<long long>(step), timeout_, missing.empty() ? "none" : missing.c_str(),
                   present.c_str(), world, waiting_for.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 124);
    std::abort();  // MPI_Abort does not return
  }

  // Waits for all requests, reporting a stall after the timeout.
  double wait(std::vector<MPI_Request>& reqs, std::int64_t step, const std::string& waiting_for) const {
    const double t0 = now();
    for (;;) {
      int done = 0;
      MPI_Testall(static_cast<int>(reqs.size()), reqs.data(), &done, MPI_STATUSES_IGNORE);
      if (done) return now() - t0;
      if (now() - t0 > timeout_) report(step, waiting_for);
    }
  }

 private:
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
