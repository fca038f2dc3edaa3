#pragma once
// The baselines: Local (nothing), Allreduce (MPI_Allreduce), Iallreduce (MPI_Iallreduce between
// start and finish) and SyncRing (the chunked ring on point-to-point messages, synchronous).

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sagips/exchange/config.hpp"
#include "sagips/exchange/detail/common.hpp"
#include "sagips/exchange/detail/ring.hpp"
#include "sagips/exchange/strategies.hpp"

namespace sagips::exchange {

template <class Tag, class T>
class Exchanger;

namespace detail {
// What every strategy without a server or weight replacement has.
template <class T>
class PlainExchanger : public NoServer<T> {
 public:
  PlainExchanger(MPI_Comm comm, const Config& c, std::size_t n, const char* name)
      : n_(n), watch_(comm, c.timeout_seconds, name) {
    MPI_Comm_dup(comm, &comm_);
    MPI_Comm_size(comm_, &size_);
  }
  ~PlainExchanger() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  }
  PlainExchanger(const PlainExchanger&) = delete;
  PlainExchanger& operator=(const PlainExchanger&) = delete;

  MPI_Comm sync_comm() const { return MPI_COMM_WORLD; }
  const Stats& stats() const { return stats_; }

 protected:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int size_ = 1;
  std::size_t n_;
  StallWatch watch_;
  Stats stats_;
  std::int64_t step_ = 0;
  T* grads_ = nullptr;
};
}  // namespace detail

template <class T>
class Exchanger<Local, T> : public detail::PlainExchanger<T> {
 public:
  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : detail::PlainExchanger<T>(comm, c, n, "local") {}
  void start(T* grads, const T*, std::int64_t step) {
    detail::check_finite(grads, this->n_, step);
    ++this->stats_.exchanges;
  }
  bool test() { return true; }
  void finish() {}
};

template <class T>
class Exchanger<Allreduce, T> : public detail::PlainExchanger<T> {
 public:
  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : detail::PlainExchanger<T>(comm, c, n, "allreduce") {}
  // MPI_Iallreduce waited on at once: synchronous, but under the stall watchdog.
  void start(T* grads, const T*, std::int64_t step) {
    detail::check_finite(grads, this->n_, step);
    std::vector<MPI_Request> r(1);
    MPI_Iallreduce(MPI_IN_PLACE, grads, static_cast<int>(this->n_), detail::mpi_type<T>(), MPI_SUM, this->comm_, &r[0]);
    this->stats_.wait_seconds += this->watch_.wait(r, step, "the MPI_Allreduce to complete");
    const T inv = T(1) / static_cast<T>(this->size_);
    for (std::size_t i = 0; i < this->n_; ++i) grads[i] *= inv;
    this->stats_.bytes_sent += static_cast<double>(this->n_ * sizeof(T));
    ++this->stats_.exchanges;
  }
  bool test() { return true; }
  void finish() {}
};

template <class T>
class Exchanger<Iallreduce, T> : public detail::PlainExchanger<T> {
 public:
  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : detail::PlainExchanger<T>(comm, c, n, "iallreduce") {}
  void start(T* grads, const T*, std::int64_t step) {
    detail::check_finite(grads, this->n_, step);
    this->grads_ = grads;
    this->step_ = step;
    req_.assign(1, MPI_REQUEST_NULL);
    MPI_Iallreduce(MPI_IN_PLACE, grads, static_cast<int>(this->n_), detail::mpi_type<T>(), MPI_SUM, this->comm_, &req_[0]);
    this->stats_.bytes_sent += static_cast<double>(this->n_ * sizeof(T));
  }
  bool test() {
    int done = 0;
    MPI_Testall(static_cast<int>(req_.size()), req_.data(), &done, MPI_STATUSES_IGNORE);
    return done;
  }
  void finish() {
    this->stats_.wait_seconds += this->watch_.wait(req_, this->step_, "the MPI_Iallreduce to complete");
    const T inv = T(1) / static_cast<T>(this->size_);
    for (std::size_t i = 0; i < this->n_; ++i) this->grads_[i] *= inv;
    ++this->stats_.exchanges;
  }

 private:
  std::vector<MPI_Request> req_;
};

template <class T>
class Exchanger<SyncRing, T> : public detail::PlainExchanger<T> {
 public:
  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : detail::PlainExchanger<T>(comm, c, n, "sync-ring") {}
  void start(T* grads, const T*, std::int64_t step) {
    detail::check_finite(grads, this->n_, step);
    ring_.begin(this->comm_, grads, this->n_, true);
    this->stats_.wait_seconds += ring_.finish(this->watch_, step);
    this->stats_.bytes_sent = ring_.bytes_sent();
    ++this->stats_.exchanges;
  }
  bool test() { return true; }
  void finish() {}

 private:
  detail::RingAverage<T> ring_;
};

}  // namespace sagips::exchange
