#pragma once
// SyncRing: the ring all-reduce written on point-to-point messages over all ranks, synchronous (the
// mean is in the buffer when start() returns). Buffers of at least Config::chunk_threshold elements
// take the bandwidth-optimal chunked ring, smaller ones the pass-along ring (detail/ring.hpp); with
// Config::compression its messages carry 16-bit values, summed in T.

#include <mpi.h>

#include <cstdint>
#include <string>

#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/detail/ring.hpp"
#include "sagips/runtime/comm.hpp"

namespace sagips::exchange {

struct SyncRing {
  static constexpr const char* name = "sync-ring";
  static constexpr bool device_buffers = true;
  static constexpr bool compressible = true;
  static constexpr Reads options = Reads::chunk_threshold | Reads::compression;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t n)
        : NoServer<T, Space>(comm),
          comm_(Comm::dup(comm, "the sync-ring's set-up")),
          chunked_(n >= c.chunk_threshold),
          compression_(c.compression) {}
    void start(Kokkos::View<T*, Space> grads, std::int64_t step) {
      ring_.begin(comm_, grads, chunked_, compression_, this->residual_);
      this->stats_.wait_seconds += ring_.finish("the sync-ring exchange of step " + std::to_string(step));
      this->stats_.bytes_sent = ring_.bytes_sent();
      ++this->stats_.exchanges;
    }
    bool test() { return true; }
    void finish() {}

   private:
    Comm comm_;
    bool chunked_;
    Compression compression_;
    detail::RingAverage<T, Space> ring_;
  };
};

}  // namespace sagips::exchange
