#pragma once
// sagips train: the trainer and its parts (models, step, schedule, report, result), its configuration,
// outputs, checkpoints, estimates and progress line.

#include "sagips/train/broadcast.hpp"
#include "sagips/train/checkpoint.hpp"
#include "sagips/train/checkpoint_file.hpp"
#include "sagips/train/composition.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/data_identity.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/gather.hpp"
#include "sagips/train/models.hpp"
#include "sagips/train/outputs.hpp"
#include "sagips/train/partition.hpp"
#include "sagips/train/phases.hpp"
#include "sagips/train/progress.hpp"
#include "sagips/train/report.hpp"
#include "sagips/train/result.hpp"
#include "sagips/train/sampler.hpp"
#include "sagips/train/schedule.hpp"
#include "sagips/train/step.hpp"
#include "sagips/train/stop.hpp"
#include "sagips/train/trainer.hpp"
