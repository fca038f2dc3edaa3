#pragma once
// The exchange configurations the MPI exchange tests run every strategy with: every group size that
// divides the rank count, every mode, two-sided and one-sided, chunked and pass-along rings (each
// strategy reads the fields it uses). test_exchange.cpp runs them all; the compression tests the
// two-sided ones (compression_support.hpp).
#include <cstddef>
#include <sagips/exchange.hpp>
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

}  // namespace exchange_test
