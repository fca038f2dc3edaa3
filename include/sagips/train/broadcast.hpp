#pragma once
// Rank 0 of a communicator hands its state to the others at the start of training: a View's values
// (through a host copy), and anything with save/load (an optimizer's state, through the same binary
// sections a checkpoint uses). Both wait under the stall watchdog.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <sstream>
#include <string>
#include <type_traits>

#include "sagips/runtime/serialize.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::train {

template <class View>
void broadcast_view(const View& v, MPI_Comm comm) {
  using T = typename View::non_const_value_type;
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "broadcast_view: float or double Views");
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  mpi::bcast(h.data(), static_cast<int>(h.span()), std::is_same_v<T, float> ? MPI_FLOAT : MPI_DOUBLE, 0, comm,
             "the broadcast of rank 0's weights");
  Kokkos::deep_copy(v, h);
}

template <class State>
void broadcast_state(State& state, const std::string& name, MPI_Comm comm) {
  std::ostringstream os;
  BinaryWriter w(os);
  state.save(w, name);
  std::string bytes = os.str();
  long len = static_cast<long>(bytes.size());
  mpi::bcast(&len, 1, MPI_LONG, 0, comm, "the broadcast of rank 0's " + name);
  bytes.resize(static_cast<std::size_t>(len));
  mpi::bcast(bytes.data(), static_cast<int>(len), MPI_CHAR, 0, comm, "the broadcast of rank 0's " + name);
  std::istringstream is(bytes);
  BinaryReader r(is, "rank 0's " + name);
  state.load(r, name);
}

}  // namespace sagips::train
