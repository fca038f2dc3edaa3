#pragma once
// sagips runtime: the host side of a run. MPI then Kokkos (Environment, run_main), errors raised on
// every rank (CollectiveError, check_all), owned communicators, the stall watchdog and the MPI-free
// deadline, durable files and the one-run-per-folder lock, checkpoint sections, stop signals, and
// text made valid UTF-8 for JSON.

#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/deadline.hpp"
#include "sagips/runtime/environment.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"
#include "sagips/runtime/folder_lock.hpp"
#include "sagips/runtime/serialize.hpp"
#include "sagips/runtime/signals.hpp"
#include "sagips/runtime/utf8.hpp"
#include "sagips/runtime/watchdog.hpp"
