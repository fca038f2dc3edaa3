#pragma once
// sagips core: what kernels use, on host and device: the Kokkos version's spellings, scalar math,
// views, counter-based random numbers, the naming rule of user parts, and Eigen as sagips includes it
// (host-side dense algebra). The host runtime (MPI and Kokkos start-up, errors on every rank, the
// watchdog, durable files, signals) is sagips/runtime.hpp; options, the command line and config files
// are sagips/options.hpp.

#include "sagips/core/config.hpp"
#include "sagips/core/math.hpp"
#include "sagips/core/names.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
