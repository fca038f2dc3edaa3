#pragma once
// sagips train: the trainer, its configuration, outputs, checkpoints, estimates and progress line.

#include "sagips/train/broadcast.hpp"
#include "sagips/train/checkpoint.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/outputs.hpp"
#include "sagips/train/phases.hpp"
#include "sagips/train/progress.hpp"
#include "sagips/train/trainer.hpp"
