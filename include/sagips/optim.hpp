#pragma once
// sagips optim: optimizers on flat parameter buffers, their contract, a run-time choice among them,
// and L-BFGS on an objective summed over ranks (a network's least-squares fit among them).

#include "sagips/optim/adam.hpp"
#include "sagips/optim/choice.hpp"
#include "sagips/optim/contract.hpp"
#include "sagips/optim/lbfgs.hpp"
#include "sagips/optim/least_squares.hpp"
#include "sagips/optim/sgd.hpp"
