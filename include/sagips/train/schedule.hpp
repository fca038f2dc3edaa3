#pragma once
// The schedules of a run, each a function of the step alone (so a run resumed from a checkpoint
// follows them exactly): the learning rates decay linearly to lr_final of their start by the last
// step; the average of the generator's weights (EMA) starts short and lengthens to its decay.

#include <algorithm>

#include "sagips/train/config.hpp"

namespace sagips::train {

class Schedule {
 public:
  explicit Schedule(const TrainerConfig& c) : steps_(c.steps), lr_final_(c.lr_final), ema_(c.ema) {}

  // The factor on both learning rates at `step` (1 at step 1, lr_final at the last step).
  double lr_factor(long step) const {
    const double progress = steps_ > 1 ? double(step - 1) / double(steps_ - 1) : 0.0;
    return 1.0 - (1.0 - lr_final_) * std::min(1.0, std::max(0.0, progress));
  }

  // The EMA's decay at `step`: (1 + t) / (10 + t) early on (the first steps' weights are not averaged
  // in for long), at most the configured decay. 0: no EMA.
  double ema_decay(long step) const {
    if (ema_ <= 0) return 0;
    return std::min(ema_, (1.0 + double(step)) / (10.0 + double(step)));
  }

 private:
  long steps_;
  double lr_final_, ema_;
};

}  // namespace sagips::train
