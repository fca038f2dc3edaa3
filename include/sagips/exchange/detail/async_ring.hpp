#pragma once
// AsyncRing, the SAGIPS scheme. Ranks form groups of g consecutive ranks (rank r is in group r / g,
// its leader is the group's first rank). At step t:
//   inner step (t % k != 0): every rank gets the average of its group (a ring inside the group, or
//                            one-sided reads of the group's windows with rma);
//   outer step (t % k == 0): weak             the leaders average among themselves; the other ranks
//                                             keep their own gradient (the copies drift apart);
//                            strong           every rank gets the average of all ranks;
//                            leader_broadcast the leaders average among themselves and send the result
//                                             to their group.
// The ring is non-blocking: start() posts the first round, test() advances it while the trainer
// runs the discriminator step, finish() completes it. Small buffers use the pass-along ring, large
// ones the chunked ring (Config::chunk_threshold). Staleness: docs/exchange.md.
//
// RMA: one MPI window per group over the whole flat buffer. Each rank stores gradient/g in its window,
// (barrier), reads every other member's whole window (offset 0 of that window: the flat buffer has
// one tensor), skips a read that is not finite (counted in stats().nonfinite_reads), sums in rank
// order, (barrier). Without the barriers a rank may read a member's previous-step values.

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "sagips/exchange/config.hpp"
#include "sagips/exchange/detail/common.hpp"
#include "sagips/exchange/detail/ring.hpp"
#include "sagips/exchange/strategies.hpp"

namespace sagips::exchange {

template <class Tag, class T>
class Exchanger;

template <class T>
class Exchanger<AsyncRing, T> : public detail::NoServer<T> {
 public:
  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : c_(c), n_(n) {
    MPI_Comm_dup(comm, &world_);
    MPI_Comm_rank(world_, &rank_);
    MPI_Comm_size(world_, &size_);
    std::string problem;
    if (c.outer_period < 1) problem = "outer period " + std::to_string(c.outer_period) + " must be at least 1";
    check_all(world_, problem);
    g_ = detail::resolve_group_size(world_, c.group_size);
    leader_ = rank_ % g_ == 0;
    MPI_Comm_split(world_, rank_ / g_, rank_, &group_);
    MPI_Comm_split(world_, leader_ ? 0 : MPI_UNDEFINED, rank_, &leaders_);
    world_watch_ = detail::StallWatch(world_, c.timeout_seconds, "async-ring (outer, all ranks)");
    group_watch_ = detail::StallWatch(group_, c.timeout_seconds, "async-ring (inner, group)");
    if (leader_) leaders_watch_ = detail::StallWatch(leaders_, c.timeout_seconds, "async-ring (outer, leaders)");
    if (c_.rma && g_ > 1) {
      MPI_Win_allocate(static_cast<MPI_Aint>(n_ * sizeof(T)), sizeof(T), MPI_INFO_NULL, group_, &win_mem_, &win_);
      MPI_Win_lock_all(0, win_);
      reads_.resize(n_ * static_cast<std::size_t>(g_));
    }
  }
  ~Exchanger() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    if (win_ != MPI_WIN_NULL) {
      MPI_Win_unlock_all(win_);
      MPI_Win_free(&win_);
    }
    if (leaders_ != MPI_COMM_NULL) MPI_Comm_free(&leaders_);
    MPI_Comm_free(&group_);
    MPI_Comm_free(&world_);
  }
  Exchanger(const Exchanger&) = delete;
  Exchanger& operator=(const Exchanger&) = delete;

  int group_size() const { return g_; }
  bool is_leader() const { return leader_; }

  void start(T* grads, const T*, std::int64_t step) {
    detail::check_finite(grads, n_, step);
    grads_ = grads;
    step_ = step;
    broadcast_ = false;
    watch_ = nullptr;
    const bool chunked = n_ >= c_.chunk_threshold;
    if (step % c_.outer_period != 0) {  // inner step
      if (c_.rma && g_ > 1) {
        rma_average(grads, step);
      } else {
        ring_.begin(group_, grads, n_, chunked);
        watch_ = &group_watch_;
      }
    } else if (c_.mode == Mode::strong) {
      ring_.begin(world_, grads, n_, chunked);
      watch_ = &world_watch_;
    } else {
      if (leader_) {
        ring_.begin(leaders_, grads, n_, chunked);
        watch_ = &leaders_watch_;
      }
      broadcast_ = c_.mode == Mode::leader_broadcast && g_ > 1;
    }
  }

  bool test() { return watch_ == nullptr || ring_.progress(); }

  void finish() {
    if (watch_) stats_.wait_seconds += ring_.finish(*watch_, step_);
    if (broadcast_) {
      std::vector<MPI_Request> r(1);
      MPI_Ibcast(grads_, static_cast<int>(n_), detail::mpi_type<T>(), 0, group_, &r[0]);
      stats_.wait_seconds += group_watch_.wait(r, step_, "the group leader's broadcast");
      if (leader_) broadcast_bytes_ += static_cast<double>(n_ * sizeof(T));
    }
    stats_.bytes_sent = ring_.bytes_sent() + rma_bytes_ + broadcast_bytes_;
    ++stats_.exchanges;
  }

  MPI_Comm sync_comm() const { return MPI_COMM_WORLD; }
  const Stats& stats() const { return stats_; }

 private:
  void rma_average(T* grads, std::int64_t step) {
    const T inv = T(1) / static_cast<T>(g_);
    for (std::size_t i = 0; i < n_; ++i) win_mem_[i] = grads[i] * inv;
    MPI_Win_sync(win_);
    if (c_.rma_barrier) barrier(step);
    int me = 0;
    MPI_Comm_rank(group_, &me);
    for (int q = 0; q < g_; ++q)
      if (q != me && n_ > 0)
        MPI_Get(reads_.data() + static_cast<std::size_t>(q) * n_, static_cast<int>(n_), detail::mpi_type<T>(), q, 0,
                static_cast<int>(n_), detail::mpi_type<T>(), win_);
    MPI_Win_flush_all(win_);
    if (c_.rma_barrier) barrier(step);
    std::memcpy(reads_.data() + static_cast<std::size_t>(me) * n_, win_mem_, n_ * sizeof(T));
    std::vector<char> ok(static_cast<std::size_t>(g_), 1);
    for (int q = 0; q < g_; ++q) {
      const T* r = reads_.data() + static_cast<std::size_t>(q) * n_;
      for (std::size_t i = 0; i < n_ && ok[static_cast<std::size_t>(q)]; ++i)
        if (!std::isfinite(r[i])) ok[static_cast<std::size_t>(q)] = 0;
      if (!ok[static_cast<std::size_t>(q)]) ++stats_.nonfinite_reads;
    }
    for (std::size_t i = 0; i < n_; ++i) {
      T s = 0;
      for (int q = 0; q < g_; ++q)
        if (ok[static_cast<std::size_t>(q)]) s += reads_[static_cast<std::size_t>(q) * n_ + i];
      grads[i] = s;
    }
    rma_bytes_ += static_cast<double>(n_ * sizeof(T)) * (g_ - 1);
  }
  void barrier(std::int64_t step) {
    std::vector<MPI_Request> r(1);
    MPI_Ibarrier(group_, &r[0]);
    stats_.wait_seconds += group_watch_.wait(r, step, "the group's window barrier");
  }

  Config c_;
  std::size_t n_;
  MPI_Comm world_ = MPI_COMM_NULL, group_ = MPI_COMM_NULL, leaders_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, g_ = 1;
  bool leader_ = false, broadcast_ = false;
  detail::StallWatch world_watch_, group_watch_, leaders_watch_;
  const detail::StallWatch* watch_ = nullptr;
  detail::RingAverage<T> ring_;
  T* grads_ = nullptr;
  std::int64_t step_ = 0;
  MPI_Win win_ = MPI_WIN_NULL;
  T* win_mem_ = nullptr;  // the window's memory, allocated by MPI (shared memory within a node)
  std::vector<T> reads_;
  double rma_bytes_ = 0, broadcast_bytes_ = 0;
  Stats stats_;
};

}  // namespace sagips::exchange
