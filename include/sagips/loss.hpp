#pragma once
// sagips loss: GAN losses with value, gradient and per-event weights.

#include "sagips/loss/losses.hpp"
