#pragma once
// Version, and the few spelling differences between the Kokkos releases we support
// (Debian's 3.4 and a user's 4.x), so that no other header needs an #if on KOKKOS_VERSION.

#include <Kokkos_Core.hpp>

#define SAGIPS_VERSION_MAJOR 0
#define SAGIPS_VERSION_MINOR 1
#define SAGIPS_VERSION_PATCH 0
#define SAGIPS_VERSION_STRING "0.1.0"

#if KOKKOS_VERSION < 30400
#error "sagips needs Kokkos 3.4 or newer"
#endif

namespace sagips {

// Kokkos 4 moved the mathematical functions from Kokkos::Experimental into Kokkos.
#if KOKKOS_VERSION >= 40000
namespace kokkos_math = ::Kokkos;
#else
namespace kokkos_math = ::Kokkos::Experimental;
#endif

// The execution and memory spaces sagips computes in unless told otherwise.
using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;
using HostSpace = Kokkos::HostSpace;

// True when the default execution space can read host memory directly (Serial, OpenMP, Threads).
inline constexpr bool exec_space_is_host =
    Kokkos::SpaceAccessibility<ExecSpace, Kokkos::HostSpace>::accessible;

}  // namespace sagips
