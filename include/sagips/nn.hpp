#pragma once
// sagips nn: dense layers, activations, Mlp/Sequential networks over one flat parameter buffer,
// reverse mode at layer granularity.

#include "sagips/nn/activations.hpp"
#include "sagips/nn/batch_norm.hpp"
#include "sagips/nn/contract.hpp"
#include "sagips/nn/init.hpp"
#include "sagips/nn/mlp.hpp"
#include "sagips/nn/network.hpp"
