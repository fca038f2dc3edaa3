#pragma once
// How the real data are laid out over a model's ranks (sim/shard.hpp explains both; the trainer's
// --shard-layout chooses).
//   split:  each rank a block of the shuffled data set, each batch drawn from the whole block.
//   strata: each parameter set of a step its own stratum of the data, kept by the rank that holds the
//           set: a step's batch does not depend on the rank count.

namespace sagips::sim {

enum class ShardLayout { split, strata };

}  // namespace sagips::sim
