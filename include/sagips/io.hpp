#pragma once
// sagips io: event files.

#include "sagips/io/npy.hpp"
