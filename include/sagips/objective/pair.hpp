#pragma once
// Sample distances that are sums over pairs of events, f(|x - z|^2) for a kernel f, on this rank's
// n fake events x (weights w, or none) and m real events y:
//
//   L = c_cross * sum_i a_i (1/m) sum_j f(x_i, y_j)
//     + c_within * [ sum_i a_i sum_{k != i} b_k f(x_i, x_k)  +  1/(m(m-1)) sum_{j != l} f(y_j, y_l) ]
//
// Unweighted, a_i = 1/n and b_k = 1/(n-1): every term is a U-statistic, so L is an unbiased estimate
// of the population distance (the energy distance, MMD^2). Weighted, a_i = b_i = w_i / sum w (the
// weighted events' own distribution; the within-fake sum leaves out i = k but is not renormalised, so
// it is biased by O(1/n) like any ratio estimate).
//
//   EnergyDistance   f = |x - z|,                                   c_cross = 2,  c_within = -1
//   Mmd (Gaussian)   f = sum_s exp(-|x - z|^2 / (2 (h s)^2)),        c_cross = -2, c_within = 1
//   MmdImq           f = sum_s (h s)^2 / ((h s)^2 + |x - z|^2),      c_cross = -2, c_within = 1
//
// h is Settings::bandwidth, s runs over the scales 1/4, 1/2, 1, 2, 4 (the kernels: objective/kernels.hpp).
// The gradient: d/dx_i of f is 2 f'(r^2) (x_i - z); of the weights, dL/dw_i = (dL/da_i - sum_k a_k
// dL/da_k) / sum w. One kernel launch over the fake events' rows and one over the real ones for the
// real-real term: O(n (n + m) D + m^2 D) per call; on a CPU each row goes through the other events in
// tiles of vector width.

#include <Kokkos_Core.hpp>
#include <cmath>
#include <string>
#include <type_traits>

#include "sagips/core/math.hpp"
#include "sagips/core/views.hpp"
#include "sagips/loss/losses.hpp"
#include "sagips/objective/contract.hpp"
#include "sagips/objective/kernels.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::objective {

namespace detail {

// How many pairs one thread treats side by side. On a CPU a tile of 16 pairs is three short loops
// (the squared distances, the kernel, the sums), each of which the compiler turns into vector
// instructions; it would not vectorize one running sum of floats, which would reorder its additions,
// so each lane keeps a sum of its own and the lanes are added at the end. On a GPU each thread takes
// one pair at a time: there the vector is the threads.
inline constexpr int pair_lanes = exec_space_is_host ? 16 : 1;

// Per fake event i: its share of L in `terms`, dL/dx_i in d_fake, dL/da_i in `da` (weighted only).
template <class T, int D, class Kernel>
struct FakeRows {
  static constexpr int L = pair_lanes;
  ConstMatrix<T> fake, real;
  ConstVector<T> weights;
  Matrix<T> d_fake;
  Vector<T> da;
  Kernel kernel;
  T c_cross, c_within, inv_total;  // inv_total: 1 / sum w (weighted)
  int n, m;
  bool weighted;

  // sum_z b_z f(x, z) and sum_z b_z d/dx f(x, z) over the `rows` events z of `other` (contiguous rows
  // of D coordinates, so that the compiler sees a fixed stride), lane by lane: `weight` gives b_z (0
  // leaves a row out).
  template <class Weight>
  KOKKOS_INLINE_FUNCTION void pair_sums(const T (&x)[D], const T* other, int rows, const Weight& weight, T& value,
                                        T (&grad)[D]) const {
    T v_lane[L], g_lane[D][L];
    for (int t = 0; t < L; ++t) {
      v_lane[t] = T(0);
      for (int d = 0; d < D; ++d) g_lane[d][t] = T(0);
    }
    for (int z0 = 0; z0 < rows; z0 += L) {
      const int len = rows - z0 < L ? rows - z0 : L;
      T diff[D][L], r2[L], v[L], dv[L];
      for (int t = 0; t < len; ++t) r2[t] = T(0);
      for (int t = 0; t < len; ++t)
        for (int d = 0; d < D; ++d) {
          diff[d][t] = x[d] - other[(z0 + t) * D + d];
          r2[t] += diff[d][t] * diff[d][t];
        }
      for (int t = 0; t < len; ++t) value_and_d(kernel, r2[t], v[t], dv[t]);
      for (int t = 0; t < len; ++t) {
        const T b = weight(z0 + t);
        v_lane[t] += b == T(0) ? T(0) : b * v[t];  // a left-out pair adds nothing, even where f is infinite
        const T g = b == T(0) ? T(0) : T(2) * b * dv[t];
        for (int d = 0; d < D; ++d) g_lane[d][t] += g * diff[d][t];
      }
    }
    value = T(0);
    for (int d = 0; d < D; ++d) grad[d] = T(0);
    for (int t = 0; t < L; ++t) {
      value += v_lane[t];
      for (int d = 0; d < D; ++d) grad[d] += g_lane[d][t];
    }
  }

  KOKKOS_INLINE_FUNCTION void operator()(int i, T& sum) const {
    T x[D], g_cross[D], g_within[D];
    for (int d = 0; d < D; ++d) x[d] = fake(i, d);
    T cross, within;
    pair_sums(x, real.data(), m, [](int) { return T(1); }, cross, g_cross);
    const T inv_m = T(1) / static_cast<T>(m), inv_n1 = T(1) / static_cast<T>(n - 1);
    // Two loops, not one with a choice inside: a weight read only when the events are weighted is a
    // masked load, which AMD processors execute slowly (half the unweighted loop's time on EPYC).
    if (weighted) {
      const auto w = weights;
      const T scale = inv_total;
      pair_sums(x, fake.data(), n, [=](int k) {
        const T b = w(k) * scale;
        return k == i ? T(0) : b;
      }, within, g_within);
    } else {
      pair_sums(x, fake.data(), n, [=](int k) { return k == i ? T(0) : inv_n1; }, within, g_within);
    }
    const T a = weighted ? weights(i) * inv_total : T(1) / static_cast<T>(n);
    for (int d = 0; d < D; ++d) d_fake(i, d) = a * (c_cross * inv_m * g_cross[d] + T(2) * c_within * g_within[d]);
    if (weighted) da(i) = c_cross * inv_m * cross + T(2) * c_within * within;
    sum += a * (c_cross * inv_m * cross + c_within * within);
  }
};

// The real-real term, 1/(m(m-1)) sum_{j != l} f(y_j, y_l), times c_within; tiled like FakeRows.
template <class T, int D, class Kernel>
struct RealPairs {
  static constexpr int L = pair_lanes;
  ConstMatrix<T> real;
  Kernel kernel;
  T scale;  // c_within / (m (m - 1))
  int m;
  KOKKOS_INLINE_FUNCTION void operator()(int j, T& sum) const {
    const T* events = real.data();  // contiguous rows of D coordinates
    T y[D], lane[L];
    for (int d = 0; d < D; ++d) y[d] = events[j * D + d];
    for (int t = 0; t < L; ++t) lane[t] = T(0);
    for (int l0 = 0; l0 < m; l0 += L) {
      const int len = m - l0 < L ? m - l0 : L;
      T r2[L];
      for (int t = 0; t < len; ++t) r2[t] = T(0);
      for (int t = 0; t < len; ++t)
        for (int d = 0; d < D; ++d) {
          const T diff = y[d] - events[(l0 + t) * D + d];
          r2[t] += diff * diff;
        }
      for (int t = 0; t < len; ++t) lane[t] += l0 + t == j ? T(0) : kernel.value(r2[t]);
    }
    T acc = 0;
    for (int t = 0; t < L; ++t) acc += lane[t];
    sum += scale * acc;
  }
};
}  // namespace detail

// A pair-sum distance with kernel Kernel<T> and the coefficients of the top of this file.
template <class T, int D, template <class> class Kernel>
class PairDistance {
 public:
  PairDistance(Kernel<T> kernel, T c_cross, T c_within) : kernel_(kernel), c_cross_(c_cross), c_within_(c_within) {
    fake_sum_ = loss::DeviceValue<T>("sagips::objective::fake_terms");
    real_sum_ = loss::DeviceValue<T>("sagips::objective::real_terms");
  }

  void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> real, loss::DeviceValue<T> value,
                Matrix<T> d_fake, Vector<T> d_weights, random::CounterRng) {
    const int n = static_cast<int>(fake.extent(0)), m = static_cast<int>(real.extent(0));
    SAGIPS_REQUIRE(n >= 2 && m >= 2, "a sample distance compares at least two fake and two real events; this rank has "
                                         << n << " fake and " << m << " real ones");
    SAGIPS_REQUIRE(d_fake.extent(0) >= fake.extent(0) && d_fake.extent(1) == static_cast<std::size_t>(D),
                   "a sample distance's gradient needs [" << n << ", " << D << "]");
    fake = rows_of_d(fake, "fake");
    real = rows_of_d(real, "real");
    const bool weighted = weights.extent(0) > 0;
    T inv_total = 0;
    if (weighted) {
      T total = 0;
      Kokkos::parallel_reduce("sagips::objective::weight_sum", Kokkos::RangePolicy<ExecSpace>(0, n),
                              KOKKOS_LAMBDA(int i, T& s) { s += weights(i); }, total);
      SAGIPS_REQUIRE(std::isfinite(static_cast<double>(total)) && total > 0,
                     "a sample distance needs weights of positive finite sum; these sum to " << total);
      inv_total = T(1) / total;
      if (da_.extent(0) < static_cast<std::size_t>(n)) da_ = Vector<T>("sagips::objective::da", n);
    }
    detail::FakeRows<T, D, Kernel<T>> rows{fake,     real,      weights, d_fake, da_, kernel_, c_cross_,
                                           c_within_, inv_total, n,       m,      weighted};
    Kokkos::parallel_reduce("sagips::objective::fake_rows", Kokkos::RangePolicy<ExecSpace>(0, n), rows, fake_sum_);
    detail::RealPairs<T, D, Kernel<T>> pairs{real, kernel_, c_within_ / (static_cast<T>(m) * static_cast<T>(m - 1)), m};
    Kokkos::parallel_reduce("sagips::objective::real_pairs", Kokkos::RangePolicy<ExecSpace>(0, m), pairs, real_sum_);
    const auto fs = fake_sum_, rs = real_sum_;
    Kokkos::parallel_for(
        "sagips::objective::value", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(int) { value() = fs() + rs(); });
    if (weighted && d_weights.extent(0) > 0) {
      // dL/dw_i = (dL/da_i - sum_k a_k dL/da_k) / sum w.
      const auto da = da_;
      T mean = 0;
      Kokkos::parallel_reduce("sagips::objective::mean_da", Kokkos::RangePolicy<ExecSpace>(0, n),
                              KOKKOS_LAMBDA(int i, T& s) { s += weights(i) * inv_total * da(i); }, mean);
      Kokkos::parallel_for(
          "sagips::objective::d_weights", Kokkos::RangePolicy<ExecSpace>(0, n),
          KOKKOS_LAMBDA(int i) { d_weights(i) = (da(i) - mean) * inv_total; });
    }
  }

 private:
  // The kernels read events as rows of D numbers one after the other.
  static ConstMatrix<T> rows_of_d(ConstMatrix<T> events, const char* which) {
    SAGIPS_REQUIRE(events.extent(1) == static_cast<std::size_t>(D),
                   "a sample distance of " << D << "-D events was given " << which << " events of " << events.extent(1)
                                           << " coordinates");
    SAGIPS_REQUIRE(events.extent(0) < 2 || events.stride_0() == static_cast<std::size_t>(D),
                   "a sample distance reads " << which << " events as rows of " << D << " numbers one after the other; "
                                              << "these rows are " << events.stride_0() << " apart (a padded view?)");
    return events;
  }

  Kernel<T> kernel_;
  T c_cross_, c_within_;
  loss::DeviceValue<T> fake_sum_, real_sum_;
  Vector<T> da_;
};

// The energy distance (Szekely and Rizzo): 2 E|X - Y| - E|X - X'| - E|Y - Y'|, zero exactly when the
// two distributions are equal; no length scale.
struct EnergyDistance {
  static constexpr const char* name = "energy";
  template <class T, int D>
  class Impl : public PairDistance<T, D, EuclideanKernel> {
   public:
    explicit Impl(const Settings&) : PairDistance<T, D, EuclideanKernel>(EuclideanKernel<T>{}, T(2), T(-1)) {}
  };
};

// The maximum mean discrepancy (squared) with a Gaussian kernel summed over five length scales.
struct Mmd {
  static constexpr const char* name = "mmd";
  template <class T, int D>
  class Impl : public PairDistance<T, D, GaussianKernel> {
   public:
    explicit Impl(const Settings& s) : PairDistance<T, D, GaussianKernel>(GaussianKernel<T>(checked(s)), T(-2), T(1)) {}
  };
  static double checked(const Settings& s) {
    SAGIPS_REQUIRE(std::isfinite(s.bandwidth) && s.bandwidth > 0,
                   "mmd: the kernel bandwidth must be a positive finite number; it is " << s.bandwidth);
    return s.bandwidth;
  }
};

// The same with the inverse multiquadric kernel, whose heavy tails keep a gradient for distributions far apart.
struct MmdImq {
  static constexpr const char* name = "mmd-imq";
  template <class T, int D>
  class Impl : public PairDistance<T, D, ImqKernel> {
   public:
    explicit Impl(const Settings& s) : PairDistance<T, D, ImqKernel>(ImqKernel<T>(Mmd::checked(s)), T(-2), T(1)) {}
  };
};

}  // namespace sagips::objective
