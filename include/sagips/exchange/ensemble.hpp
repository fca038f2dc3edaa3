#pragma once
// Ensemble: groups of consecutive ranks (Config::group_size; by default the ranks of a node, at most
// 4) that never talk to each other. Each group is one independent model (membership()), trained
// data-parallel by the all-reduce body of allreduce.hpp over the group, from its own initial weights;
// the spread of the members' results is the ensemble's uncertainty (the trainer reports it).

#include <mpi.h>

#include <cstdint>
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
    Impl(MPI_Comm comm, const Config& c, std::size_t)
        : NoServer<T, Space>(comm),
          layout_(comm, c.group_size, "the ensemble"),
          body_(layout_.group(), "ensemble group all-reduce") {}
    void start(Kokkos::View<T*, Space> grads, std::int64_t step) { body_.post(grads, step, this->stats_); }
    bool test() { return body_.test(); }
    void finish() { body_.wait(this->stats_); }
    Membership membership() const { return {layout_.group_index(), layout_.groups()}; }
    std::vector<int> contributors(std::int64_t) const { return layout_.members(); }

   private:
    detail::GroupLayout layout_;
    detail::AllreduceBody<T, Space> body_;
  };
};

}  // namespace sagips::exchange
