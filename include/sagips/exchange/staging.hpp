#pragma once
// Where an exchange's traffic starts from: device memory handed to MPI itself, when MPI can read it
// (mpi_device_aware()), or a staging copy in host memory (StagingSpace: pinned under CUDA), made and
// completed by stage() before MPI reads it.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdlib>
#include <cstring>

#include "sagips/core/config.hpp"

#if defined(SAGIPS_MPI_DEVICE_AWARE) && defined(__has_include)
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif
#endif

namespace sagips::exchange {

// Can MPI read and write device memory here? (configure-time support and the library's answer now)
inline bool mpi_device_aware() {
  const char* force = std::getenv("SAGIPS_MPI_DEVICE_AWARE");
  if (force && std::strcmp(force, "0") == 0) return false;
#if defined(SAGIPS_MPI_DEVICE_AWARE) && defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

// Host memory for staging: pinned under CUDA (fast copies), plain otherwise.
#if defined(KOKKOS_ENABLE_CUDA)
using StagingSpace = Kokkos::CudaHostPinnedSpace;
#else
using StagingSpace = Kokkos::HostSpace;
#endif

// dst = src, complete before this returns (MPI reads dst next): the copy on the execution space the
// kernels that wrote src ran on, then a fence of that instance only (not Kokkos::fence(), which
// would wait for every instance).
template <class Dst, class Src>
void stage(const Dst& dst, const Src& src) {
  Kokkos::deep_copy(ExecSpace(), dst, src);
  ExecSpace().fence();
}

}  // namespace sagips::exchange
