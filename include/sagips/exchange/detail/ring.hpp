#pragma once
// The two rings, as non-blocking state machines on a communicator: begin() posts the first round,
// progress() advances as far as the messages allow (never blocks), finish() completes under the stall
// watchdog. Both leave the average of every rank's buffer in `buf`, the same bits on every rank and
// in every run, whatever the order in which messages arrive:
//
//  - pass-along (small buffers; SAGIPS's conventional ring): N-1 rounds, in each every rank sends the
//    whole buffer it last received (its own, first) to its right neighbour and receives one from its
//    left; it keeps all N buffers and sums them in rank order.
//  - chunked (large buffers; bandwidth-optimal): reduce-scatter then all-gather over N chunks, 2(N-1)
//    rounds of one chunk each; each chunk is summed once, in ring order, by the rank that then owns it.
//
// The buffers live in memory space Space (host, or device memory handed to a CUDA-aware MPI); the
// sums run in Space's execution space (exchange/buffer.hpp). Scratch space is allocated once per
// buffer size and kept.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <string>
#include <thread>

#include "sagips/core/watchdog.hpp"
#include "sagips/exchange/buffer.hpp"

namespace sagips::exchange::detail {

template <class T, class Space>
class RingAverage {
  using Ops = BufferOps<T, Space>;
  using View = typename Ops::View;

 public:
  void begin(MPI_Comm comm, View buf, bool chunked) {
    comm_ = comm;
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    buf_ = buf;
    n_ = buf.extent(0);
    chunked_ = chunked;
    round_ = 0;
    rounds_ = size_ <= 1 || n_ == 0 ? 0 : (chunked ? 2 * (size_ - 1) : size_ - 1);
    left_ = (rank_ + size_ - 1) % size_;
    right_ = (rank_ + 1) % size_;
    if (!chunked_ && rounds_ > 0) {
      if (slots_.extent(0) != static_cast<std::size_t>(size_) || slots_.extent(1) != n_)
        slots_ = Kokkos::View<T**, Kokkos::LayoutRight, Space>("sagips::exchange::ring_slots", size_, n_);
      Ops::copy(slot(rank_), buf_);
    }
    if (chunked_ && rounds_ > 0 && tmp_.extent(0) < n_ / static_cast<std::size_t>(size_) + 1)
      tmp_ = View("sagips::exchange::ring_chunk", n_ / static_cast<std::size_t>(size_) + 1);
    active_ = rounds_ > 0;
    if (active_) {
      Ops::fence();
      post();
    } else {
      finish_average();
    }
  }

  bool done() const { return !active_; }
  double bytes_sent() const { return bytes_; }

  // Advances without blocking; true when the average is in the buffer.
  bool progress() {
    while (active_) {
      int flag = 0;
      MPI_Testall(2, reqs_, &flag, MPI_STATUSES_IGNORE);
      if (!flag) return false;
      complete_round();
    }
    return true;
  }

  // Completes under the watchdog (what names it in a stall report); returns the seconds spent waiting.
  // With the watchdog off there is nothing to watch: each round blocks in MPI_Waitall, no polling.
  double finish(const std::string& what) {
    const double t0 = watchdog::now();
    const double limit = watchdog::timeout();
    if (limit <= 0) {
      while (active_) {
        MPI_Waitall(2, reqs_, MPI_STATUSES_IGNORE);
        complete_round();
      }
      return watchdog::now() - t0;
    }
    while (!progress()) {
      const double waited = watchdog::now() - t0;
      if (limit > 0 && waited > limit)
        watchdog::report_stall(comm_, what + " (waiting for rank " + std::to_string(left_) + " of its ring, round " +
                                          std::to_string(round_) + ")",
                               waited);
      std::this_thread::yield();
    }
    return watchdog::now() - t0;
  }

 private:
  View slot(int r) {
    return Kokkos::subview(slots_, static_cast<std::size_t>(r), Kokkos::ALL);
  }
  std::size_t chunk_begin(int c) const { return n_ * static_cast<std::size_t>(c) / static_cast<std::size_t>(size_); }
  std::size_t chunk_size(int c) const { return chunk_begin(c + 1) - chunk_begin(c); }
  int mod(int a) const { return ((a % size_) + size_) % size_; }

  void post() {
    const MPI_Datatype type = mpi_type<T>();
    const int tag = 500 + (round_ & 1);
    T* send = nullptr;
    T* recv = nullptr;
    std::size_t send_n = 0, recv_n = 0;
    if (!chunked_) {
      send = slot(mod(rank_ - round_)).data();
      recv = slot(mod(rank_ - round_ - 1)).data();
      send_n = recv_n = n_;
    } else if (round_ < size_ - 1) {  // reduce-scatter
      const int cs = mod(rank_ - round_), cr = mod(rank_ - round_ - 1);
      send = buf_.data() + chunk_begin(cs);
      send_n = chunk_size(cs);
      recv = tmp_.data();
      recv_n = chunk_size(cr);
    } else {  // all-gather
      const int s = round_ - (size_ - 1);
      const int cs = mod(rank_ + 1 - s), cr = mod(rank_ - s);
      send = buf_.data() + chunk_begin(cs);
      send_n = chunk_size(cs);
      recv = buf_.data() + chunk_begin(cr);
      recv_n = chunk_size(cr);
    }
    MPI_Irecv(recv, static_cast<int>(recv_n), type, left_, tag, comm_, &reqs_[1]);
    MPI_Isend(send, static_cast<int>(send_n), type, right_, tag, comm_, &reqs_[0]);
    bytes_ += static_cast<double>(send_n * sizeof(T));
  }

  void complete_round() {
    if (chunked_ && round_ < size_ - 1) {
      const int cr = mod(rank_ - round_ - 1);
      const std::size_t m = chunk_size(cr);
      Ops::add(Ops::part(buf_, chunk_begin(cr), m), Ops::part(tmp_, 0, m));
    }
    ++round_;
    if (round_ < rounds_) {
      Ops::fence();
      post();
    } else {
      finish_average();
    }
  }

  void finish_average() {
    active_ = false;
    if (n_ == 0 || size_ <= 1) return;
    const T inv = T(1) / static_cast<T>(size_);
    if (!chunked_)
      Ops::sum_slots(slots_, size_, buf_, inv);
    else
      Ops::scale(buf_, inv);
    Ops::fence();
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, left_ = 0, right_ = 0;
  View buf_;
  std::size_t n_ = 0;
  bool chunked_ = false, active_ = false;
  int round_ = 0, rounds_ = 0;
  Kokkos::View<T**, Kokkos::LayoutRight, Space> slots_;
  View tmp_;
  MPI_Request reqs_[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  double bytes_ = 0;
};

}  // namespace sagips::exchange::detail
