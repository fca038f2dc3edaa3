// A gradient-exchange strategy of your own, written from docs/exchange.md with public names only:
// a two-dimensional all-reduce, as on a torus. The N ranks form a grid of R rows x C columns (R the
// largest divisor of N not above sqrt N); each rank first sums its row, then its column of row sums,
// so every rank holds the sum of all N gradients after 2 collectives of sqrt N ranks each, instead of
// one of N (fewer latency steps on a large machine; the same mean).
//
// It is driven like the built-ins: start() posts the row sum, test() posts the column sum as soon as
// the row sum is in, finish() completes both under the stall watchdog.
#pragma once

#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include <sagips/runtime/comm.hpp>
#include <sagips/runtime/watchdog.hpp>
#include <sagips/exchange/buffer.hpp>
#include <sagips/exchange/contract.hpp>

namespace examples {

struct Torus2D {
  static constexpr const char* name = "torus-2d";
  static constexpr bool device_buffers = true;  // its arithmetic is BufferOps' (Kokkos kernels)

  template <class T, class Space>
  class Impl : public sagips::exchange::NoServer<T, Space> {
    using Ops = sagips::exchange::BufferOps<T, Space>;

   public:
    Impl(MPI_Comm comm, const sagips::exchange::Config&, std::size_t) : sagips::exchange::NoServer<T, Space>(comm) {
      int rank = 0, size = 1;
      MPI_Comm_rank(comm, &rank);
      MPI_Comm_size(comm, &size);
      int rows = 1;
      for (int r = 1; r * r <= size; ++r)
        if (size % r == 0) rows = r;
      const int cols = size / rows;
      row_ = sagips::Comm::split(comm, rank / cols, rank, "the torus's rows");
      col_ = sagips::Comm::split(comm, rank % cols, rank, "the torus's columns");
    }

    void start(Kokkos::View<T*, Space> grads, std::int64_t step) {
      buf_ = grads;
      step_ = step;
      Ops::fence();
      MPI_Iallreduce(MPI_IN_PLACE, buf_.data(), count(), sagips::exchange::mpi_type<T>(), MPI_SUM, row_, &req_);
      in_column_ = false;
    }

    bool test() {
      int done = 0;
      MPI_Test(&req_, &done, MPI_STATUS_IGNORE);
      if (done && !in_column_) {  // the row sum is in: on to the column
        MPI_Iallreduce(MPI_IN_PLACE, buf_.data(), count(), sagips::exchange::mpi_type<T>(), MPI_SUM, col_, &req_);
        in_column_ = true;
        done = 0;
      }
      return done && in_column_;
    }

    void finish() {
      const std::string what = "the torus-2d exchange of step " + std::to_string(step_);
      if (!in_column_) {
        this->stats_.wait_seconds += sagips::watchdog::wait(row_, &req_, 1, what + " (rows)");
        test();
      }
      this->stats_.wait_seconds += sagips::watchdog::wait(col_, &req_, 1, what + " (columns)");
      Ops::scale(buf_, T(1) / static_cast<T>(this->size_));
      Ops::fence();
      this->stats_.bytes_sent += 2.0 * static_cast<double>(buf_.extent(0) * sizeof(T));
      ++this->stats_.exchanges;
    }

   private:
    int count() const { return static_cast<int>(buf_.extent(0)); }
    sagips::Comm row_, col_;
    Kokkos::View<T*, Space> buf_;
    std::int64_t step_ = 0;
    MPI_Request req_ = MPI_REQUEST_NULL;
    bool in_column_ = false;
  };
};

}  // namespace examples
