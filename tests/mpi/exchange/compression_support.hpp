#pragma once
// What the wire-compression tests share (test_compression.cpp, test_error_feedback.cpp): a compressible
// strategy written with public names only, docs/exchange.md's error bounds, and test gradients.
// The tests read and write device buffers only through host mirrors (host_views.hpp), so they hold on a GPU.
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sagips/exchange.hpp>
#include <string>
#include <vector>

#include "host_views.hpp"
#include "layouts.hpp"
#include "mpi_test.hpp"

namespace compression_test {

namespace ex = sagips::exchange;
using sagips::Vector;

// A compressible strategy of one's own, written with public names only: every rank's buffer, encoded
// once (its rounding error into the exchanger's residual), gathered to every rank, decoded and
// summed in rank order. It hands MPI its Space's memory: device_buffers says it may, and the
// exchanger gives it device memory only where MPI reads it (a CUDA-aware MPI), else a host buffer.
struct GatherAll {
  static constexpr const char* name = "gather-all";
  static constexpr bool device_buffers = true;
  static constexpr bool compressible = true;

  template <class T, class Space>
  class Impl : public ex::NoServer<T, Space> {
    using Codec = ex::Codec<T, Space>;

   public:
    Impl(MPI_Comm comm, const ex::Config& c, std::size_t n)
        : ex::NoServer<T, Space>(comm), comm_(sagips::Comm::dup(comm, "gather-all")), c_(c.compression) {
      wire_ = Kokkos::View<std::uint16_t*, Space>("wire", n);
      all_ = Kokkos::View<std::uint16_t**, Kokkos::LayoutRight, Space>("all", this->size_, n);
    }
    void start(Kokkos::View<T*, Space> grads, std::int64_t) {
      const std::size_t n = grads.extent(0);
      Codec::encode(c_, grads, wire_, this->residual_);
      Kokkos::fence();
      MPI_Allgather(wire_.data(), static_cast<int>(n), Codec::wire_type(), all_.data(), static_cast<int>(n),
                    Codec::wire_type(), comm_);
      Codec::decode_sum_slots(c_, all_, this->size_, grads, T(1) / static_cast<T>(this->size_));
      Kokkos::fence();
      ++this->stats_.exchanges;
    }
    bool test() { return true; }
    void finish() {}

   private:
    sagips::Comm comm_;
    ex::Compression c_;
    Kokkos::View<std::uint16_t*, Space> wire_;
    Kokkos::View<std::uint16_t**, Kokkos::LayoutRight, Space> all_;
  };
};

inline constexpr ex::Compression formats[] = {ex::Compression::bf16, ex::Compression::fp16};

// Half the spacing of the format's subnormals: the absolute error floor of one rounding.
inline double eta(ex::Compression c) { return c == ex::Compression::fp16 ? 0x1p-25 : 0x1p-134; }
template <class T>
double unit_roundoff_of() {
  return std::numeric_limits<T>::epsilon() / 2;
}

// docs/exchange.md's bound for one exchange, per element: N contributors, A the sum of the
// magnitudes of what they sent, H the roundings after each rank's own (a chunked ring: N - 1).
template <class T>
double one_exchange_bound(ex::Compression c, int N, int H, double A) {
  const double u = ex::unit_roundoff(c), e = unit_roundoff_of<T>();
  return ((1 + H) * u + (N + 2) * e) * std::pow(1 + 2 * u, N + 1) * A / N + (N + H) * eta(c) / N;
}

// Rank r's gradient at step t, element i: mixed signs, magnitudes from 2^-8 to 2^8 (and, for fp16,
// some in its subnormal range), fractions that do not fit in 16 bits.
inline double value(int r, long t, std::size_t i, ex::Compression c) {
  const std::uint64_t h = (static_cast<std::uint64_t>(r) * 1000003u + static_cast<std::uint64_t>(t) * 7919u +
                           static_cast<std::uint64_t>(i) * 104729u) * 0x9E3779B97F4A7C15ull;
  const int k = static_cast<int>((h >> 20) % 19);
  double mag = std::ldexp(1.0, k - 9);
  if (c == ex::Compression::fp16 && k == 0) mag = 0x1p-20;  // below fp16's normal range
  const double frac = static_cast<double>((h >> 33) & 0xFFFFFF) / 0x1000000;  // 24 bits
  return ((h >> 60) & 1 ? -1.0 : 1.0) * mag * (1 + frac);
}

// The configurations of the built-in tests that compression allows (the two-sided ones); the tests
// run each on both paths (exchange_test::paths).
inline std::vector<ex::Config> layouts(int size, ex::Compression c) {
  std::vector<ex::Config> out;
  for (ex::Config x : exchange_test::layouts(size))
    if (!x.rma) {
      x.compression = c;
      out.push_back(x);
    }
  return out;
}

// Gathers a vector of n doubles from every rank: all[q * n + i].
inline std::vector<double> gather(const std::vector<double>& mine) {
  std::vector<double> all(mine.size() * static_cast<std::size_t>(sagips::testing::size()));
  MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), static_cast<int>(mine.size()),
                MPI_DOUBLE, sagips::testing::comm());
  return all;
}

template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

}  // namespace compression_test
