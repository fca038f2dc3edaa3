#pragma once
// The two rings, as non-blocking state machines on a communicator: begin() posts the first round;
// progress() and finish() wait as every exchange made of rounds does (detail/rounds.hpp). Both leave the average of every rank's buffer in `buf`, the same bits on every rank and
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
//
// Compressed (Compression bf16 or fp16): every message carries 16-bit values (exchange/compression.hpp),
// decoded and summed in T. Pass-along: each rank encodes its own buffer once; all N encoded buffers
// travel and every rank sums their decoded values in rank order. Chunked: a rank encodes each partial
// sum it passes on (one rounding per hop); a chunk's owner encodes the finished sum once and keeps its
// decoded value, as the others get it; the all-gather forwards the encoded chunks unchanged. So every
// rank ends with the same bits. Each rounding's error is added into `residual` when one is given (the
// exchanger's error feedback): every element of this rank is rounded at most once per exchange.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/compression.hpp"
#include "sagips/exchange/detail/rounds.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange::detail {

template <class T, class Space>
class RingAverage {
  using Ops = BufferOps<T, Space>;
  using Wire = Codec<T, Space>;
  using View = typename Ops::View;
  using WireView = Kokkos::View<std::uint16_t*, Space>;
  using WireSlots = Kokkos::View<std::uint16_t**, Kokkos::LayoutRight, Space>;

 public:
  // compression: the values on the wire; residual: where this rank's rounding errors go (empty: dropped).
  void begin(MPI_Comm comm, View buf, bool chunked, Compression compression = Compression::none,
             View residual = View()) {
    comm_ = comm;
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    buf_ = buf;
    n_ = buf.extent(0);
    chunked_ = chunked;
    compression_ = compression;
    compressed_ = compression != Compression::none;
    residual_ = residual;
    SAGIPS_REQUIRE(residual_.extent(0) == 0 || residual_.extent(0) == n_,
                   "exchange ring: a residual of " << residual_.extent(0) << " values for a buffer of " << n_);
    round_ = 0;
    round_count_ = size_ <= 1 || n_ == 0 ? 0 : (chunked ? 2 * (size_ - 1) : size_ - 1);
    left_ = (rank_ + size_ - 1) % size_;
    right_ = (rank_ + 1) % size_;
    const std::size_t chunk_max = n_ / static_cast<std::size_t>(size_) + 1;
    if (!chunked_ && round_count_ > 0 && !compressed_) {
      if (slots_.extent(0) != static_cast<std::size_t>(size_) || slots_.extent(1) != n_)
        slots_ = Kokkos::View<T**, Kokkos::LayoutRight, Space>("sagips::exchange::ring_slots", size_, n_);
      Ops::copy(slot(rank_), buf_);
    }
    if (!chunked_ && round_count_ > 0 && compressed_) {
      if (wire_slots_.extent(0) != static_cast<std::size_t>(size_) || wire_slots_.extent(1) != n_)
        wire_slots_ = WireSlots("sagips::exchange::ring_wire_slots", size_, n_);
      Wire::encode(compression_, buf_, wire_slot(rank_), residual_);
    }
    if (chunked_ && round_count_ > 0 && !compressed_ && tmp_.extent(0) < chunk_max)
      tmp_ = View("sagips::exchange::ring_chunk", chunk_max);
    if (chunked_ && round_count_ > 0 && compressed_) {
      if (wire_.extent(0) != n_) wire_ = WireView("sagips::exchange::ring_wire", n_);
      if (wire_tmp_.extent(0) < chunk_max) wire_tmp_ = WireView("sagips::exchange::ring_wire_chunk", chunk_max);
    }
    rounds_.active = round_count_ > 0;
    if (rounds_.active) {
      Ops::fence();
      post();
    } else {
      finish_average();
    }
  }

  bool done() const { return !rounds_.active; }
  double bytes_sent() const { return bytes_; }

  // Advances without blocking; true when the average is in the buffer.
  bool progress() {
    return rounds_.progress([this] { complete_round(); });
  }

  // Completes under the watchdog (what names it in a stall report); returns the seconds spent waiting.
  // With the watchdog off there is nothing to watch: each round blocks in MPI_Waitall, no polling.
  double finish(const std::string& what) {
    return rounds_.finish([this] { complete_round(); },
                          [&](double waited, const std::function<bool()>& completed) {
                            watchdog::stall(comm_,
                                            what + " (waiting for rank " + std::to_string(left_) + " of its ring, round " +
                                                std::to_string(round_) + ")",
                                            waited, watchdog::timeout(), completed);
                          });
  }

 private:
  View slot(int r) {
    return Kokkos::subview(slots_, static_cast<std::size_t>(r), Kokkos::ALL);
  }
  WireView wire_slot(int r) { return Kokkos::subview(wire_slots_, static_cast<std::size_t>(r), Kokkos::ALL); }
  WireView wire_part(std::size_t begin, std::size_t count) {
    return Kokkos::subview(wire_, std::make_pair(begin, begin + count));
  }
  View residual_part(std::size_t begin, std::size_t count) {
    return residual_.extent(0) == 0 ? View() : Ops::part(residual_, begin, count);
  }
  std::size_t chunk_begin(int c) const { return n_ * static_cast<std::size_t>(c) / static_cast<std::size_t>(size_); }
  std::size_t chunk_size(int c) const { return chunk_begin(c + 1) - chunk_begin(c); }
  int mod(int a) const { return ((a % size_) + size_) % size_; }

  void post() {
    if (compressed_) {
      post_compressed();
      return;
    }
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
    MPI_Request* reqs = rounds_.start_round(2);
    MPI_Irecv(recv, static_cast<int>(recv_n), type, left_, tag, comm_, &reqs[1]);
    MPI_Isend(send, static_cast<int>(send_n), type, right_, tag, comm_, &reqs[0]);
    bytes_ += static_cast<double>(send_n * sizeof(T));
  }

  // The same rounds on 16-bit values: what is sent is encoded first (see the top of this file).
  void post_compressed() {
    const int tag = 500 + (round_ & 1);
    std::uint16_t* send = nullptr;
    std::uint16_t* recv = nullptr;
    std::size_t send_n = 0, recv_n = 0;
    if (!chunked_) {
      send = wire_slot(mod(rank_ - round_)).data();
      recv = wire_slot(mod(rank_ - round_ - 1)).data();
      send_n = recv_n = n_;
    } else if (round_ < size_ - 1) {  // reduce-scatter: this rank's partial sum of chunk cs, rounded once
      const int cs = mod(rank_ - round_), cr = mod(rank_ - round_ - 1);
      send_n = chunk_size(cs);
      Wire::encode(compression_, Ops::part(buf_, chunk_begin(cs), send_n), wire_part(chunk_begin(cs), send_n),
                   residual_part(chunk_begin(cs), send_n));
      send = wire_.data() + chunk_begin(cs);
      recv = wire_tmp_.data();
      recv_n = chunk_size(cr);
    } else {  // all-gather: the owner rounds its finished chunk once and keeps what the others get
      const int s = round_ - (size_ - 1);
      const int cs = mod(rank_ + 1 - s), cr = mod(rank_ - s);
      send_n = chunk_size(cs);
      if (s == 0)
        Wire::encode_keep(compression_, Ops::part(buf_, chunk_begin(cs), send_n), wire_part(chunk_begin(cs), send_n),
                          residual_part(chunk_begin(cs), send_n));
      send = wire_.data() + chunk_begin(cs);
      recv = wire_.data() + chunk_begin(cr);
      recv_n = chunk_size(cr);
    }
    Ops::fence();
    MPI_Request* reqs = rounds_.start_round(2);
    MPI_Irecv(recv, static_cast<int>(recv_n), Wire::wire_type(), left_, tag, comm_, &reqs[1]);
    MPI_Isend(send, static_cast<int>(send_n), Wire::wire_type(), right_, tag, comm_, &reqs[0]);
    bytes_ += static_cast<double>(send_n * sizeof(std::uint16_t));
  }

  void complete_round() {
    if (chunked_ && round_ < size_ - 1) {
      const int cr = mod(rank_ - round_ - 1);
      const std::size_t m = chunk_size(cr);
      if (compressed_)
        Wire::decode_add(compression_, Kokkos::subview(wire_tmp_, std::make_pair(std::size_t(0), m)),
                         Ops::part(buf_, chunk_begin(cr), m));
      else
        Ops::add(Ops::part(buf_, chunk_begin(cr), m), Ops::part(tmp_, 0, m));
    } else if (chunked_ && compressed_) {  // all-gather: a finished chunk arrived
      const int cr = mod(rank_ - (round_ - (size_ - 1)));
      const std::size_t m = chunk_size(cr);
      Wire::decode(compression_, wire_part(chunk_begin(cr), m), Ops::part(buf_, chunk_begin(cr), m));
    }
    ++round_;
    if (round_ < round_count_) {
      Ops::fence();
      post();
    } else {
      finish_average();
    }
  }

  void finish_average() {
    rounds_.active = false;
    if (n_ == 0 || size_ <= 1) return;
    const T inv = T(1) / static_cast<T>(size_);
    if (!chunked_ && compressed_)
      Wire::decode_sum_slots(compression_, wire_slots_, size_, buf_, inv);
    else if (!chunked_)
      Ops::sum_slots(slots_, size_, buf_, inv);
    else
      Ops::scale(buf_, inv);
    Ops::fence();
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1, left_ = 0, right_ = 0;
  View buf_;
  std::size_t n_ = 0;
  bool chunked_ = false, compressed_ = false;
  Compression compression_ = Compression::none;
  View residual_;
  int round_ = 0, round_count_ = 0;
  Kokkos::View<T**, Kokkos::LayoutRight, Space> slots_;
  View tmp_;
  WireSlots wire_slots_;       // compressed pass-along: every rank's encoded buffer
  WireView wire_, wire_tmp_;   // compressed chunked: the encoded chunks, and one received partial sum
  Rounds rounds_;  // two requests a round: the send, the receive
  double bytes_ = 0;
};

}  // namespace sagips::exchange::detail
