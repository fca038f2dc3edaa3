#pragma once
// The View types sagips passes around. Events, activations and parameter batches are
// row-major [rows, columns] (LayoutRight): one event's coordinates are contiguous, which is what
// the samplers write and what a GEMM on row-major maps reads.

#include <Kokkos_Core.hpp>

#include "sagips/core/config.hpp"

namespace sagips {

template <class T, class Space = MemSpace>
using Vector = Kokkos::View<T*, Space>;

template <class T, class Space = MemSpace>
using Matrix = Kokkos::View<T**, Kokkos::LayoutRight, Space>;

template <class T, class Space = MemSpace>
using ConstMatrix = Kokkos::View<const T**, Kokkos::LayoutRight, Space>;

template <class T, class Space = MemSpace>
using ConstVector = Kokkos::View<const T*, Space>;

// Host copies of the above, for I/O and checks.
template <class T>
using HostVector = Kokkos::View<T*, HostSpace>;
template <class T>
using HostMatrix = Kokkos::View<T**, Kokkos::LayoutRight, HostSpace>;

}  // namespace sagips
