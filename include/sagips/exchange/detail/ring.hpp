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

#include <mpi.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sagips/exchange/detail/common.hpp"

namespace sagips::exchange::detail {

template <class T>
class RingAverage {
 public:
  void begin(MPI_Comm comm, T* buf, std::size_t n, bool chunked) {
    comm_ = comm;
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    buf_ = buf;
    n_ = n;
    chunked_ = chunked;
    round_ = 0;
    rounds_ = size_ <= 1 || n == 0 ? 0 : (chunked ? 2 * (size_ - 1) : size_ - 1);
    left_ = (rank_ + size_ - 1) % size_;
    right_ = (rank_ + 1) % size_;
    if (!chunked_ && rounds_ > 0) {
      slots_.resize(n_ * static_cast<std::size_t>(size_));
      std::memcpy(slot(rank_), buf_, n_ * sizeof(T));
    }
    if (chunked_ && rounds_ > 0) tmp_.resize(n_ / static_cast<std::size_t>(size_) + 1);
    active_ = rounds_ > 0;
    if (active_) post();
    else finish_average();
  }

  bool done() const { return !active_; }
  double bytes_sent() const { return bytes_; }
  int left() const { return left_; }

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

  // Completes under the watchdog; returns the seconds spent waiting.
  double finish(const StallWatch& watch, std::int64_t step) {
    const double t0 = now();
    while (!progress()) {
      if (watch.timeout() > 0 && now() - t0 > watch.timeout())
        watch.report(step, "rank " + std::to_string(world_rank(left_)) + " (ring round " + std::to_string(round_) + ")");
      std::this_thread::yield();
    }
    return now() - t0;
  }

 private:
  T* slot(int r) { return slots_.data() + static_cast<std::size_t>(r) * n_; }
  std::size_t chunk_begin(int c) const { return n_ * static_cast<std::size_t>(c) / static_cast<std::size_t>(size_); }
  std::size_t chunk_size(int c) const { return chunk_begin(c + 1) - chunk_begin(c); }
  int mod(int a) const { return ((a % size_) + size_) % size_; }
  int world_rank(int r) const {
    MPI_Group g, w;
    MPI_Comm_group(comm_, &g);
    MPI_Comm_group(MPI_COMM_WORLD, &w);
    int out = r;
    MPI_Group_translate_ranks(g, 1, &r, w, &out);
    MPI_Group_free(&g);
    MPI_Group_free(&w);
    return out;
  }

  void post() {
    const MPI_Datatype type = mpi_type<T>();
    const int tag = 500 + (round_ & 1);
    T* send = nullptr;
    T* recv = nullptr;
    std::size_t send_n = 0, recv_n = 0;
    if (!chunked_) {
      send = slot(mod(rank_ - round_));
      recv = slot(mod(rank_ - round_ - 1));
      send_n = recv_n = n_;
    } else if (round_ < size_ - 1) {  // reduce-scatter
      const int cs = mod(rank_ - round_), cr = mod(rank_ - round_ - 1);
      send = buf_ + chunk_begin(cs);
      send_n = chunk_size(cs);
      recv = tmp_.data();
      recv_n = chunk_size(cr);
    } else {  // all-gather
      const int s = round_ - (size_ - 1);
      const int cs = mod(rank_ + 1 - s), cr = mod(rank_ - s);
      send = buf_ + chunk_begin(cs);
      send_n = chunk_size(cs);
      recv = buf_ + chunk_begin(cr);
      recv_n = chunk_size(cr);
    }
    MPI_Irecv(recv, static_cast<int>(recv_n), type, left_, tag, comm_, &reqs_[1]);
    MPI_Isend(send, static_cast<int>(send_n), type, right_, tag, comm_, &reqs_[0]);
    bytes_ += static_cast<double>(send_n * sizeof(T));
  }

  void complete_round() {
    if (chunked_ && round_ < size_ - 1) {
      const int cr = mod(rank_ - round_ - 1);
      T* dst = buf_ + chunk_begin(cr);
      const std::size_t m = chunk_size(cr);
      for (std::size_t i = 0; i < m; ++i) dst[i] += tmp_[i];
    }
    ++round_;
    if (round_ < rounds_) {
      post();
    } else {
      finish_average();
    }
  }

  void finish_average() {
    active_ = false;
    if (n_ == 0) return;
    const T inv = T(1) / static_cast<T>(size_);
    if (!chunked_ && rounds_ > 0) {
      for (std::size_t i = 0; i < n_; ++i) {
        T s = 0;
        for (int r = 0; r < size_; ++r) s += slot(r)[i];
        buf_[i] = s * inv;
      }
    } else if (size_ > 1) {
      for (std::size_t i = 0; i < n_; ++i) buf_[i] *= inv;
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, left_ = 0, right_ = 0;
  T* buf_ = nullptr;
  std::size_t n_ = 0;
  bool chunked_ = false, active_ = false;
  int round_ = 0, rounds_ = 0;
  std::vector<T> slots_, tmp_;
  MPI_Request reqs_[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  double bytes_ = 0;
};

}  // namespace sagips::exchange::detail
