#pragma once
// sagips fit: the traditional baseline, an unbinned maximum-likelihood fit with Hessian errors, by
// damped Newton (few parameters) or L-BFGS (many), profile-likelihood intervals, and a many-parameter
// Bernstein density.

#include "sagips/fit/bernstein.hpp"
#include "sagips/fit/joint.hpp"
#include "sagips/fit/lbfgs_fit.hpp"
#include "sagips/fit/likelihood.hpp"
#include "sagips/fit/mle.hpp"
#include "sagips/fit/profile.hpp"
#include "sagips/fit/ratio.hpp"
#include "sagips/fit/quadrature.hpp"
