#pragma once
// sagips optim: optimizers on flat parameter buffers.

#include "sagips/optim/adam.hpp"
#include "sagips/optim/sgd.hpp"
