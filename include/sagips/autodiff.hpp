#pragma once
// sagips autodiff: forward-mode dual numbers (reverse mode lives with the layers in sagips/nn).

#include "sagips/autodiff/dual.hpp"
