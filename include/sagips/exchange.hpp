#pragma once
// sagips exchange: the gradient-exchange axis. contract.hpp says what a strategy is; strategies.hpp
// lists the built-in ones (each in a header of its own) and Builtin, the run-time choice among them;
// exchanger.hpp runs a strategy on a buffer wherever it lives; drift.hpp measures how far the ranks'
// weights have moved apart.

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/config.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/drift.hpp"
#include "sagips/exchange/exchanger.hpp"
#include "sagips/exchange/strategies.hpp"
