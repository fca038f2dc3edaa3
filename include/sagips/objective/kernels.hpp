#pragma once
// The kernels of the pair distances (objective/pair.hpp), as functions of the squared distance r2
// between two events, and the length scale they are given when the run gives none:
//
//   EuclideanKernel   f = sqrt(r2)                                  (the energy distance)
//   GaussianKernel    f = sum_s exp(-r2 / (2 (h s)^2))              (mmd)
//   ImqKernel         f = sum_s (h s)^2 / ((h s)^2 + r2)            (mmd-imq)
//
// h is the bandwidth, s runs over the scales 1/4, 1/2, 1, 2, 4. A kernel has value(r2) and d(r2),
// its derivative in r2, and may have both(r2, v, dv), the two at once. Everything here runs inside
// the pair sums' loops, which the compiler vectorizes on a CPU: hence exp_nonpositive.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/math.hpp"
#include "sagips/core/views.hpp"

namespace sagips::objective {

// The median distance between the events of `data` [N, D] (at most `sample` of them, evenly spaced
// through the file, so a sorted file is still represented): the kernels' length scale when the run
// gives none (--kernel-bandwidth 0), the usual "median heuristic". Every rank holds the same data and
// gets the same value. 0 when fewer than two events are distinct.
template <class T>
double median_distance(HostMatrix<const T> data, int sample = 1000) {
  const long n = static_cast<long>(data.extent(0)), k = std::min<long>(n, sample);
  const int dim = static_cast<int>(data.extent(1));
  std::vector<double> d;
  d.reserve(static_cast<std::size_t>(k * (k - 1) / 2));
  for (long a = 0; a < k; ++a)
    for (long b = a + 1; b < k; ++b) {
      const long i = a * n / k, j = b * n / k;
      double r2 = 0;
      for (int c = 0; c < dim; ++c) {
        const double diff = static_cast<double>(data(i, c)) - static_cast<double>(data(j, c));
        r2 += diff * diff;
      }
      d.push_back(std::sqrt(r2));
    }
  if (d.empty()) return 0;
  std::nth_element(d.begin(), d.begin() + static_cast<long>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

// The kernels, as functions of the squared distance r2: value(r2) and its derivative d(r2), and
// (optional; a kernel of yours may leave it out) both(r2, v, dv), the two at once, which the fake
// events' pair sums use: one square root, exponential or division per pair and scale instead of two.
template <class T>
struct EuclideanKernel {
  KOKKOS_INLINE_FUNCTION T value(T r2) const { return math::sqrt(r2); }
  KOKKOS_INLINE_FUNCTION T d(T r2) const { return r2 > T(0) ? T(0.5) / math::sqrt(r2) : T(0); }
  KOKKOS_INLINE_FUNCTION void both(T r2, T& v, T& dv) const {
    v = math::sqrt(r2);
    dv = v > T(0) ? T(0.5) / v : T(0);
  }
};

namespace detail {
constexpr double inverse_factorial(int n) { return n <= 1 ? 1.0 : inverse_factorial(n - 1) / n; }

// sum_{n=N..Degree} r^(n-N) / n!, by Horner's rule with constant coefficients.
template <class T, int N, int Degree>
KOKKOS_INLINE_FUNCTION T taylor_tail(T r) {
  constexpr T c = static_cast<T>(inverse_factorial(N));
  if constexpr (N == Degree)
    return c;
  else
    return c + r * taylor_tail<T, N + 1, Degree>(r);
}
}  // namespace detail

// e^x for x <= 0 in plain arithmetic, which the compiler vectorizes where std::exp stays a library
// call, one pair at a time: x = k ln 2 + r with |r| <= ln(2)/2, e^r by its Taylor polynomial (degree
// 7 for float, 13 for double: the truncation error under half an ulp), 2^k written into the
// exponent's bits. k is rounded by adding and taking away 1.5 2^mantissa (floor does not vectorize
// while floating-point traps are honoured). Below -87.33 (float) or -708.39 (double), just above the
// logarithm of the smallest normal number, the result is 0; NaN stays NaN.
template <class T>
KOKKOS_INLINE_FUNCTION T exp_nonpositive(T x) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "exp_nonpositive: float or double");
  constexpr bool single = std::is_same_v<T, float>;
  using Bits = std::conditional_t<single, std::int32_t, std::int64_t>;
  constexpr int mantissa = single ? 23 : 52, bias = single ? 127 : 1023, degree = single ? 7 : 13;
  constexpr T lowest = single ? T(-87.33) : T(-708.39);  // a little above ln of the smallest normal number
  constexpr T round = single ? T(12582912.0) : T(6755399441055744.0);  // 1.5 2^mantissa
  // ln 2 = hi + lo, hi with few enough bits that k hi is exact for every k here
  constexpr T ln2_hi = single ? T(0.693145751953125) : T(0.6931471803691238);
  constexpr T ln2_lo = single ? T(1.428606820309417e-06) : T(1.9082149292705877e-10);
  const T xs = x > lowest ? x : lowest;
  const T k = (xs * T(1.4426950408889634) + round) - round;
  const T r = (xs - k * ln2_hi) - k * ln2_lo;
  const T p = detail::taylor_tail<T, 0, degree>(r);
  const Bits bits = static_cast<Bits>(static_cast<Bits>(k) + bias) << mantissa;
  const T two_k = __builtin_bit_cast(T, bits);  // std::bit_cast, which C++17 lacks (GCC >= 11, clang >= 9)
  return x >= lowest ? p * two_k : (x != x ? x : T(0));
}

inline constexpr int num_scales = 5;
inline constexpr double scales[num_scales] = {0.25, 0.5, 1.0, 2.0, 4.0};

// The scales are powers of 2, so the five exponentials are one and its powers: with e = exp(-r2 c)
// for the widest scale, the others are e^4, e^16, e^64, e^256 (two squarings each), which costs one
// exp per pair instead of five; on the host that one is exp_nonpositive, so that a tile's loop
// vectorizes. A power that would be subnormal is 0 (terms under 1e-38 of the widest scale's in float):
// processors multiply subnormal numbers slowly, and pairs a few bandwidths apart made the kernel 2x slower.
template <class T>
struct GaussianKernel {
  T c;     // 1 / (2 (4 h)^2): the widest scale's coefficient
  T tiny;  // the smallest e whose fourth power is a normal number
  explicit GaussianKernel(double h)
      : c(static_cast<T>(1.0 / (2.0 * h * h * scales[4] * scales[4]))),
        tiny(static_cast<T>(std::sqrt(std::sqrt(static_cast<double>(std::numeric_limits<T>::min()))))) {}
  KOKKOS_INLINE_FUNCTION void powers(T r2, T (&e)[num_scales]) const {
    if constexpr (exec_space_is_host && (std::is_same_v<T, float> || std::is_same_v<T, double>))
      e[0] = exp_nonpositive(-r2 * c);
    else
      e[0] = math::exp(-r2 * c);
    for (int s = 1; s < num_scales; ++s) {
      const T base = e[s - 1] < tiny ? T(0) : e[s - 1];
      const T sq = base * base;
      e[s] = sq * sq;
    }
  }
  KOKKOS_INLINE_FUNCTION T value(T r2) const {
    T e[num_scales];
    powers(r2, e);
    return e[0] + e[1] + e[2] + e[3] + e[4];
  }
  KOKKOS_INLINE_FUNCTION T d(T r2) const {
    T e[num_scales];
    powers(r2, e);
    return -c * (e[0] + T(4) * e[1] + T(16) * e[2] + T(64) * e[3] + T(256) * e[4]);
  }
  KOKKOS_INLINE_FUNCTION void both(T r2, T& v, T& dv) const {
    T e[num_scales];
    powers(r2, e);
    v = e[0] + e[1] + e[2] + e[3] + e[4];
    dv = -c * (e[0] + T(4) * e[1] + T(16) * e[2] + T(64) * e[3] + T(256) * e[4]);
  }
};

template <class T>
struct ImqKernel {
  T c[num_scales];  // (h s)^2
  explicit ImqKernel(double h) {
    for (int s = 0; s < num_scales; ++s) c[s] = static_cast<T>(h * h * scales[s] * scales[s]);
  }
  KOKKOS_INLINE_FUNCTION T value(T r2) const {
    T v = 0;
    for (int s = 0; s < num_scales; ++s) v += c[s] / (c[s] + r2);
    return v;
  }
  KOKKOS_INLINE_FUNCTION T d(T r2) const {
    T v = 0;
    for (int s = 0; s < num_scales; ++s) v -= c[s] / ((c[s] + r2) * (c[s] + r2));
    return v;
  }
  KOKKOS_INLINE_FUNCTION void both(T r2, T& v, T& dv) const {  // q = c / (c + r2): dq/dr2 = -q^2 / c
    v = dv = T(0);
    for (int s = 0; s < num_scales; ++s) {
      const T q = c[s] / (c[s] + r2);
      v += q;
      dv -= q * q / c[s];
    }
  }
};

namespace detail {
template <class K, class T, class = void>
struct has_both : std::false_type {};
template <class K, class T>
struct has_both<K, T, std::void_t<decltype(std::declval<const K&>().both(T(), std::declval<T&>(), std::declval<T&>()))>>
    : std::true_type {};

// The kernel's value and derivative at r2, at once where the kernel can.
template <class K, class T>
KOKKOS_INLINE_FUNCTION void value_and_d(const K& kernel, T r2, T& v, T& dv) {
  if constexpr (has_both<K, T>::value) {
    kernel.both(r2, v, dv);
  } else {
    v = kernel.value(r2);
    dv = kernel.d(r2);
  }
}

}  // namespace detail

}  // namespace sagips::objective
