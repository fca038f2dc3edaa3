#pragma once
// AsyncDoubling: the SAGIPS scheme of AsyncRing (groups of g consecutive ranks, inner steps inside the
// group, every k-th step an outer step; the same modes and the same contributors), with exchanges
// whose length grows with the logarithm of the rank count instead of linearly:
//   inner step        the group's mean by recursive doubling (log2 g steps);
//   outer, weak       the leaders' mean by recursive doubling among the leaders (log2 of the group
//                     count steps, where AsyncRing's ring takes groups - 1); the others keep their own;
//   outer, strong     every rank's mean by Hierarchical's three stages (exchange/hierarchical.hpp);
//   outer, leader-broadcast  the leaders' mean, then sent by each leader to its group (one step).
// Buffers of Config::chunk_threshold elements and more use recursive halving and doubling (a
// reduce-scatter and an all-gather: each rank moves about twice its buffer, not log2 times). start()
// posts the first step, test() advances, finish() completes (detail/schedule.hpp); every rank that
// averages the same ranks holds the same bits. No one-sided (--rma) form.

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sagips/core/comm.hpp"
#include "sagips/core/error.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/detail/groups.hpp"
#include "sagips/exchange/detail/schedule.hpp"
#include "sagips/exchange/hierarchical.hpp"

namespace sagips::exchange {

struct AsyncDoubling {
  static constexpr const char* name = "async-doubling";
  static constexpr bool device_buffers = true;
  static constexpr const char* options = "group-size outer-period mode chunk-threshold";

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t n) : NoServer<T, Space>(comm), c_(c) {
      world_ = Comm::dup(comm, "the async-doubling exchange's set-up");
      rank_ = world_.rank();
      check_all(world_, c.outer_period < 1 ? "outer period " + std::to_string(c.outer_period) + " must be at least 1" : "",
                "the async-doubling exchange's set-up");
      g_ = detail::resolve_group_size(world_, c.group_size);
      leader_ = rank_ % g_ == 0;
      group_ = Comm::split(world_, rank_ / g_, rank_, "the async-doubling exchange's groups");
      column_ = Comm::split(world_, rank_ % g_, rank_, "the async-doubling exchange's columns");
      const bool halving = n >= c.chunk_threshold;
      detail::doubling_steps(inner_, group_, 0, n, halving, T(1) / static_cast<T>(g_));
      const int leaders = this->size_ / g_;
      if (c.mode == Mode::strong) {
        outer_ = detail::hierarchical_steps<T>(group_, column_, n, halving, this->size_);
      } else {
        if (leader_) detail::doubling_steps(outer_, column_.get(), 0, n, halving, T(1) / static_cast<T>(leaders));
        if (c.mode == Mode::leader_broadcast && g_ > 1) {  // the leader's result to its group
          detail::Step<T> s{group_, {}, {}, false, T(1)};
          if (leader_)
            for (int j = 1; j < g_; ++j) s.sends.push_back({j, 0, n});
          else
            s.recvs.push_back({0, 0, n});
          outer_.push_back(std::move(s));
        }
      }
    }

    int group_size() const { return g_; }
    bool is_leader() const { return leader_; }

    void start(Kokkos::View<T*, Space> grads, std::int64_t step) {
      step_ = step;
      run_.begin(grads, outer(step) ? outer_ : inner_);
    }
    bool test() { return run_.progress(); }
    void finish() {
      this->stats_.wait_seconds += run_.finish(std::string("the async-doubling ") + (outer(step_) ? "outer" : "inner") +
                                               " exchange of step " + std::to_string(step_));
      this->stats_.bytes_sent = run_.bytes_sent();
      ++this->stats_.exchanges;
    }

    // As AsyncRing's: inner, the group; outer weak, the leaders (a leader) or itself; strong, all
    // ranks; leader-broadcast, the leaders.
    std::vector<int> contributors(std::int64_t step) const {
      std::vector<int> r;
      if (!outer(step)) {
        for (int q = (rank_ / g_) * g_; q < (rank_ / g_ + 1) * g_; ++q) r.push_back(q);
      } else if (c_.mode == Mode::strong) {
        for (int q = 0; q < this->size_; ++q) r.push_back(q);
      } else if (leader_ || c_.mode == Mode::leader_broadcast) {
        for (int q = 0; q < this->size_; q += g_) r.push_back(q);
      } else {
        r.push_back(rank_);
      }
      return r;
    }

   private:
    bool outer(std::int64_t step) const { return step % c_.outer_period == 0; }

    Config c_;
    Comm world_, group_, column_;
    int rank_ = 0, g_ = 1;
    bool leader_ = false;
    std::vector<detail::Step<T>> inner_, outer_;
    detail::ScheduleRun<T, Space> run_;
    std::int64_t step_ = 0;
  };
};

}  // namespace sagips::exchange
