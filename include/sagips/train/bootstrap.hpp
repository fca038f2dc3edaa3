#pragma once
// The bootstrap: a resample of the real data with replacement, drawn per ensemble member, so that the
// members' spread contains the statistical uncertainty of the data (docs/training.md, "One step").
// Event i of member m's resample is event rng_m.below(i, N) of the data: the same resample on every
// rank of a member and in every run with the same data seed.

#include <cstddef>
#include <cstdint>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"

namespace sagips::train {

template <class T>
HostMatrix<T> bootstrap_resample(HostMatrix<const T> data, std::uint64_t data_seed, int member) {
  HostMatrix<T> boot("sagips::train::bootstrap", data.extent(0), data.extent(1));
  const random::CounterRng rng(
      random::stream_key(data_seed, static_cast<std::uint64_t>(member), random::Purpose::bootstrap, 0));
  const std::uint64_t n = data.extent(0);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t k = rng.below(i, n);
    for (std::size_t d = 0; d < data.extent(1); ++d) boot(i, d) = data(k, d);
  }
  return boot;
}

}  // namespace sagips::train
