#pragma once
// Where a training step's time goes: generator, pipeline, discriminator, exchange, optimizer.
// Measured only when asked (--profile, and bench_step): the clock fences the execution space at each
// phase boundary, which costs nothing on a host backend and a synchronisation per phase on a GPU.

#include <Kokkos_Core.hpp>
#include <chrono>

namespace sagips::train {

// Seconds spent in each phase, summed over `steps` steps.
struct PhaseTimes {
  double generator = 0, pipeline = 0, discriminator = 0, exchange = 0, optimizer = 0, total = 0;
  long steps = 0;
};

// lap(): seconds since the previous lap (after a fence); 0 and no fence when off.
class PhaseClock {
 public:
  explicit PhaseClock(bool on) : on_(on), t0_(now()), last_(t0_) {}
  double lap() {
    if (!on_) return 0;
    Kokkos::fence();
    const double t = now(), d = t - last_;
    last_ = t;
    return d;
  }
  double total() const { return on_ ? last_ - t0_ : 0; }

 private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  bool on_;
  double t0_, last_;
};

}  // namespace sagips::train
