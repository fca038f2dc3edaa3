#pragma once
// sagips sim: theories, samplers, detector stages, pipelines, parameter scaling, data shards.

#include "sagips/sim/dis.hpp"
#include "sagips/sim/grid.hpp"
#include "sagips/sim/grid_sampler.hpp"
#include "sagips/sim/inverse_cdf.hpp"
#include "sagips/sim/joint.hpp"
#include "sagips/sim/loits.hpp"
#include "sagips/sim/pipeline.hpp"
#include "sagips/sim/real_data.hpp"
#include "sagips/sim/reweighting.hpp"
#include "sagips/sim/sampler.hpp"
#include "sagips/sim/shard.hpp"
#include "sagips/sim/stages.hpp"
#include "sagips/sim/theories.hpp"
#include "sagips/sim/theory.hpp"
