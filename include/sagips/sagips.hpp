#pragma once
// The whole of sagips in one include. Each concern also has its own umbrella (sagips/core.hpp,
// sagips/autodiff.hpp, ...) and each header compiles on its own. sagips/app.hpp is the one-call program.

#include "sagips/app.hpp"
#include "sagips/autodiff.hpp"
#include "sagips/core.hpp"
#include "sagips/exchange.hpp"
#include "sagips/fit.hpp"
#include "sagips/hpo.hpp"
#include "sagips/io.hpp"
#include "sagips/loss.hpp"
#include "sagips/nn.hpp"
#include "sagips/objective.hpp"
#include "sagips/optim.hpp"
#include "sagips/options.hpp"
#include "sagips/policies.hpp"
#include "sagips/runtime.hpp"
#include "sagips/sim.hpp"
#include "sagips/train.hpp"
#include "sagips/version.hpp"
