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

#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/detail/groups.hpp"
#include "sagips/exchange/detail/schedule.hpp"
#include "sagips/exchange/hierarchical.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::exchange {

struct AsyncDoubling {
  static constexpr const char* name = "async-doubling";
  static constexpr bool device_buffers = true;
  static constexpr Reads options = Reads::group_size | Reads::outer_period | Reads::mode | Reads::chunk_threshold;

  template <class T, class Space>
  class Impl : public NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t n)
        : NoServer<T, Space>(comm), c_(c), layout_(comm, c.group_size, "the async-doubling exchange") {
      check_all(layout_.world(),
                c.outer_period < 1 ? "outer period " + std::to_string(c.outer_period) + " must be at least 1" : "",
                "the async-doubling exchange's set-up");
      column_ = layout_.column();
      const int g = layout_.group_size();
      const bool halving = n >= c.chunk_threshold;
      detail::doubling_steps(inner_, layout_.group(), 0, n, halving, T(1) / static_cast<T>(g));
      if (c.mode == Mode::strong) {
        outer_ = detail::hierarchical_steps<T>(layout_.group(), column_, n, halving, this->size_);
      } else {
        if (layout_.leader())
          detail::doubling_steps(outer_, column_.get(), 0, n, halving, T(1) / static_cast<T>(layout_.groups()));
        if (c.mode == Mode::leader_broadcast && g > 1) {  // the leader's result to its group
          detail::Step<T> s{layout_.group(), {}, {}, false, T(1)};
          if (layout_.leader())
            for (int j = 1; j < g; ++j) s.sends.push_back({j, 0, n});
          else
            s.recvs.push_back({0, 0, n});
          outer_.push_back(std::move(s));
        }
      }
    }

    int group_size() const { return layout_.group_size(); }
    bool is_leader() const { return layout_.leader(); }

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

    std::vector<int> contributors(std::int64_t step) const { return layout_.sagips_contributors(outer(step), c_.mode); }

   private:
    bool outer(std::int64_t step) const { return step % c_.outer_period == 0; }

    Config c_;
    detail::GroupLayout layout_;
    Comm column_;
    std::vector<detail::Step<T>> inner_, outer_;
    detail::ScheduleRun<T, Space> run_;
    std::int64_t step_ = 0;
  };
};

}  // namespace sagips::exchange
