#pragma once
// sagips exchange: the gradient-exchange strategies (see sagips/exchange/strategies.hpp).

#include "sagips/exchange/config.hpp"
#include "sagips/exchange/drift.hpp"
#include "sagips/exchange/exchanger.hpp"
#include "sagips/exchange/strategies.hpp"
