#pragma once
// Local: no exchange. A model of one rank has no one to exchange with; this says so explicitly and
// costs nothing. With the trainer's --models 0 (one model per rank) every rank trains alone, on its
// own bootstrap resample, and the trainer reports the models' spread. A model of several ranks that
// exchange nothing would be several models pretending to be one: refused.

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sagips/exchange/contract.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::exchange {

struct Local {
  static constexpr const char* name = "local";
  static constexpr bool device_buffers = true;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config&, std::size_t) : NoServer<T, Space>(comm) {
      check_all(comm,
                this->size_ == 1 ? ""
                                 : "--strategy local exchanges nothing, so each model must be one rank; this one has " +
                                       std::to_string(this->size_) + " (give --models 0: one model per rank)",
                "the local exchange's set-up");
    }
    void start(Kokkos::View<T*, Space>, std::int64_t) { ++this->stats_.exchanges; }
    bool test() { return true; }
    void finish() {}
    std::vector<int> contributors(std::int64_t) const { return {0}; }
  };
};

}  // namespace sagips::exchange
