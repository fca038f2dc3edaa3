#pragma once
// Progress calls between row blocks that happen while the device computes. A network that is given a
// progress callback (the trainer's exchange.test()) runs a batch in row blocks and calls it after
// each; on a device, kernel launches return at once, so without more every call would come at
// enqueue time, long before the blocks run. Each block is therefore followed by a one-thread kernel
// that writes the block's number into a flag in host-visible memory (pinned under CUDA), and the host
// keeps calling progress() until the block before the one just enqueued has run: the device always
// has one block queued, the host drives the exchange meanwhile. On a host backend the flag is set as
// the kernel runs, so this is exactly one progress() per block. (Free functions: nvcc refuses a
// device lambda in a private member function.)

#include <Kokkos_Core.hpp>
#include <functional>

#include "sagips/core/config.hpp"

namespace sagips::nn::detail {

#if defined(KOKKOS_ENABLE_CUDA)
using FlagSpace = Kokkos::CudaHostPinnedSpace;
#else
using FlagSpace = Kokkos::HostSpace;
#endif
using BlockFlag = Kokkos::View<int, FlagSpace>;

// After the kernels of a block, in stream order: the flag says this block (number `value`) ran.
inline void mark_block_done(const BlockFlag& done, int value) {
  Kokkos::parallel_for(
      "sagips::nn::block_done", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(int) { done() = value; });
}

// progress() until the flag reaches `value` (the block that number names has run).
inline void progress_until(const BlockFlag& done, int value, const std::function<void()>& progress) {
  const volatile int* flag = done.data();
  do progress();
  while (*flag < value);
}

}  // namespace sagips::nn::detail
