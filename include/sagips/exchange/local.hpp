#pragma once
// Local: no exchange. Every rank trains its own model from its own data (an ensemble of one-rank
// members: membership() says so, and the trainer reports their spread); also the one-rank case.

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "sagips/exchange/contract.hpp"

namespace sagips::exchange {

struct Local {
  static constexpr const char* name = "local";
  static constexpr bool device_buffers = true;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config&, std::size_t) : NoServer<T, Space>(comm) { MPI_Comm_rank(comm, &rank_); }
    void start(Kokkos::View<T*, Space>, std::int64_t) { ++this->stats_.exchanges; }
    bool test() { return true; }
    void finish() {}
    Membership membership() const { return {rank_, this->size_}; }
    std::vector<int> contributors(std::int64_t) const { return {rank_}; }

   private:
    int rank_ = 0;
  };
};

}  // namespace sagips::exchange
