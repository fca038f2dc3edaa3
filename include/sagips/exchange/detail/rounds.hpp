#pragma once
// Waiting for an exchange that runs as rounds of non-blocking messages (the rings of ring.hpp, the
// schedules of schedule.hpp). Each round posts its requests; when all are done the owner's
// complete_round() uses what arrived and posts the next round, or ends the sequence (active = false).
// Two ways to wait, shared by every such exchange:
//   progress()  never blocks: completes the rounds whose messages are already done;
//   finish()    completes every round. Under the stall watchdog it polls, and a wait past the
//               timeout calls the owner's report_stall(waited, completed), which names the round and
//               its communicator (watchdog::stall: it returns only when completed() says the rounds
//               finished during its grace period); with the watchdog off there is nothing to
//               watch, so each round blocks in MPI_Waitall.

#include <mpi.h>

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange::detail {

class Rounds {
 public:
  bool active = false;  // a round is posted or still to come

  // A fresh round of n requests (MPI_REQUEST_NULL until the owner posts them).
  MPI_Request* start_round(std::size_t n) {
    reqs_.assign(n, MPI_REQUEST_NULL);
    return reqs_.data();
  }

  // Completes the rounds whose messages are done, without blocking; true when none is left.
  template <class CompleteRound>
  bool progress(CompleteRound&& complete_round) {
    while (active) {
      int flag = 1;
      if (!reqs_.empty()) MPI_Testall(static_cast<int>(reqs_.size()), reqs_.data(), &flag, MPI_STATUSES_IGNORE);
      if (!flag) return false;
      complete_round();
    }
    return true;
  }

  // Completes every round; returns the seconds spent.
  template <class CompleteRound, class ReportStall>
  double finish(CompleteRound&& complete_round, ReportStall&& report_stall) {
    const double t0 = watchdog::now();
    const double limit = watchdog::timeout();
    if (limit <= 0) {
      while (active) {
        MPI_Waitall(static_cast<int>(reqs_.size()), reqs_.data(), MPI_STATUSES_IGNORE);
        complete_round();
      }
      return watchdog::now() - t0;
    }
    const std::function<bool()> completed = [&] { return progress(complete_round); };
    while (!completed()) {
      const double waited = watchdog::now() - t0;
      if (waited > limit) report_stall(waited, completed);
      std::this_thread::yield();
    }
    return watchdog::now() - t0;
  }

 private:
  std::vector<MPI_Request> reqs_;
};

}  // namespace sagips::exchange::detail
