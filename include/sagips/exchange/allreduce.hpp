#pragma once
// The all-reduce strategies, one body on a communicator:
//   Allreduce   the synchronous, Horovod-like baseline: the mean of every rank's gradient, complete when
//               start() returns. With the stall watchdog on it is MPI_Iallreduce waited on under the
//               watchdog; with it off (timeout 0) a plain MPI_Allreduce, the MPI library's own tuned
//               collective (what a scaling study should compare against).
//   Iallreduce  MPI_Iallreduce posted by start(), completed by finish(): the discriminator step runs
//               while it flies (as far as the MPI library makes progress: test() pokes it).

#include <mpi.h>

#include <cstdint>
#include <string>

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange {

namespace detail {
// SimGrid's SMPI (whose mpi.h defines SMPI_SHARED_MALLOC) sends an in-place MPI_Iallreduce from a
// temporary it has already freed (3.32: wrong sums, a crash from 1 MiB on): there post() sends from
// a copy of the buffer instead.
#if defined(SMPI_SHARED_MALLOC)
inline constexpr bool iallreduce_from_copy = true;
#else
inline constexpr bool iallreduce_from_copy = false;
#endif

// The mean over a communicator's ranks, in place, posted by post() and completed by wait().
template <class T, class Space>
class AllreduceBody {
  using Ops = BufferOps<T, Space>;

 public:
  AllreduceBody() = default;
  AllreduceBody(MPI_Comm comm, const char* what) : comm_(Comm::dup(comm, what)), what_(what) {}

  void post(Kokkos::View<T*, Space> buf, std::int64_t step, Stats& stats) {
    buf_ = buf;
    step_ = step;
    const void* send = MPI_IN_PLACE;
    if constexpr (iallreduce_from_copy) {
      if (send_.extent(0) != buf.extent(0))
        send_ = Kokkos::View<T*, Space>("sagips::exchange::iallreduce_send", buf.extent(0));
      Ops::copy(send_, buf);
      send = send_.data();
    }
    Ops::fence();
    MPI_Iallreduce(send, buf.data(), static_cast<int>(buf.extent(0)), mpi_type<T>(), MPI_SUM, comm_, &req_);
    stats.bytes_sent += static_cast<double>(buf.extent(0) * sizeof(T));
  }
  bool test() {
    int done = 1;
    if (req_ != MPI_REQUEST_NULL) MPI_Test(&req_, &done, MPI_STATUS_IGNORE);
    return done;
  }
  void wait(Stats& stats) {
    stats.wait_seconds += watchdog::wait(comm_, &req_, 1, describe());
    average(stats);
  }
  // The blocking form: the MPI library's own MPI_Allreduce when the watchdog is off.
  void run(Kokkos::View<T*, Space> buf, std::int64_t step, Stats& stats) {
    if (watchdog::timeout() > 0) {
      post(buf, step, stats);
      wait(stats);
      return;
    }
    buf_ = buf;
    step_ = step;
    Ops::fence();
    const double t0 = watchdog::now();
    MPI_Allreduce(MPI_IN_PLACE, buf.data(), static_cast<int>(buf.extent(0)), mpi_type<T>(), MPI_SUM, comm_);
    stats.wait_seconds += watchdog::now() - t0;
    stats.bytes_sent += static_cast<double>(buf.extent(0) * sizeof(T));
    average(stats);
  }
  int size() const { return comm_.size(); }
  MPI_Comm comm() const { return comm_; }

 private:
  void average(Stats& stats) {
    if (comm_.size() > 1) Ops::scale(buf_, T(1) / static_cast<T>(comm_.size()));
    Ops::fence();
    ++stats.exchanges;
  }
  std::string describe() const { return std::string("the ") + what_ + " of step " + std::to_string(step_); }

  Comm comm_;
  const char* what_ = "all-reduce";
  Kokkos::View<T*, Space> buf_, send_;  // send_: only where iallreduce_from_copy
  std::int64_t step_ = 0;
  MPI_Request req_ = MPI_REQUEST_NULL;
};
}  // namespace detail

struct Allreduce {
  static constexpr const char* name = "allreduce";
  static constexpr bool device_buffers = true;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config&, std::size_t) : NoServer<T, Space>(comm), body_(comm, "allreduce exchange") {}
    void start(Kokkos::View<T*, Space> grads, std::int64_t step) { body_.run(grads, step, this->stats_); }
    bool test() { return true; }
    void finish() {}

   private:
    detail::AllreduceBody<T, Space> body_;
  };
};

struct Iallreduce {
  static constexpr const char* name = "iallreduce";
  static constexpr bool device_buffers = true;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config&, std::size_t) : NoServer<T, Space>(comm), body_(comm, "iallreduce exchange") {}
    void start(Kokkos::View<T*, Space> grads, std::int64_t step) { body_.post(grads, step, this->stats_); }
    bool test() { return body_.test(); }
    void finish() { body_.wait(this->stats_); }

   private:
    detail::AllreduceBody<T, Space> body_;
  };
};

}  // namespace sagips::exchange
