#pragma once
// sagips objectives: the sample distances a generator can be trained on instead of (or, with
// --objective gan, the default) a discriminator: the energy distance, MMD with Gaussian or inverse
// multiquadric kernels, the sliced Wasserstein distance; their contract and run-time choice.

#include "sagips/objective/choice.hpp"
#include "sagips/objective/contract.hpp"
#include "sagips/objective/pair.hpp"
#include "sagips/objective/sliced.hpp"
