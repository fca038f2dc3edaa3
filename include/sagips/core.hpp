#pragma once
// sagips core: command-line checks, configuration, environment (MPI + Kokkos), errors, durable files,
// math, views, random numbers.

#include "sagips/core/cli.hpp"
#include "sagips/core/config_file.hpp"
#include "sagips/core/config.hpp"
#include "sagips/core/deadline.hpp"
#include "sagips/core/environment.hpp"
#include "sagips/core/error.hpp"
#include "sagips/core/files.hpp"
#include "sagips/core/folder_lock.hpp"
#include "sagips/core/math.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/serialize.hpp"
#include "sagips/core/signals.hpp"
#include "sagips/core/utf8.hpp"
#include "sagips/core/views.hpp"
