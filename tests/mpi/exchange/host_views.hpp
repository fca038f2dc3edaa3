#pragma once
// How the exchange tests read and write Views of the default memory space (the exchanger's buffers,
// device memory on a GPU): only through host copies, never element by element nor by handing their
// .data() to MPI, so that every test holds on any Kokkos backend.
//
//   auto g = device_vector(values);            // a sagips::Vector<T> holding a std::vector's values
//   std::vector<T> now = host_values(g);       // its values, back on the host
//   edit_on_host(g, [&](auto h) { h(1) = x; });  // change some on the host, copied back
#include <Kokkos_Core.hpp>
#include <cstddef>
#include <cstring>
#include <sagips/core/views.hpp>
#include <string>
#include <vector>

namespace exchange_test {

// A View of the default memory space holding `values`.
template <class T>
sagips::Vector<T> device_vector(const std::vector<T>& values, const std::string& label = "values") {
  sagips::Vector<T> v(label, values.size());
  Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> from(values.data(),
                                                                                          values.size());
  Kokkos::deep_copy(v, from);
  return v;
}

// The values of a View of any memory space (complete: every kernel that wrote it has finished).
template <class V>
std::vector<typename V::non_const_value_type> host_values(const V& v) {
  Kokkos::fence();
  const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  return std::vector<typename V::non_const_value_type>(h.data(), h.data() + h.extent(0));
}

// Edits a View of any memory space on the host: edit(h) changes the host mirror h, which is then
// copied back (on a host backend h is the View itself).
template <class V, class Edit>
void edit_on_host(const V& v, Edit&& edit) {
  Kokkos::fence();
  const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  edit(h);
  Kokkos::deep_copy(v, h);
}

// Whether two vectors hold the same bits (a -0 is not a +0, a NaN equals the same NaN).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

}  // namespace exchange_test
