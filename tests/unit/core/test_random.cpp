// The counter-based generator: Philox4x32-10 known-answer vectors, reproducibility, independent
// streams, and the distributions of uniforms and normals.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <sagips/core/random.hpp>
#include <vector>

using sagips::random::CounterRng;

TEST_CASE("Philox4x32-10 reproduces the published known-answer vectors") {
  // Random123's kat_vectors: philox4x32 10 rounds.
  auto a = sagips::random::philox4x32_10(0, 0, 0, 0, 0, 0);
  CHECK(a.w[0] == 0x6627e8d5u);
  CHECK(a.w[1] == 0xe169c58du);
  CHECK(a.w[2] == 0xbc57ac4cu);
  CHECK(a.w[3] == 0x9b00dbd8u);
  auto b = sagips::random::philox4x32_10(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
                                         0xffffffffu);
  CHECK(b.w[0] == 0x408f276du);
  CHECK(b.w[1] == 0x41c83b0eu);
  CHECK(b.w[2] == 0xa20bc7c6u);
  CHECK(b.w[3] == 0x6d5451fdu);
  auto c = sagips::random::philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u,
                                         0x299f31d0u);
  CHECK(c.w[0] == 0xd16cfe09u);
  CHECK(c.w[1] == 0x94fdccebu);
  CHECK(c.w[2] == 0x5001e420u);
  CHECK(c.w[3] == 0x24126ea1u);
}

TEST_CASE("stream keys separate seeds, ranks, purposes and steps") {
  using sagips::random::Purpose;
  using sagips::random::stream_key;
  const auto k = stream_key(7, 0, Purpose::sampler, 3);
  CHECK(k == stream_key(7, 0, Purpose::sampler, 3));
  CHECK(k != stream_key(8, 0, Purpose::sampler, 3));
  CHECK(k != stream_key(7, 1, Purpose::sampler, 3));
  CHECK(k != stream_key(7, 0, Purpose::detector, 3));
  CHECK(k != stream_key(7, 0, Purpose::sampler, 4));
}

TEST_CASE_TEMPLATE("uniforms lie in (0,1) and pass a Kolmogorov-Smirnov test", T, float, double) {
  const int n = 200000;
  CounterRng rng(sagips::random::stream_key(1234, 0, 99));
  Kokkos::View<T*> u("u", n);
  Kokkos::parallel_for(
      "uniforms", n / 4, KOKKOS_LAMBDA(int i) {
        T v[4];
        rng.uniform4(static_cast<std::uint64_t>(i), v);
        for (int j = 0; j < 4; ++j) u(4 * i + j) = v[j];
      });
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), u);
  std::vector<double> x(h.data(), h.data() + n);
  std::sort(x.begin(), x.end());
  CHECK(x.front() > 0.0);
  CHECK(x.back() < 1.0);
  double d = 0;
  for (int i = 0; i < n; ++i) d = std::max({d, std::abs(x[i] - double(i) / n), std::abs(x[i] - double(i + 1) / n)});
  // Critical value at significance 0.001: 1.95 / sqrt(n).
  CHECK(d < 1.95 / std::sqrt(double(n)));
}

TEST_CASE_TEMPLATE("normals have the moments and the CDF of N(0,1)", T, float, double) {
  const int n = 200000;
  CounterRng rng(sagips::random::stream_key(99, 3, 1));
  std::vector<double> z(n);
  for (int i = 0; i < n / 4; ++i) {
    T v[4];
    rng.normal4(static_cast<std::uint64_t>(i), v);
    for (int j = 0; j < 4; ++j) z[4 * i + j] = v[j];
  }
  double mean = 0, var = 0;
  for (double v : z) mean += v;
  mean /= n;
  for (double v : z) var += (v - mean) * (v - mean);
  var /= n - 1;
  CHECK(std::abs(mean) < 5 / std::sqrt(double(n)));
  CHECK(std::abs(var - 1) < 5 * std::sqrt(2.0 / n));
  std::sort(z.begin(), z.end());
  double d = 0;
  for (int i = 0; i < n; ++i) {
    const double cdf = 0.5 * std::erfc(-z[i] / std::sqrt(2.0));
    d = std::max({d, std::abs(cdf - double(i) / n), std::abs(cdf - double(i + 1) / n)});
  }
  CHECK(d < 1.95 / std::sqrt(double(n)));
}

TEST_CASE("below(n) is uniform over [0, n)") {
  CounterRng rng(42);
  const std::uint64_t n = 7;
  std::vector<int> count(n, 0);
  const int draws = 70000;
  for (int i = 0; i < draws; ++i) {
    const auto k = rng.below(static_cast<std::uint64_t>(i), n);
    REQUIRE(k < n);
    ++count[k];
  }
  double chi2 = 0;
  for (int c : count) chi2 += (c - draws / 7.0) * (c - draws / 7.0) / (draws / 7.0);
  CHECK(chi2 < 22.46);  // chi-square, 6 degrees of freedom, p = 0.001
}
