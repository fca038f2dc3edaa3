#pragma once
// Wire compression: the exchange's values travel as 16-bit floats and are decoded and summed in the
// buffer's own type T (float or double).
//
//   Compression::bf16   1 sign, 8 exponent, 7 mantissa bits: float's range; unit roundoff u = 2^-8
//   Compression::fp16   IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits: |x| <= 65504; u = 2^-11
//
// Encoding rounds to nearest, ties to even, straight from float or double (a double is not rounded
// to float first, which could round twice). Subnormals are kept; a finite value beyond the largest
// finite 16-bit value becomes +-Inf; a NaN stays a NaN (its quiet bit set, so that no NaN payload is
// cut down to an Inf). Decoding is exact: every 16-bit value is a float and a double. Both work on
// the bits alone (no floating-point operation, so a flush-to-zero mode cannot touch subnormals) and
// are KOKKOS_INLINE_FUNCTIONs, usable inside kernels of any backend.
//
// Codec<T, Space> does it on Views in their own memory space, and is what a strategy of its own uses
// to put compressed values on the wire (MPI type: Codec::wire_type(), MPI_UINT16_T):
//
//   Codec::encode(c, src, wire, residual)        wire = Q(src); residual += src - decode(wire)
//   Codec::encode_keep(c, buf, wire, residual)   the same, and buf = decode(wire): a sender that also
//                                                keeps the value uses what its receivers get
//   Codec::decode(c, wire, dst)   Codec::decode_add(c, wire, dst)   Codec::decode_sum_slots(...)
//
// The residual (optional: an empty View) collects this rank's rounding errors; the exchanger's error
// feedback sends them with the next step (exchanger.hpp). feed_back() is that feedback on a buffer.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "sagips/exchange/config.hpp"

namespace sagips::exchange {

namespace detail {
// The IEEE layout of the source and destination types.
template <class F>
struct IeeeLayout;
template <>
struct IeeeLayout<float> {
  using Bits = std::uint32_t;
  static constexpr int mantissa = 23, exponent = 8;
};
template <>
struct IeeeLayout<double> {
  using Bits = std::uint64_t;
  static constexpr int mantissa = 52, exponent = 11;
};

template <class F>
KOKKOS_INLINE_FUNCTION typename IeeeLayout<F>::Bits bits_of(F x) {
  typename IeeeLayout<F>::Bits u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
template <class F>
KOKKOS_INLINE_FUNCTION F from_bits(typename IeeeLayout<F>::Bits u) {
  F x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// x rounded to the 16-bit format with Mant mantissa bits (and 15 - Mant exponent bits).
template <int Mant, class F>
KOKKOS_INLINE_FUNCTION std::uint16_t round_to_16(F x) {
  using L = IeeeLayout<F>;
  using U = typename L::Bits;
  constexpr int exp_bits = 15 - Mant;
  constexpr int src_bias = (1 << (L::exponent - 1)) - 1, dst_bias = (1 << (exp_bits - 1)) - 1;
  constexpr int dst_top = (1 << exp_bits) - 1;  // the exponent field of Inf and NaN
  constexpr std::uint16_t inf = static_cast<std::uint16_t>(dst_top << Mant);
  const U u = bits_of(x);
  const auto sign = static_cast<std::uint16_t>((u >> (L::mantissa + L::exponent)) << 15);
  const int field = static_cast<int>((u >> L::mantissa) & ((U(1) << L::exponent) - 1));
  const U fraction = u & ((U(1) << L::mantissa) - 1);
  if (field == (1 << L::exponent) - 1) {
    if (fraction == 0) return sign | inf;
    // A NaN: the quiet bit keeps it one whatever of its payload fits.
    return sign | inf | static_cast<std::uint16_t>(1u << (Mant - 1)) |
           static_cast<std::uint16_t>(fraction >> (L::mantissa - Mant));
  }
  // |x| = significand * 2^(e - mantissa): the leading bit is implicit in a normal x, absent in a subnormal.
  const U significand = field == 0 ? fraction : (fraction | (U(1) << L::mantissa));
  const int e = field == 0 ? 1 - src_bias : field - src_bias;
  int out_field = e + dst_bias;     // the destination's exponent field, were the result normal
  int drop = L::mantissa - Mant;    // source bits that do not fit
  if (out_field < 1) {              // a subnormal result keeps fewer bits
    drop += 1 - out_field;
    out_field = 1;
  }
  if (out_field >= dst_top) return sign | inf;  // beyond the range whatever the rounding
  if (drop >= L::mantissa + 2) return sign;     // below half the smallest subnormal: zero
  U kept = significand >> drop;
  const U rest = significand & ((U(1) << drop) - 1), half = U(1) << (drop - 1);
  if (rest > half || (rest == half && (kept & 1))) ++kept;  // to nearest, ties to even
  // kept still holds the leading bit, so adding it to field - 1 sets the exponent; a carry out of the
  // mantissa moves to the next binade (from the largest finite binade: to Inf).
  const U out = (U(out_field - 1) << Mant) + kept;
  return sign | (out >= inf ? inf : static_cast<std::uint16_t>(out));
}

// The 16-bit value h (Mant mantissa bits) as an F, exactly.
template <int Mant, class F>
KOKKOS_INLINE_FUNCTION F widen_from_16(std::uint16_t h) {
  using L = IeeeLayout<F>;
  using U = typename L::Bits;
  constexpr int exp_bits = 15 - Mant;
  constexpr int src_bias = (1 << (exp_bits - 1)) - 1, dst_bias = (1 << (L::exponent - 1)) - 1;
  constexpr int src_top = (1 << exp_bits) - 1;
  const U sign = U(h >> 15) << (L::mantissa + L::exponent);
  int field = (h >> Mant) & src_top;
  U fraction = h & ((1u << Mant) - 1);
  if (field == src_top)  // Inf, or a NaN with its payload
    return from_bits<F>(sign | (((U(1) << L::exponent) - 1) << L::mantissa) | (fraction << (L::mantissa - Mant)));
  if (field == 0) {
    if (fraction == 0) return from_bits<F>(sign);
    field = 1;  // a subnormal: normalize it
    while ((fraction & (U(1) << Mant)) == 0) {
      fraction <<= 1;
      --field;
    }
    fraction &= (U(1) << Mant) - 1;
  }
  const int out_field = field - src_bias + dst_bias;
  if (out_field >= 1) return from_bits<F>(sign | (U(out_field) << L::mantissa) | (fraction << (L::mantissa - Mant)));
  // Below F's normal range (a bf16 subnormal in a float): F's subnormal, no bit lost.
  return from_bits<F>(sign | (((fraction | (U(1) << Mant)) << (L::mantissa - Mant)) >> (1 - out_field)));
}
}  // namespace detail

// ---- the scalar conversions -------------------------------------------------------------------
// bf16 is float's upper half, so from a float the rounding is one integer addition: half a unit of
// the kept bits, less one unless the last kept bit is odd (ties to even). A carry runs into the
// exponent (and from the largest binade into Inf), and float's subnormals round as bf16's. NaN and
// Inf take the general path (a NaN must keep a mantissa bit).
template <class F>
KOKKOS_INLINE_FUNCTION std::uint16_t to_bf16(F x) {
  if constexpr (std::is_same_v<F, float>) {
    const std::uint32_t u = detail::bits_of(x);
    if ((u & 0x7F800000u) != 0x7F800000u)
      return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
  }
  return detail::round_to_16<7>(x);
}
// fp16 from a float in fp16's normal range (2^-14 <= |x| < 65520, where no rounding reaches Inf):
// the exponent rebiased (127 -> 15), then the same one addition at the 13 dropped bits.
template <class F>
KOKKOS_INLINE_FUNCTION std::uint16_t to_fp16(F x) {
  if constexpr (std::is_same_v<F, float>) {
    const std::uint32_t u = detail::bits_of(x), a = u & 0x7FFFFFFFu;
    if (a >= 0x38800000u && a < 0x477FF000u)
      return static_cast<std::uint16_t>(((u >> 16) & 0x8000u) |
                                        ((a - 0x38000000u + 0xFFFu + ((a >> 13) & 1u)) >> 13));
  }
  return detail::round_to_16<10>(x);
}
template <class F = float>
KOKKOS_INLINE_FUNCTION F from_bf16(std::uint16_t h) {
  if constexpr (std::is_same_v<F, float>) return detail::from_bits<float>(static_cast<std::uint32_t>(h) << 16);
  return detail::widen_from_16<7, F>(h);
}
template <class F = float>
KOKKOS_INLINE_FUNCTION F from_fp16(std::uint16_t h) {
  if constexpr (std::is_same_v<F, float>) {
    const std::uint32_t field = (h >> 10) & 31u;
    if (field != 0 && field != 31)  // normal: the exponent rebiased (15 -> 127), the mantissa moved up
      return detail::from_bits<float>(((static_cast<std::uint32_t>(h) & 0x8000u) << 16) |
                                      (((static_cast<std::uint32_t>(h) & 0x7FFFu) + (112u << 10)) << 13));
  }
  return detail::widen_from_16<10, F>(h);
}
// The format named at run time (bf16 or fp16; none is not a wire format).
template <class F>
KOKKOS_INLINE_FUNCTION std::uint16_t encode(Compression c, F x) {
  return c == Compression::fp16 ? to_fp16(x) : to_bf16(x);
}
template <class F>
KOKKOS_INLINE_FUNCTION F decode(Compression c, std::uint16_t h) {
  return c == Compression::fp16 ? from_fp16<F>(h) : from_bf16<F>(h);
}

// Unit roundoff (the largest relative error of one rounding to nearest) and the largest finite value.
inline double unit_roundoff(Compression c) {
  return c == Compression::fp16 ? 0x1p-11 : (c == Compression::bf16 ? 0x1p-8 : 0.0);
}
inline double max_finite(Compression c) {
  return c == Compression::fp16 ? 65504.0 : 0x1.fep127;  // bf16: (2 - 2^-7) 2^127
}

// ---- on Views ---------------------------------------------------------------------------------
template <class T, class Space>
struct Codec {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "exchanges move float or double");
  using View = Kokkos::View<T*, Space>;
  using ConstView = Kokkos::View<const T*, Space>;
  using Wire = Kokkos::View<std::uint16_t*, Space>;
  using ConstWire = Kokkos::View<const std::uint16_t*, Space>;
  using Exec = typename Space::execution_space;
  using Policy = Kokkos::RangePolicy<Exec>;

  static MPI_Datatype wire_type() { return MPI_UINT16_T; }

  // wire(i) = Q(src(i)); with a residual (not empty), residual(i) += src(i) - decode(wire(i)).
  static void encode(Compression c, const ConstView& src, const Wire& wire, const View& residual = View()) {
    const bool feed = residual.extent(0) > 0;
    Kokkos::parallel_for(
        "sagips::exchange::encode", Policy(0, src.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          const T x = src(i);
          const std::uint16_t h = sagips::exchange::encode(c, x);
          wire(i) = h;
          if (feed) residual(i) += x - sagips::exchange::decode<T>(c, h);
        });
  }
  // As encode, and buf(i) = decode(wire(i)).
  static void encode_keep(Compression c, const View& buf, const Wire& wire, const View& residual = View()) {
    const bool feed = residual.extent(0) > 0;
    Kokkos::parallel_for(
        "sagips::exchange::encode_keep", Policy(0, buf.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          const T x = buf(i);
          const std::uint16_t h = sagips::exchange::encode(c, x);
          const T back = sagips::exchange::decode<T>(c, h);
          wire(i) = h;
          buf(i) = back;
          if (feed) residual(i) += x - back;
        });
  }
  static void decode(Compression c, const ConstWire& wire, const View& dst) {
    Kokkos::parallel_for(
        "sagips::exchange::decode", Policy(0, dst.extent(0)),
        KOKKOS_LAMBDA(std::size_t i) { dst(i) = sagips::exchange::decode<T>(c, wire(i)); });
  }
  static void decode_add(Compression c, const ConstWire& wire, const View& dst) {
    Kokkos::parallel_for(
        "sagips::exchange::decode_add", Policy(0, dst.extent(0)),
        KOKKOS_LAMBDA(std::size_t i) { dst(i) += sagips::exchange::decode<T>(c, wire(i)); });
  }
  // out(i) = (decode(slots(0, i)) + ... + decode(slots(m-1, i))) * factor, summed in slot order.
  static void decode_sum_slots(Compression c, const Kokkos::View<std::uint16_t**, Kokkos::LayoutRight, Space>& slots,
                               int m, const View& out, T factor) {
    Kokkos::parallel_for(
        "sagips::exchange::decode_sum_slots", Policy(0, out.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          T s = 0;
          for (int r = 0; r < m; ++r) s += sagips::exchange::decode<T>(c, slots(r, i));
          out(i) = s * factor;
        });
  }

  // Error feedback on a buffer about to be sent: v = buf + residual; buf = decode(Q(v)) (exact on the
  // wire from then on); residual = v - buf. Returns the largest |buf| after it (Inf when a value
  // rounded to Inf). Nothing is changed, and Inf returned, when some |decode(Q(v))| would exceed
  // `limit`: the caller refuses the buffer.
  static T feed_back(Compression c, const View& buf, const View& residual, T limit) {
    if (buf.extent(0) == 0) return 0;
    const T inf = std::numeric_limits<T>::infinity();
    T largest = 0;
    Kokkos::parallel_reduce(
        "sagips::exchange::feed_back_range", Policy(0, buf.extent(0)),
        KOKKOS_LAMBDA(std::size_t i, T & acc) {
          const T q = sagips::exchange::decode<T>(c, sagips::exchange::encode(c, buf(i) + residual(i)));
          const T a = q < T(0) ? -q : q;
          // NaN compares false: counted as beyond any limit.
          const T counted = a <= limit ? a : inf;
          if (counted > acc) acc = counted;
        },
        Kokkos::Max<T>(largest));
    if (!(largest <= limit)) return inf;
    Kokkos::parallel_for(
        "sagips::exchange::feed_back", Policy(0, buf.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          const T v = buf(i) + residual(i);
          const T q = sagips::exchange::decode<T>(c, sagips::exchange::encode(c, v));
          buf(i) = q;
          residual(i) = v - q;
        });
    Exec().fence();
    return largest;
  }
};

}  // namespace sagips::exchange
