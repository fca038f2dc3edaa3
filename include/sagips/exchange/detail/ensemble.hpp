#pragma once
// Ensemble: groups of consecutive ranks (Config::group_size; by default the ranks of a node, at most
// 4) that never talk to each other. Each group is one GAN trained data-parallel (its ranks average
// their gradients with an all-reduce over the group) from its first rank's initial weights; the
// spread of the groups' results is the uncertainty (reported by the trainer).

#include <mpi.h>

#include <string>
#include <vector>

#include "sagips/exchange/config.hpp"
#include "sagips/exchange/detail/common.hpp"
#include "sagips/exchange/strategies.hpp"

namespace sagips::exchange {

template <class Tag, class T>
class Exchanger;

template <class T>
class Exchanger<Ensemble, T> : public detail::NoServer<T> {
 public:
  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : n_(n) {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    g_ = detail::resolve_group_size(comm, c.group_size);
    index_ = rank / g_;
    MPI_Comm_split(comm, index_, rank, &group_);
    watch_ = detail::StallWatch(group_, c.timeout_seconds, "ensemble (group all-reduce)");
  }
  ~Exchanger() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && group_ != MPI_COMM_NULL) MPI_Comm_free(&group_);
  }
  Exchanger(const Exchanger&) = delete;
  Exchanger& operator=(const Exchanger&) = delete;

  int group_size() const { return g_; }
  int group_index() const { return index_; }  // which ensemble member this rank belongs to

  void start(T* grads, const T*, std::int64_t step) {
    detail::check_finite(grads, n_, step);
    if (g_ > 1) {
      std::vector<MPI_Request> r(1);
      MPI_Iallreduce(MPI_IN_PLACE, grads, static_cast<int>(n_), detail::mpi_type<T>(), MPI_SUM, group_, &r[0]);
      stats_.wait_seconds += watch_.wait(r, step, "the group's all-reduce");
      const T inv = T(1) / static_cast<T>(g_);
      for (std::size_t i = 0; i < n_; ++i) grads[i] *= inv;
      stats_.bytes_sent += static_cast<double>(n_ * sizeof(T));
    }
    ++stats_.exchanges;
  }
  bool test() { return true; }
  void finish() {}
  MPI_Comm sync_comm() const { return group_; }  // each member starts from its own first rank's weights
  const Stats& stats() const { return stats_; }

 private:
  std::size_t n_;
  int g_ = 1, index_ = 0;
  MPI_Comm group_ = MPI_COMM_NULL;
  detail::StallWatch watch_;
  Stats stats_;
};

}  // namespace sagips::exchange
