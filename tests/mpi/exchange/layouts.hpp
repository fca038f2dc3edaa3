#pragma once
// The exchange configurations the MPI exchange tests run every strategy with: every group size that
// divides the rank count, every mode, two-sided and one-sided, chunked and pass-along rings (each
// strategy reads the fields it uses). test_exchange.cpp runs them all; the compression tests the
// two-sided ones (compression_support.hpp). Each runs on both paths a buffer can take (paths below):
// handed to the strategy where it lives, and staged through the exchanger's host buffer (the path of
// a GPU run without a CUDA-aware MPI, which Config::stage_through_host forces on a host backend).
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cstddef>
#include <sagips/exchange.hpp>
#include <string>
#include <type_traits>
#include <vector>

namespace exchange_test {

namespace ex = sagips::exchange;

inline std::vector<ex::Config> layouts(int size) {
  std::vector<ex::Config> out;
  for (int g = 1; g <= size; ++g) {
    if (size % g != 0) continue;
    for (ex::Mode mode : {ex::Mode::weak, ex::Mode::strong, ex::Mode::leader_broadcast})
      for (bool rma : {false, true})
        for (std::size_t threshold : {std::size_t(1), std::size_t(1) << 40}) {  // chunked, pass-along rings
          ex::Config c;
          c.group_size = g;
          c.outer_period = 3;
          c.mode = mode;
          c.rma = rma;
          c.chunk_threshold = threshold;
          out.push_back(c);
        }
  }
  return out;
}

// The two paths, as Config::stage_through_host: false (the buffer itself where MPI can take it: host
// memory on a host backend), true (staged through a host buffer). Index results by it: got[staged].
inline constexpr bool paths[] = {false, true};

inline ex::Config on_path(ex::Config c, bool staged) {
  c.stage_through_host = staged;
  return c;
}

inline constexpr bool host_backend = std::is_same_v<sagips::MemSpace, Kokkos::HostSpace>;

// The exchanger took the path asked for: staged when asked; on a host backend, host memory otherwise
// (on a GPU the unstaged path depends on the MPI: device memory for a CUDA-aware one, else staged).
template <class E>
void check_path(const E& e, bool staged) {
  CAPTURE(e.path());
  if (staged) CHECK(e.staged());
  if (host_backend) {
    CHECK(e.staged() == staged);
    CHECK(e.path() == std::string(staged ? "staged through a host buffer" : "host memory"));
  }
}

// Whether the two paths run the same arithmetic, so that they must hold the same bits: always on a
// host backend (the staged path is the same code on an exact copy); on a GPU when the unstaged one is
// staged too (no CUDA-aware MPI). Device kernels against host code may round differently (FMAs).
inline bool same_arithmetic(bool unstaged_path_staged) { return host_backend || unstaged_path_staged; }

}  // namespace exchange_test
