#pragma once
// sagips exchange: the gradient-exchange axis. contract.hpp says what a strategy is; strategies.hpp
// lists the built-in ones (each in a header of its own) and Builtin, the run-time choice among them;
// choice.hpp holds several strategies behind one interface for a run-time choice; exchanger.hpp runs
// a strategy on a buffer, directly or through a host copy (staging.hpp says which); drift.hpp measures
// how far the ranks' weights have moved apart.

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/choice.hpp"
#include "sagips/exchange/config.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/drift.hpp"
#include "sagips/exchange/exchanger.hpp"
#include "sagips/exchange/staging.hpp"
#include "sagips/exchange/strategies.hpp"
