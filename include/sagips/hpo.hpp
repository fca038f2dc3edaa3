#pragma once
// sagips hpo: hyper-parameter search over blocks of MPI ranks (docs/hpo.md): a search space of
// run-time options, random and Gaussian-process proposals, asynchronous successive halving over
// training steps, a resumable coordinator, and a truth-free score.

#include "sagips/hpo/gaussian_process.hpp"
#include "sagips/hpo/scheduler.hpp"
#include "sagips/hpo/score.hpp"
#include "sagips/hpo/search.hpp"
#include "sagips/hpo/space.hpp"
#include "sagips/options/assign.hpp"
