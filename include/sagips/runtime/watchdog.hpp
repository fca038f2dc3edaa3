#pragma once
// The stall watchdog. Every collective of a run waits under it: a wait that lasts longer than the
// timeout names the ranks that never arrived and aborts the job (exit code 124), so a rank that
// stopped, hangs elsewhere or died costs the job one timeout instead of the whole allocation.
//
//   sagips::watchdog::set_timeout(60);                              // seconds; 0 switches it off
//   sagips::mpi::allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, comm, "the metrics reduction");
//   MPI_Request r;  MPI_Ibcast(..., &r);  sagips::watchdog::wait(comm, &r, 1, "the weights broadcast");
//
// Naming the missing ranks: a rank whose wait times out tells every rank of the job that it is stuck
// (a one-word message on MPI_COMM_WORLD under a reserved tag; above 4096 ranks only the ranks of its
// communicator), collects the same notice from the others for a grace period, and the lowest stuck
// rank prints the ranks of the communicator that never sent one. A rank stuck in a different
// collective (of this communicator or another) also sends notices and is therefore not blamed: the
// ranks named are those in none. A wait that completes during the grace period was slow, not stalled: every
// rank arrived, nothing is printed, the notices are received and dropped, and the run goes on.
//
// The clock is MPI_Wtime unless set_clock() says otherwise, so simulated MPI (SimGrid's SMPI) counts
// simulated seconds. Waiting loops yield the core between polls (ranks often outnumber cores on a
// laptop or in CI). With the watchdog off (timeout 0) nothing polls: a wait blocks in MPI_Waitall and
// the collectives below are MPI's blocking ones (the library's own algorithms; also the only ones
// SimGrid 3.32 gets right: it has no MPI_Comm_idup, its MPI_Ibarrier does not wait for everyone and
// its in-place MPI_Iallreduce sends garbage).

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sagips {

namespace watchdog {

struct Settings {
  double timeout = 300;                            // seconds; 0: off
  double (*clock)() = [] { return MPI_Wtime(); };  // seconds since some fixed point
};

inline Settings& settings() {
  static Settings s;
  return s;
}

inline void set_timeout(double seconds) { settings().timeout = seconds > 0 ? seconds : 0; }
inline double timeout() { return settings().timeout; }
inline void set_clock(double (*clock)()) { settings().clock = clock; }
inline double now() { return settings().clock(); }

namespace detail {
constexpr int notice_tag = 32101;  // MPI guarantees tags up to 32767
constexpr int notify_all_limit = 4096;

inline std::string join(const std::vector<int>& ranks) {
  std::string s;
  for (int r : ranks) s += (s.empty() ? "" : ",") + std::to_string(r);
  return s.empty() ? "none" : s;
}

// The world ranks of comm's members, in comm's rank order.
inline std::vector<int> world_ranks(MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<int> local(static_cast<std::size_t>(size)), world(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) local[static_cast<std::size_t>(r)] = r;
  MPI_Group g, wg;
  MPI_Comm_group(comm, &g);
  MPI_Comm_group(MPI_COMM_WORLD, &wg);
  MPI_Group_translate_ranks(g, size, local.data(), wg, world.data());
  MPI_Group_free(&g);
  MPI_Group_free(&wg);
  return world;
}
}  // namespace detail

namespace detail {
// Receives the notices waiting for this rank: those of a slow wait that completed after all, so that
// a later report does not count their senders as waiting.
inline void drain_notices() {
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, notice_tag, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return;
    long v = 0;
    MPI_Recv(&v, 1, MPI_LONG, st.MPI_SOURCE, notice_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
}
}  // namespace detail

// After a wait on comm passed its limit: tell comm's other ranks that this one is stuck, collect
// their notices for a grace period, then print the ranks that sent none and abort the job.
// `completed` (optional) is asked during the grace period whether the wait finished after all: then
// every rank did arrive, the wait was slow rather than stalled, and stall() returns (nothing printed).
inline void stall(MPI_Comm comm, const std::string& what, double waited, double limit,
                  const std::function<bool()>& completed) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  const std::vector<int> members = detail::world_ranks(comm);
  static long token = 0;  // the send buffer must outlive the sends, which may outlive this call
  token = world_rank;
  // The notice goes to every rank of the job, not only to this collective's: a rank stuck in another
  // communicator's collective (a parameter server's master, waiting for a worker that waits in the
  // workers' vote) then counts it as waiting too. Above detail::notify_all_limit ranks, only to the
  // collective's members (the notices of a stall grow as the square of the ranks that time out).
  int world_size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  std::vector<int> targets = members;
  if (world_size <= detail::notify_all_limit) {
    targets.resize(static_cast<std::size_t>(world_size));
    for (int q = 0; q < world_size; ++q) targets[static_cast<std::size_t>(q)] = q;
  }
  std::vector<MPI_Request> sends;
  sends.reserve(targets.size());
  for (int q : targets)
    if (q != world_rank) {
      sends.emplace_back();
      MPI_Isend(&token, 1, MPI_LONG, q, detail::notice_tag, MPI_COMM_WORLD, &sends.back());
    }
  std::vector<int> stuck = {world_rank};
  const double grace = std::min(10.0, std::max(2.0, limit / 2)), t0 = now();
  while (now() - t0 < grace) {
    if (completed && completed()) {  // everyone arrived: a slow wait, not a stall
      for (auto& r : sends) MPI_Request_free(&r);
      detail::drain_notices();
      return;
    }
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, detail::notice_tag, MPI_COMM_WORLD, &flag, &st);
    if (flag) {
      long v = 0;
      MPI_Recv(&v, 1, MPI_LONG, st.MPI_SOURCE, detail::notice_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      stuck.push_back(st.MPI_SOURCE);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  std::vector<int> missing, waiting;
  for (int q : members)
    (std::find(stuck.begin(), stuck.end(), q) != stuck.end() ? waiting : missing).push_back(q);
  // The lowest waiting rank prints the report and ends the job. It may have started waiting later
  // than this rank: a rank that leaves the printing to it gives it its grace period first, or
  // MPI_Abort from here could end the job before anything was printed; then prints its own report.
  if (waiting.front() != world_rank) std::this_thread::sleep_for(std::chrono::duration<double>(grace + 2.0));
  if (missing.empty())
    std::fprintf(stderr,
                 "[sagips watchdog] %s stalled for %.0f s: every rank of its communicator (%s) is waiting, each "
                 "in a collective the others are not in; aborting the job\n",
                 what.c_str(), waited, detail::join(waiting).c_str());
  else
    std::fprintf(stderr,
                 "[sagips watchdog] %s stalled for %.0f s: rank(s) %s did not arrive (waiting: %s); aborting the job\n",
                 what.c_str(), waited, detail::join(missing).c_str(), detail::join(waiting).c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 124);
  std::abort();  // MPI_Abort does not return
}

// The report after a timeout with nothing left to complete: find the missing ranks of comm, print
// them (once), abort the job.
[[noreturn]] inline void report_stall(MPI_Comm comm, const std::string& what, double waited,
                                      double limit = settings().timeout) {
  stall(comm, what, waited, limit, nullptr);
  std::abort();  // stall() without `completed` does not return
}

// Waits for n requests of a collective (or any traffic) on comm under the watchdog; returns the
// seconds spent waiting. `what` names the wait in a report ("the metrics reduction of step 400").
inline double wait(MPI_Comm comm, MPI_Request* reqs, int n, const std::string& what,
                   double limit = settings().timeout) {
  const double t0 = now();
  if (limit <= 0) {
    MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE);
    return now() - t0;
  }
  auto done = [&] {
    int flag = 0;
    MPI_Testall(n, reqs, &flag, MPI_STATUSES_IGNORE);
    return flag != 0;
  };
  for (;;) {
    if (done()) break;
    const double waited = now() - t0;
    if (waited > limit) {
      stall(comm, what, waited, limit, done);
      break;  // it completed during the grace period
    }
    std::this_thread::yield();
  }
  detail::drain_notices();  // what ranks of a slow wait (this one's or another's) sent: one probe when none
  return now() - t0;
}
inline double wait(MPI_Comm comm, std::vector<MPI_Request>& reqs, const std::string& what,
                   double limit = settings().timeout) {
  return wait(comm, reqs.data(), static_cast<int>(reqs.size()), what, limit);
}

}  // namespace watchdog

// Collectives under the watchdog: the non-blocking MPI call, then a watched wait. `what` names the
// collective in a stall report. With the watchdog off: the blocking MPI call.
namespace mpi {

namespace detail {
inline bool unwatched() { return watchdog::timeout() <= 0; }
}  // namespace detail

inline void barrier(MPI_Comm comm, const std::string& what) {
  if (detail::unwatched()) {
    MPI_Barrier(comm);
    return;
  }
  MPI_Request r;
  MPI_Ibarrier(comm, &r);
  watchdog::wait(comm, &r, 1, what);
}

inline void allreduce(const void* send, void* recv, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                      const std::string& what) {
  if (detail::unwatched()) {
    MPI_Allreduce(send, recv, count, type, op, comm);
    return;
  }
  MPI_Request r;
  MPI_Iallreduce(send, recv, count, type, op, comm, &r);
  watchdog::wait(comm, &r, 1, what);
}

inline void bcast(void* buf, int count, MPI_Datatype type, int root, MPI_Comm comm, const std::string& what) {
  if (detail::unwatched()) {
    MPI_Bcast(buf, count, type, root, comm);
    return;
  }
  MPI_Request r;
  MPI_Ibcast(buf, count, type, root, comm, &r);
  watchdog::wait(comm, &r, 1, what);
}

inline void allgather(const void* send, int send_count, MPI_Datatype send_type, void* recv, int recv_count,
                      MPI_Datatype recv_type, MPI_Comm comm, const std::string& what) {
  if (detail::unwatched()) {
    MPI_Allgather(send, send_count, send_type, recv, recv_count, recv_type, comm);
    return;
  }
  MPI_Request r;
  MPI_Iallgather(send, send_count, send_type, recv, recv_count, recv_type, comm, &r);
  watchdog::wait(comm, &r, 1, what);
}

inline void allgatherv(const void* send, int send_count, MPI_Datatype send_type, void* recv, const int* counts,
                       const int* displs, MPI_Datatype recv_type, MPI_Comm comm, const std::string& what) {
  if (detail::unwatched()) {
    MPI_Allgatherv(send, send_count, send_type, recv, counts, displs, recv_type, comm);
    return;
  }
  MPI_Request r;
  MPI_Iallgatherv(send, send_count, send_type, recv, counts, displs, recv_type, comm, &r);
  watchdog::wait(comm, &r, 1, what);
}

// Every rank's text, to every rank, in rank order: the lengths, then the characters. The texts
// together must fit an int's count of characters (MPI counts are int): more is refused, on every rank
// alike (they all see the same lengths).
inline std::vector<std::string> allgather_text(const std::string& mine, MPI_Comm comm, const std::string& what) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const long long own = static_cast<long long>(mine.size());
  const int length = own > INT_MAX ? -1 : static_cast<int>(own);
  std::vector<int> lengths(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size), 0);
  allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm, what);
  long long total = 0;
  for (int r = 0; r < size; ++r) total += lengths[r] < 0 ? 1LL + INT_MAX : lengths[r];
  if (total > INT_MAX)
    throw std::length_error(what + ": the ranks' texts together exceed " + std::to_string(INT_MAX) + " characters");
  for (int r = 1; r < size; ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
  std::string all(static_cast<std::size_t>(total), '\0');
  allgatherv(mine.data(), length, MPI_CHAR, &all[0], lengths.data(), offsets.data(), MPI_CHAR, comm, what);
  std::vector<std::string> texts(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) texts[r] = all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r]));
  return texts;
}

// MPI_Comm_split has no non-blocking form: a watched barrier first, so a missing rank is named
// there instead of hanging the split.
inline MPI_Comm split(MPI_Comm comm, int color, int key, const std::string& what) {
  barrier(comm, what);
  MPI_Comm out = MPI_COMM_NULL;
  MPI_Comm_split(comm, color, key, &out);
  return out;
}

inline MPI_Comm dup(MPI_Comm comm, const std::string& what) {
  MPI_Comm out = MPI_COMM_NULL;
  if (detail::unwatched()) {
    MPI_Comm_dup(comm, &out);
    return out;
  }
  MPI_Request r;
  MPI_Comm_idup(comm, &out, &r);
  watchdog::wait(comm, &r, 1, what);
  return out;
}

}  // namespace mpi
}  // namespace sagips
