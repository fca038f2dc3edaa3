// The 16-bit conversions of wire compression (exchange/compression.hpp) against exact values: ties
// to even, subnormals, the largest finite values, Inf and NaN, every bf16 and fp16 value round trip,
// double rounded directly (not through float), random floats against an independent rounding, and
// the View operations the strategies use (in Kokkos kernels).
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>
#include <sagips/exchange/compression.hpp>
#include <sagips/exchange/config.hpp>

namespace ex = sagips::exchange;

namespace {
std::uint32_t bits(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
float from(std::uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
const float inf = std::numeric_limits<float>::infinity();

// The nearest multiple of 2^k to x, ties to even (x a float: x / 2^k is exact in double, and
// nearbyint rounds ties to even in the default rounding mode).
// A host copy that never aliases the View (a mirror of host memory would be the View itself).
template <class View>
std::vector<typename View::non_const_value_type> host_copy(const View& v) {
  auto h = Kokkos::create_mirror(Kokkos::HostSpace(), v);
  Kokkos::deep_copy(h, v);
  return std::vector<typename View::non_const_value_type>(h.data(), h.data() + h.extent(0));
}

double nearest_multiple(double x, int k) { return std::ldexp(std::nearbyint(std::ldexp(x, -k)), k); }

// x rounded to a format with `mant` mantissa bits, smallest normal exponent `emin`, largest finite
// value `max`, computed with double arithmetic instead of bits: the test's independent reference.
double reference_round(float x, int mant, int emin, double max) {
  if (x == 0) return x;
  int e = std::ilogb(x);
  if (e < emin) e = emin;  // subnormals: one fixed spacing
  const double r = nearest_multiple(x, e - mant);
  return std::fabs(r) > max ? std::copysign(std::numeric_limits<double>::infinity(), r) : r;
}
}  // namespace

TEST_CASE("bf16: exact values, ties to even, the largest finite value, Inf and NaN") {
  CHECK(ex::to_bf16(1.0f) == 0x3F80);
  CHECK(ex::to_bf16(-2.0f) == 0xC000);
  CHECK(ex::to_bf16(0.0f) == 0x0000);
  CHECK(ex::to_bf16(-0.0f) == 0x8000);
  // Halfway between 1 and 1 + 2^-7: to the even 1. Halfway between 1 + 2^-7 and 1 + 2^-6: up, to the even.
  CHECK(ex::to_bf16(1.0f + 0x1p-8f) == 0x3F80);
  CHECK(ex::to_bf16(1.0f + 3 * 0x1p-8f) == 0x3F82);
  CHECK(ex::to_bf16(from(bits(1.0f + 0x1p-8f) + 1)) == 0x3F81);  // just above halfway
  CHECK(ex::to_bf16(from(bits(1.0f + 0x1p-8f) - 1)) == 0x3F80);  // just below
  CHECK(ex::to_bf16(-(1.0f + 3 * 0x1p-8f)) == 0xBF82);
  // The largest finite bf16 is (2 - 2^-7) 2^127; halfway above it (a tie, odd mantissa) goes to Inf.
  CHECK(ex::from_bf16(0x7F7F) == 0x1.fep127f);
  CHECK(ex::to_bf16(0x1.fep127f) == 0x7F7F);
  CHECK(ex::to_bf16(from(0x7F7F7FFF)) == 0x7F7F);
  CHECK(ex::to_bf16(from(0x7F7F8000)) == 0x7F80);
  CHECK(ex::to_bf16(std::numeric_limits<float>::max()) == 0x7F80);
  CHECK(ex::to_bf16(-std::numeric_limits<float>::max()) == 0xFF80);
  CHECK(ex::to_bf16(inf) == 0x7F80);
  CHECK(ex::to_bf16(-inf) == 0xFF80);
  CHECK(std::isinf(ex::from_bf16(0x7F80)));
  // NaN stays NaN, even one whose payload is only in bits that do not fit (not cut down to Inf).
  for (std::uint32_t nan_bits : {0x7FC00000u, 0x7F800001u, 0xFF800001u, 0x7FA00000u}) {
    const std::uint16_t h = ex::to_bf16(from(nan_bits));
    CAPTURE(nan_bits);
    CHECK((h & 0x7F80) == 0x7F80);
    CHECK((h & 0x007F) != 0);
    CHECK(std::isnan(ex::from_bf16(h)));
    CHECK((h >> 15) == (nan_bits >> 31));
  }
}

TEST_CASE("bf16: subnormals keep float's range (2^-133 the smallest), below half of it is zero") {
  CHECK(ex::to_bf16(0x1p-133f) == 0x0001);
  CHECK(ex::from_bf16(0x0001) == 0x1p-133f);
  CHECK(ex::to_bf16(0x1p-134f) == 0x0000);          // a tie between 0 and 2^-133: to the even 0
  CHECK(ex::to_bf16(0x1.8p-133f) == 0x0002);        // a tie between 1 and 2 units: to the even 2
  CHECK(ex::to_bf16(from(0x00000001)) == 0x0000);   // float's smallest subnormal
  CHECK(ex::to_bf16(0x1p-126f) == 0x0080);          // the smallest normal
  CHECK(ex::to_bf16(0x1.fcp-127f) == 0x007F);       // the largest subnormal, 127 * 2^-133
  CHECK(ex::from_bf16(0x007F) == 0x1.fcp-127f);
  CHECK(ex::to_bf16(0x1.fep-127f) == 0x0080);       // halfway between it and 2^-126: up, to the even
  CHECK(ex::to_bf16(-0x1p-133f) == 0x8001);
}

TEST_CASE("bf16: every one of the 65536 values decodes exactly and encodes back to itself") {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto h16 = static_cast<std::uint16_t>(h);
    const float f = ex::from_bf16(h16);
    CAPTURE(h);
    REQUIRE(bits(f) == h << 16);  // bf16 is float's top half
    const double d = ex::from_bf16<double>(h16);
    if (std::isnan(f)) {
      REQUIRE(std::isnan(d));
      REQUIRE(ex::to_bf16(f) == (h16 | 0x0040));  // a signalling NaN comes back quiet
      REQUIRE(ex::to_bf16(d) == (h16 | 0x0040));
    } else {
      REQUIRE(d == static_cast<double>(f));
      REQUIRE(ex::to_bf16(f) == h16);
      REQUIRE(ex::to_bf16(d) == h16);
    }
  }
}

TEST_CASE("fp16: exact values, ties to even, 65504 and overflow to Inf, subnormals, Inf and NaN") {
  CHECK(ex::to_fp16(1.0f) == 0x3C00);
  CHECK(ex::to_fp16(-2.0f) == 0xC000);
  CHECK(ex::to_fp16(0.1f) == 0x2E66);
  CHECK(ex::to_fp16(1.0f + 0x1p-11f) == 0x3C00);
  CHECK(ex::to_fp16(1.0f + 3 * 0x1p-11f) == 0x3C02);
  CHECK(ex::to_fp16(65504.0f) == 0x7BFF);
  CHECK(ex::from_fp16(0x7BFF) == 65504.0f);
  CHECK(ex::to_fp16(65519.0f) == 0x7BFF);
  CHECK(ex::to_fp16(65520.0f) == 0x7C00);  // the tie above the largest finite value goes to Inf
  CHECK(ex::to_fp16(-1e6f) == 0xFC00);
  CHECK(ex::to_fp16(1e30) == 0x7C00);      // a double far beyond the range
  CHECK(ex::to_fp16(inf) == 0x7C00);
  CHECK(ex::to_fp16(-inf) == 0xFC00);
  CHECK(ex::to_fp16(0x1p-24f) == 0x0001);  // the smallest subnormal
  CHECK(ex::to_fp16(0x1p-25f) == 0x0000);  // a tie between 0 and it: the even 0
  CHECK(ex::to_fp16(from(bits(0x1p-25f) + 1)) == 0x0001);
  CHECK(ex::to_fp16(0x1.8p-24f) == 0x0002);
  CHECK(ex::to_fp16(0x1p-14f) == 0x0400);  // the smallest normal
  CHECK(ex::to_fp16(0x1.ff8p-15f) == 0x03FF);  // the largest subnormal, 1023 * 2^-24
  CHECK(ex::to_fp16(0x1.ffcp-15f) == 0x0400);  // halfway to 2^-14: to the even
  CHECK(ex::from_fp16(0x0001) == 0x1p-24f);
  CHECK(ex::from_fp16(0x8001) == -0x1p-24f);
  CHECK(ex::to_fp16(1e-10) == 0x0000);
  for (std::uint32_t nan_bits : {0x7FC00000u, 0x7F800001u, 0xFF800001u}) {
    const std::uint16_t h = ex::to_fp16(from(nan_bits));
    CHECK((h & 0x7C00) == 0x7C00);
    CHECK((h & 0x03FF) != 0);
    CHECK(std::isnan(ex::from_fp16(h)));
  }
}

TEST_CASE("fp16: every value decodes to its exact value and encodes back to itself") {
  for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto h16 = static_cast<std::uint16_t>(h);
    const int field = (h >> 10) & 31, mant = h & 1023;
    const double sign = (h & 0x8000) ? -1 : 1;
    const float f = ex::from_fp16(h16);
    CAPTURE(h);
    if (field == 31) {
      REQUIRE((mant == 0 ? std::isinf(f) : std::isnan(f)));
      if (mant == 0) REQUIRE(ex::to_fp16(f) == h16);
      else REQUIRE(ex::to_fp16(f) == (h16 | 0x0200));
      continue;
    }
    const double exact = sign * (field == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, field - 25));
    REQUIRE(static_cast<double>(f) == exact);
    REQUIRE(ex::from_fp16<double>(h16) == exact);
    REQUIRE(ex::to_fp16(f) == h16);
    REQUIRE(ex::to_fp16(exact) == h16);
  }
}

TEST_CASE("a double is rounded once, not through float") {
  // 1 + 2^-8 + 2^-30: float rounds it to the tie 1 + 2^-8, which bf16 would then round to 1; the
  // direct rounding sees it is above halfway.
  const double d = 1.0 + 0x1p-8 + 0x1p-30;
  CHECK(ex::to_bf16(static_cast<float>(d)) == 0x3F80);
  CHECK(ex::to_bf16(d) == 0x3F81);
  const double e = 1.0 + 0x1p-11 + 0x1p-40;
  CHECK(ex::to_fp16(static_cast<float>(e)) == 0x3C00);
  CHECK(ex::to_fp16(e) == 0x3C01);
  CHECK(ex::to_bf16(1e-300) == 0x0000);
  CHECK(ex::to_bf16(-1e300) == 0xFF80);
}

TEST_CASE("random floats of every magnitude round as an independent reference rounds them") {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::uint32_t> any;
  long checked = 0;
  for (int k = 0; k < 2000000; ++k) {
    const float x = from(any(rng));
    if (!std::isfinite(x)) continue;
    ++checked;
    const double b = reference_round(x, 7, -126, 0x1.fep127);
    const double h = reference_round(x, 10, -14, 65504.0);
    CAPTURE(x);
    REQUIRE(static_cast<double>(ex::from_bf16(ex::to_bf16(x))) == b);
    REQUIRE(static_cast<double>(ex::from_fp16(ex::to_fp16(x))) == h);
#if defined(__FLT16_MAX__)
    // The compiler's own binary16 conversion (round to nearest even) as a second witness.
    const _Float16 native = static_cast<_Float16>(x);
    std::uint16_t native_bits;
    std::memcpy(&native_bits, &native, sizeof native_bits);
    REQUIRE(ex::to_fp16(x) == native_bits);
#endif
  }
  CHECK(checked > 1900000);
}

TEST_CASE("the View operations run in kernels: encode with a residual, keep, decode, feedback") {
  using Codec = ex::Codec<float, Kokkos::DefaultExecutionSpace::memory_space>;
  const std::size_t n = 1000;
  Kokkos::View<float*> src("src", n), residual("residual", n), back("back", n);
  Kokkos::View<std::uint16_t*> wire("wire", n);
  Kokkos::parallel_for(n, KOKKOS_LAMBDA(int i) { src(i) = 1.0f + 0.001f * i - 0.3f * (i % 7); });
  const auto hs = host_copy(src);
  for (ex::Compression c : {ex::Compression::bf16, ex::Compression::fp16}) {
    const std::string format = ex::to_string(c);
    CAPTURE(format);
    Kokkos::deep_copy(residual, 0.0f);
    Codec::encode(c, src, wire, residual);
    Codec::decode(c, wire, back);
    const auto hw = host_copy(wire);
    const auto hb = host_copy(back);
    const auto hr = host_copy(residual);
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(hw[i] == ex::encode(c, hs[i]));
      REQUIRE(hb[i] == ex::decode<float>(c, hw[i]));
      REQUIRE(hr[i] == hs[i] - hb[i]);  // the rounding error, exactly
      REQUIRE(std::fabs(hr[i]) <= ex::unit_roundoff(c) * std::fabs(hs[i]));
    }
    // Feedback: v = buf + residual is sent as Q(v); what is left is v - Q(v).
    Kokkos::View<float*> buf("buf", n);
    Kokkos::deep_copy(buf, src);
    const float largest = Codec::feed_back(c, buf, residual, 1e4f);
    CHECK(largest > 0);
    const auto hbuf = host_copy(buf);
    const auto hr2 = host_copy(residual);
    for (std::size_t i = 0; i < n; ++i) {
      const float v = hs[i] + hr[i];
      REQUIRE(hbuf[i] == ex::decode<float>(c, ex::encode(c, v)));
      REQUIRE(hr2[i] == v - hbuf[i]);
    }
    // Beyond the limit: nothing changes, and Inf says so.
    Kokkos::deep_copy(buf, src);
    CHECK(std::isinf(Codec::feed_back(c, buf, residual, 0.5f)));
    const auto hbuf2 = host_copy(buf);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(hbuf2[i] == hs[i]);
  }
}
