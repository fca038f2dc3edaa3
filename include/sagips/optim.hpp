#pragma once
// sagips optim: optimizers on flat parameter buffers, their contract, and a run-time choice among them.

#include "sagips/optim/adam.hpp"
#include "sagips/optim/choice.hpp"
#include "sagips/optim/contract.hpp"
#include "sagips/optim/sgd.hpp"
