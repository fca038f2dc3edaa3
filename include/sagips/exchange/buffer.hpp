#pragma once
// The arithmetic of the exchange strategies on their buffers, in the buffers' own memory space: a
// strategy given device memory (with a CUDA-aware MPI) sums and scales it on the device, a strategy
// given host memory on the host. Every operation is elementwise and in a fixed order per element, so
// results are the same bits on every rank and in every run.
//
//   using Ops = sagips::exchange::BufferOps<T, Space>;
//   Ops::scale(buf, T(1) / n);        Ops::add(dst, src);        Ops::all_finite(buf)
//   Ops::sum_slots(slots, n_slots, out)   // out[i] = slots[0][i] + slots[1][i] + ... in slot order

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <type_traits>

namespace sagips::exchange {

template <class T>
MPI_Datatype mpi_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "exchanges move float or double");
  return std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE;
}

template <class T, class Space>
struct BufferOps {
  using View = Kokkos::View<T*, Space>;
  using ConstView = Kokkos::View<const T*, Space>;
  using Exec = typename Space::execution_space;
  using Policy = Kokkos::RangePolicy<Exec>;

  // A window of a View: elements [begin, begin + count).
  static View part(const View& v, std::size_t begin, std::size_t count) {
    return Kokkos::subview(v, std::make_pair(begin, begin + count));
  }

  static void scale(const View& v, T factor) {
    Kokkos::parallel_for("sagips::exchange::scale", Policy(0, v.extent(0)),
                         KOKKOS_LAMBDA(std::size_t i) { v(i) *= factor; });
  }
  static void add(const View& dst, const ConstView& src) {
    Kokkos::parallel_for("sagips::exchange::add", Policy(0, dst.extent(0)),
                         KOKKOS_LAMBDA(std::size_t i) { dst(i) += src(i); });
  }
  static void copy(const View& dst, const ConstView& src) { Kokkos::deep_copy(Exec(), dst, src); }
  static void zero(const View& v) { Kokkos::deep_copy(Exec(), v, T(0)); }

  // out(i) = (slots(0, i) + slots(1, i) + ... + slots(m-1, i)) * factor, summed in slot order.
  static void sum_slots(const Kokkos::View<T**, Kokkos::LayoutRight, Space>& slots, int m, const View& out, T factor) {
    Kokkos::parallel_for(
        "sagips::exchange::sum_slots", Policy(0, out.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          T s = 0;
          for (int r = 0; r < m; ++r) s += slots(r, i);
          out(i) = s * factor;
        });
  }

  static bool all_finite(const ConstView& v) {
    int bad = 0;
    Kokkos::parallel_reduce(
        "sagips::exchange::finite", Policy(0, v.extent(0)),
        KOKKOS_LAMBDA(std::size_t i, int& acc) {
          const T x = v(i);
          acc += (x - x == T(0)) ? 0 : 1;  // x - x is NaN for NaN and for +-Inf
        },
        bad);
    return bad == 0;
  }

  // Kokkos kernels are asynchronous on a device: MPI may only touch a buffer after they are done.
  static void fence() { Exec().fence(); }
};

}  // namespace sagips::exchange
