#pragma once
// sagips fit: the traditional baseline, an unbinned maximum-likelihood fit with Hessian errors.

#include "sagips/fit/likelihood.hpp"
#include "sagips/fit/mle.hpp"
#include "sagips/fit/quadrature.hpp"
