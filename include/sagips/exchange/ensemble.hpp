#pragma once
// Ensemble: groups of consecutive ranks (Config::group_size; by default the ranks of a node, at most
// 4) that never talk to each other. Each group is one independent model (membership()), trained
// data-parallel by the all-reduce body of allreduce.hpp over the group, from its own initial weights;
// the spread of the members' results is the ensemble's uncertainty (the trainer reports it).

#include <mpi.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "sagips/core/comm.hpp"
#include "sagips/exchange/allreduce.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/detail/groups.hpp"

namespace sagips::exchange {

struct Ensemble {
  static constexpr const char* name = "ensemble";
  static constexpr bool device_buffers = true;
  static constexpr const char* options = "group-size";

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t) : NoServer<T, Space>(comm) {
      int rank = 0;
      MPI_Comm_rank(comm, &rank);
      g_ = detail::resolve_group_size(comm, c.group_size);
      index_ = rank / g_;
      const Comm group = Comm::split(comm, index_, rank, "the ensemble's groups");
      body_ = detail::AllreduceBody<T, Space>(group, "ensemble group all-reduce");
    }
    void start(Kokkos::View<T*, Space> grads, std::int64_t step) { body_.post(grads, step, this->stats_); }
    bool test() { return body_.test(); }
    void finish() { body_.wait(this->stats_); }
    Membership membership() const { return {index_, this->size_ / g_}; }
    std::vector<int> contributors(std::int64_t) const {
      std::vector<int> group(static_cast<std::size_t>(g_));
      std::iota(group.begin(), group.end(), index_ * g_);
      return group;
    }

   private:
    int g_ = 1, index_ = 0;
    detail::AllreduceBody<T, Space> body_;
  };
};

}  // namespace sagips::exchange
