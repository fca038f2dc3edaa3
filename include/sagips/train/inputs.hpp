#pragma once
// What a training rank works from, given the run's configuration and the rank's place in it: the data
// its model trains on (all of it, or the model's bootstrap resample), how the model cuts its events
// into this rank's shard, and the random streams of a step. The trainer asks once per run (data,
// shard) or per step (streams); as free functions a test or a trainer of one's own gets the same answers.

#include <cstdint>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/sim/shard.hpp"
#include "sagips/train/bootstrap.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/partition.hpp"

namespace sagips::train {

// The data model `m` trains on: all of it, or (c.bootstrap, several models) a resample with
// replacement drawn per model, so that the models' spread is the statistical uncertainty.
template <class T>
HostMatrix<const T> member_data(const TrainerConfig& c, const Membership& m, HostMatrix<const T> data) {
  if (!c.bootstrap || m.count < 2) return data;
  return bootstrap_resample(data, c.data_seed, m.index);
}

// How the model's real events are dealt to its ranks (sim/shard.hpp).
inline sim::ShardSpec shard_spec(const TrainerConfig& c) {
  sim::ShardSpec s;
  s.fraction = c.shard_fraction;
  s.layout = c.shard_layout;
  s.sets_per_rank = c.param_samples;
  s.events_per_set = c.events_per_sample;
  return s;
}

// A step's random streams for the rank `group_rank` of model `m`'s ranks on data set `data_set`:
// every rank of a model (of a data set within it) draws from one sequence, stream = model + models x
// data set, its counters starting at its first parameter set among the model's, so that the step's
// draws do not depend on how the model's sets are split over its ranks (core/random.hpp).
inline random::StepKeys step_keys(const TrainerConfig& c, const Membership& m, int group_rank, int data_set,
                                  long step) {
  const auto first = static_cast<std::uint64_t>(group_rank) * static_cast<std::uint64_t>(c.param_samples);
  const auto stream = static_cast<std::uint64_t>(m.index) + static_cast<std::uint64_t>(m.count) * data_set;
  return {c.seed, stream, static_cast<std::uint64_t>(step), first};
}

}  // namespace sagips::train
