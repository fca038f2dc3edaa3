#pragma once
// sagips io: event files.

#include "sagips/io/npy.hpp"
#include "sagips/io/npy_header.hpp"
