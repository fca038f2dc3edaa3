#pragma once
// Hierarchical: the exact mean of every rank's gradient, in three stages shaped like a machine of
// nodes with a few GPUs each (as NCCL and Horovod arrange an all-reduce across nodes). Ranks form
// groups of g consecutive ranks (Config::group_size; by default the ranks of a node, at most 4); rank r
// is member l = r % g of its group, and the l-th members of all groups form column l.
//
//   1. inside the group (one step): each member sends member j part j of the buffer and sums the
//      g - 1 copies of its own part it receives: member l holds part l summed over the group;
//   2. along column l: part l is summed over the groups by recursive doubling (small buffers: log2 of
//      the group count steps) or recursive halving and doubling (Config::chunk_threshold elements and
//      more), and divided by the rank count;
//   3. inside the group (one step): each member sends its finished part to the others.
//
// Between nodes each rank moves only its own part (1/g of the buffer), the g columns in parallel, in
// log2(groups) steps rather than a ring's 2 (groups - 1). start() posts stage 1, test() advances,
// finish() completes (detail/schedule.hpp); the result is the same bits on every rank.

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/detail/groups.hpp"
#include "sagips/exchange/detail/schedule.hpp"
#include "sagips/runtime/comm.hpp"

namespace sagips::exchange {

namespace detail {
// The three stages for a buffer of n values over groups of g consecutive ranks of `world`, whose
// group and column communicators are given; the result is divided by `divide_by`.
template <class T>
std::vector<Step<T>> hierarchical_steps(MPI_Comm group, MPI_Comm column, std::size_t n, bool halving,
                                        int divide_by) {
  std::vector<Step<T>> steps;
  int l = 0, g = 1;
  MPI_Comm_rank(group, &l);
  MPI_Comm_size(group, &g);
  direct_reduce_scatter(steps, group, 0, n);
  const std::size_t mine = part_begin(0, n, l, g), mine_n = part_begin(0, n, l + 1, g) - mine;
  doubling_steps(steps, column, mine, mine_n, halving, T(1) / static_cast<T>(divide_by));
  direct_all_gather(steps, group, 0, n);
  return steps;
}
}  // namespace detail

struct Hierarchical {
  static constexpr const char* name = "hierarchical";
  static constexpr bool device_buffers = true;
  static constexpr Reads options = Reads::group_size | Reads::chunk_threshold;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t n)
        : NoServer<T, Space>(comm),
          layout_(comm, c.group_size, "the hierarchical exchange"),
          column_(layout_.column()) {
      steps_ = detail::hierarchical_steps<T>(layout_.group(), column_, n, n >= c.chunk_threshold, this->size_);
    }
    void start(Kokkos::View<T*, Space> grads, std::int64_t step) {
      step_ = step;
      run_.begin(grads, steps_);
    }
    bool test() { return run_.progress(); }
    void finish() {
      this->stats_.wait_seconds += run_.finish("the hierarchical exchange of step " + std::to_string(step_));
      this->stats_.bytes_sent = run_.bytes_sent();
      ++this->stats_.exchanges;
    }

   private:
    detail::GroupLayout layout_;
    Comm column_;
    std::vector<detail::Step<T>> steps_;
    detail::ScheduleRun<T, Space> run_;
    std::int64_t step_ = 0;
  };
};

}  // namespace sagips::exchange
