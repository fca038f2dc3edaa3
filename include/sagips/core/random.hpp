#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11).
//
// Every draw is a pure function of (key, counter): event i of a batch reads counter i, on any
// backend, in any thread order. So a run is reproducible bit for bit for a given seed and rank
// count, on GPU too, and a checkpoint needs only the seed and the step, no generator state.
// (Kokkos' random pools hand states to threads in an order that varies on GPUs, and their state
// cannot be saved through the public API; that is why sagips does not use them.)
//
// Keys separate the streams: stream_key(seed, stream, purpose, step) gives each stream (a training
// step keys it by the model, so that every rank of a model draws from one sequence), each consumer
// (generator noise, sampler, smearing, data indices, ...) and each step its own sequence. A counter
// offset places a rank's draws in that sequence: the ranks of a model holding parameter sets
// [first_set, first_set + B) draw exactly what one rank holding all of them would draw for those sets,
// which is what makes a step independent of the rank count (docs/training.md, "Loss integrity").

#include <Kokkos_Core.hpp>
#include <cstdint>

#include "sagips/core/math.hpp"
#include "sagips/core/views.hpp"

namespace sagips::random {

// SplitMix64's finaliser: a bijective 64-bit mixer, used to derive keys.
KOKKOS_INLINE_FUNCTION std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Names of the streams sagips itself draws from; users may use any other 64-bit value.
enum class Purpose : std::uint64_t {
  generator_noise = 1,
  sampler = 2,
  detector = 3,
  data_indices = 4,
  initialization = 5,
  real_data = 6,
  background = 7,
  evaluation = 8,
  bootstrap = 9,
  objective = 10,  // a sample distance's own draws (the sliced distance's directions)
  start = 11,      // a model's start point and the noise its generator is fitted on (train/start.hpp)
  user = 1000,
};

inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t rank, std::uint64_t purpose,
                                std::uint64_t step = 0) {
  std::uint64_t k = mix64(seed);
  k = mix64(k ^ rank);
  k = mix64(k ^ purpose);
  return mix64(k ^ step);
}
inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t rank, Purpose purpose,
                                std::uint64_t step = 0) {
  return stream_key(seed, rank, static_cast<std::uint64_t>(purpose), step);
}

// The keys of one training step on one rank: each consumer asks for its own stream. stream: the
// model's index (or any other label of an independent sequence); first_set: the global index of this
// rank's first parameter set among its model's, the offset of its counters (0 on a model's first rank).
struct StepKeys {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  std::uint64_t step = 0;
  std::uint64_t first_set = 0;
  std::uint64_t key(Purpose purpose) const { return stream_key(seed, stream, purpose, step); }
  // This rank's first event among the model's, with m events per parameter set.
  std::uint64_t first_event(int m) const { return first_set * static_cast<std::uint64_t>(m); }
};

struct Bits4 {
  std::uint32_t w[4];
};

// Philox4x32 with 10 rounds: 4 × 32 random bits per (key, counter, block).
KOKKOS_INLINE_FUNCTION Bits4 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                                           std::uint32_t c3, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(m0) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(m1) * c2;
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += w0;
    k1 += w1;
  }
  return Bits4{{c0, c1, c2, c3}};
}

// A stateless generator: copy it into kernels freely.
class CounterRng {
 public:
  KOKKOS_INLINE_FUNCTION CounterRng() = default;
  // offset: added to every counter, so that counter i of this generator is counter offset + i of the
  // stream (a rank's place in its model's sequence).
  KOKKOS_INLINE_FUNCTION explicit CounterRng(std::uint64_t key, std::uint64_t offset = 0) : key_(key), offset_(offset) {}
  CounterRng(const StepKeys& keys, Purpose purpose, std::uint64_t offset = 0) : key_(keys.key(purpose)), offset_(offset) {}
  KOKKOS_INLINE_FUNCTION std::uint64_t key() const { return key_; }
  KOKKOS_INLINE_FUNCTION std::uint64_t offset() const { return offset_; }

  // counter: a row's index (the offset is added to it); sub: further draws of the same row (a
  // stage that needs several per event takes them here, so rows stay one counter apart).
  KOKKOS_INLINE_FUNCTION Bits4 bits(std::uint64_t counter, std::uint32_t block = 0, std::uint32_t sub = 0) const {
    counter += offset_;
    return philox4x32_10(static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32),
                         block, sub, static_cast<std::uint32_t>(key_),
                         static_cast<std::uint32_t>(key_ >> 32));
  }

  // Four uniforms in the open interval (0, 1) for this counter (and sub-draw).
  KOKKOS_INLINE_FUNCTION void uniform4(std::uint64_t counter, float (&u)[4], std::uint32_t sub = 0) const {
    const Bits4 b = bits(counter, 0, sub);
    for (int i = 0; i < 4; ++i) u[i] = (static_cast<float>(b.w[i] >> 8) + 0.5f) * 0x1.0p-24f;
  }
  KOKKOS_INLINE_FUNCTION void uniform4(std::uint64_t counter, double (&u)[4], std::uint32_t sub = 0) const {
    const Bits4 a = bits(counter, 0, sub), b = bits(counter, 1, sub);
    for (int i = 0; i < 4; ++i) {
      const std::uint32_t hi = i < 2 ? a.w[2 * i] : b.w[2 * (i - 2)];
      const std::uint32_t lo = i < 2 ? a.w[2 * i + 1] : b.w[2 * (i - 2) + 1];
      const std::uint64_t x = ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;  // 53 bits
      u[i] = (static_cast<double>(x) + 0.5) * 0x1.0p-53;
    }
  }
  // Four standard normals for this counter (Box-Muller on the four uniforms).
  template <class T>
  KOKKOS_INLINE_FUNCTION void normal4(std::uint64_t counter, T (&z)[4], std::uint32_t sub = 0) const {
    T u[4];
    uniform4(counter, u, sub);
    const T two_pi = T(6.283185307179586476925286766559);
    for (int i = 0; i < 4; i += 2) {
      const T r = math::sqrt(T(-2) * math::log(u[i]));
      z[i] = r * math::cos(two_pi * u[i + 1]);
      z[i + 1] = r * math::sin(two_pi * u[i + 1]);
    }
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION T uniform(std::uint64_t counter) const {
    T u[4];
    uniform4(counter, u);
    return u[0];
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION T normal(std::uint64_t counter) const {
    T z[4];
    normal4(counter, z);
    return z[0];
  }
  // A uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-32 n).
  KOKKOS_INLINE_FUNCTION std::uint64_t below(std::uint64_t counter, std::uint64_t n) const {
    const Bits4 b = bits(counter);
    const std::uint64_t x = (static_cast<std::uint64_t>(b.w[0]) << 32) | b.w[1];
#if defined(__SIZEOF_INT128__) && !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__)
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64);
#else
    // 64 × 64 → high 64 bits without __int128 (device code).
    const std::uint64_t xl = x & 0xffffffffull, xh = x >> 32, nl = n & 0xffffffffull, nh = n >> 32;
    const std::uint64_t ll = xl * nl, lh = xl * nh, hl = xh * nl, hh = xh * nh;
    const std::uint64_t mid = (ll >> 32) + (lh & 0xffffffffull) + (hl & 0xffffffffull);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
  }

 private:
  std::uint64_t key_ = 0;
  std::uint64_t offset_ = 0;
};

// Standard normals into a [rows, cols] matrix that is rows [first_row, first_row + rows) of a larger
// one: its element (g, j) is component e % 4 of counter block e / 4, e = g cols + j, so the values
// depend only on the stream, the width and the global row (any backend, any thread count, any split
// of the rows over ranks).
template <class T>
void fill_normal(Matrix<T> m, CounterRng rng, std::uint64_t first_row = 0) {
  const std::uint64_t cols = m.extent(1);
  const std::uint64_t first = first_row * cols, last = first + m.extent(0) * cols;  // global elements
  if (first == last) return;
  const std::uint64_t b0 = first / 4, blocks = (last + 3) / 4 - b0;
  Kokkos::parallel_for(
      "sagips::fill_normal", Kokkos::RangePolicy<ExecSpace>(0, static_cast<std::int64_t>(blocks)),
      KOKKOS_LAMBDA(std::int64_t b) {
        T z[4];
        const std::uint64_t block = b0 + static_cast<std::uint64_t>(b);
        rng.normal4(block, z);
        for (std::uint64_t k = 0; k < 4; ++k) {
          const std::uint64_t e = 4 * block + k;
          if (e >= first && e < last) m((e - first) / cols, (e - first) % cols) = z[k];
        }
      });
}

}  // namespace sagips::random
