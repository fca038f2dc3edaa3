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
// The ring is non-blocking: start() posts the first round, test() advances it while the trainer runs
// the discriminator step, finish() completes it. Small buffers use the pass-along ring, large ones the
// chunked ring (Config::chunk_threshold). Staleness: docs/exchange.md.
//
// RMA: one MPI window per group over the whole flat buffer (host memory, allocated by MPI: shared
// memory within a node). Each rank stores gradient/g in its window, (barrier), reads every other
// member's whole window (offset 0 of that window: the flat buffer is one tensor), skips a read that is
// not finite (counted in stats().nonfinite_reads), sums in rank order, (barrier). Without the barriers
// a rank may read a member's previous-step values. Device buffers pass through the host window.
//
// Compression (Config::compression): the rings carry 16-bit values (detail/ring.hpp). A leader's
// broadcast of the leaders' average stays in T: rounding it would add an error that no residual could
// return to the same average (the next step averages another set of ranks). The one-sided windows
// hold T: --rma with compression is refused on every rank.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/detail/groups.hpp"
#include "sagips/exchange/detail/ring.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange {

struct AsyncRing {
  static constexpr const char* name = "async-ring";
  static constexpr bool device_buffers = true;
  static constexpr bool compressible = true;
  static constexpr Reads options = Reads::group_size | Reads::outer_period | Reads::mode | Reads::rma |
                                   Reads::rma_barrier | Reads::chunk_threshold | Reads::compression;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
    using Ops = BufferOps<T, Space>;
    using View = Kokkos::View<T*, Space>;

   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t n)
        : NoServer<T, Space>(comm), c_(c), n_(n), layout_(comm, c.group_size, "the async ring") {
      std::string problem;
      if (c.outer_period < 1) problem = "outer period " + std::to_string(c.outer_period) + " must be at least 1";
      else if (c.rma && c.compression != Compression::none)
        problem = std::string("--compression ") + to_string(c.compression) +
                  " is refused with --rma: the one-sided windows hold full-precision values, and compression is for "
                  "two-sided messages (drop one of the two)";
      check_all(layout_.world(), problem, "the async ring's set-up");
      g_ = layout_.group_size();
      leaders_ = layout_.leaders();
      if (c_.rma && g_ > 1) {
        mpi::barrier(layout_.group(), "the async ring's windows");
        MPI_Win_allocate(static_cast<MPI_Aint>(n_ * sizeof(T)), sizeof(T), MPI_INFO_NULL, layout_.group(), &win_mem_,
                         &win_);
        MPI_Win_lock_all(0, win_);
        reads_ = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace>("sagips::exchange::rma_reads", g_, n_);
      }
    }
    ~Impl() {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (finalized || win_ == MPI_WIN_NULL) return;
      MPI_Win_unlock_all(win_);
      MPI_Win_free(&win_);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    int group_size() const { return g_; }
    bool is_leader() const { return layout_.leader(); }

    void start(View grads, std::int64_t step) {
      grads_ = grads;
      step_ = step;
      broadcast_ = false;
      ring_comm_ = MPI_COMM_NULL;
      const bool chunked = n_ >= c_.chunk_threshold;
      if (!outer(step)) {
        if (c_.rma && g_ > 1)
          rma_average(grads, step);
        else
          begin_ring(layout_.group(), chunked, "inner (group)");
      } else if (c_.mode == Mode::strong) {
        begin_ring(layout_.world(), chunked, "outer (all ranks)");
      } else {
        if (layout_.leader()) begin_ring(leaders_, chunked, "outer (leaders)");
        broadcast_ = c_.mode == Mode::leader_broadcast && g_ > 1;
      }
    }

    bool test() { return ring_comm_ == MPI_COMM_NULL || ring_.progress(); }

    void finish() {
      if (ring_comm_ != MPI_COMM_NULL)
        this->stats_.wait_seconds +=
            ring_.finish(std::string("the async-ring ") + ring_what_ + " exchange of step " + std::to_string(step_));
      if (broadcast_) {
        Ops::fence();
        MPI_Request r;
        MPI_Ibcast(grads_.data(), static_cast<int>(n_), mpi_type<T>(), 0, layout_.group(), &r);
        this->stats_.wait_seconds +=
            watchdog::wait(layout_.group(), &r, 1, "the group leader's broadcast of step " + std::to_string(step_));
        if (layout_.leader()) broadcast_bytes_ += static_cast<double>(n_ * sizeof(T));
      }
      this->stats_.bytes_sent = ring_.bytes_sent() + rma_bytes_ + broadcast_bytes_;
      ++this->stats_.exchanges;
    }

    std::vector<int> contributors(std::int64_t step) const { return layout_.sagips_contributors(outer(step), c_.mode); }

   private:
    bool outer(std::int64_t step) const { return step % c_.outer_period == 0; }
    void begin_ring(MPI_Comm comm, bool chunked, const char* what) {
      ring_comm_ = comm;
      ring_what_ = what;
      ring_.begin(comm, grads_, chunked, c_.compression, this->residual_);
    }

    void rma_average(View grads, std::int64_t step) {
      const T inv = T(1) / static_cast<T>(g_);
      const Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged> window(win_mem_, n_);
      Kokkos::deep_copy(ExecSpace(), window, grads);  // device buffers pass through the host window
      ExecSpace().fence();                            // (that execution space's work only: no global fence)
      for (std::size_t i = 0; i < n_; ++i) window(i) *= inv;
      MPI_Win_sync(win_);
      if (c_.rma_barrier) barrier(step);
      const int me = layout_.group().rank();
      for (int q = 0; q < g_; ++q)
        if (q != me && n_ > 0)
          MPI_Get(&reads_(q, 0), static_cast<int>(n_), mpi_type<T>(), q, 0, static_cast<int>(n_), mpi_type<T>(), win_);
      MPI_Win_flush_all(win_);
      if (c_.rma_barrier) barrier(step);
      for (std::size_t i = 0; i < n_; ++i) reads_(me, i) = window(i);
      std::vector<char> ok(static_cast<std::size_t>(g_), 1);
      for (int q = 0; q < g_; ++q) {
        for (std::size_t i = 0; i < n_ && ok[static_cast<std::size_t>(q)]; ++i)
          if (!std::isfinite(reads_(q, i))) ok[static_cast<std::size_t>(q)] = 0;
        if (!ok[static_cast<std::size_t>(q)]) ++this->stats_.nonfinite_reads;
      }
      // The sum goes into this rank's own row of reads_ (never into the window, which a member without
      // the barrier may still be reading).
      for (std::size_t i = 0; i < n_; ++i) {
        T s = 0;
        for (int q = 0; q < g_; ++q)
          if (ok[static_cast<std::size_t>(q)]) s += reads_(q, i);
        reads_(me, i) = s;
      }
      Kokkos::deep_copy(ExecSpace(), grads, Kokkos::subview(reads_, me, Kokkos::ALL));
      rma_bytes_ += static_cast<double>(n_ * sizeof(T)) * (g_ - 1);
    }
    void barrier(std::int64_t step) {
      MPI_Request r;
      MPI_Ibarrier(layout_.group(), &r);
      this->stats_.wait_seconds +=
          watchdog::wait(layout_.group(), &r, 1, "the group's window barrier of step " + std::to_string(step));
    }

    Config c_;
    std::size_t n_;
    detail::GroupLayout layout_;
    Comm leaders_;
    int g_ = 1;  // layout_.group_size()
    bool broadcast_ = false;
    MPI_Comm ring_comm_ = MPI_COMM_NULL;
    const char* ring_what_ = "";
    detail::RingAverage<T, Space> ring_;
    View grads_;
    std::int64_t step_ = 0;
    MPI_Win win_ = MPI_WIN_NULL;
    T* win_mem_ = nullptr;  // the window's memory, allocated by MPI
    Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace> reads_;
    double rma_bytes_ = 0, broadcast_bytes_ = 0;
  };
};

}  // namespace sagips::exchange
