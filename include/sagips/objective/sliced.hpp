#pragma once
// The sliced Wasserstein distance (squared, order 2): the mean over L random unit directions theta of
// the 1-D optimal-transport cost between the projections theta . x of the n fake and the m real
// events, which in one dimension is the matching of sorted values:
//
//   SW2 = (1/L) sum_l (1/n) sum_r (u_(r) - v_q(r))^2,   u = sorted theta_l . x,  v = sorted theta_l . y,
//   q(r) = floor((r + 1/2) m / n)   (the real quantile at the fake event's; q(r) = r when n = m)
//
// dSW2/dx_i = (1/L) sum_l (2/n) (theta_l . x_i - v_q(rank of i)) theta_l. The directions are drawn
// from the step's random stream (rng), so every step looks along new ones. O(L (n log n + m log m + (n
// + m) D)) per call. Unweighted events only (a weighted quantile matching is not built: a weighted
// pipeline is refused with a clear error). The projections are sorted on the host: the events and the
// gradient cross to the host and back once per call on a GPU.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <numeric>
#include <vector>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/loss/losses.hpp"
#include "sagips/objective/contract.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::objective {

struct SlicedWasserstein {
  static constexpr const char* name = "sliced";
  static constexpr bool takes_weights = false;  // a weighted quantile matching is not built
  template <class T, int D>
  class Impl {
   public:
    explicit Impl(const Settings& s) : slices_(s.slices) {
      SAGIPS_REQUIRE(slices_ >= 1, "sliced: at least one direction (--slices); it is " << slices_);
    }

    void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> real, loss::DeviceValue<T> value,
                  Matrix<T> d_fake, Vector<T>, random::CounterRng rng) {
      const int n = static_cast<int>(fake.extent(0)), m = static_cast<int>(real.extent(0));
      SAGIPS_REQUIRE(weights.extent(0) == 0,
                     "sliced: weighted events are not supported (a weighted quantile matching is not built): "
                     "choose --objective energy or mmd for a weighted pipeline");
      SAGIPS_REQUIRE(n >= 1 && m >= 1, "a sample distance needs events; this rank has " << n << " fake and " << m
                                                                                          << " real ones");
      const auto x = Kokkos::create_mirror_view_and_copy(HostSpace(), fake);
      const auto y = Kokkos::create_mirror_view_and_copy(HostSpace(), real);
      auto grad = Kokkos::create_mirror_view(d_fake);
      std::vector<double> g(static_cast<std::size_t>(n) * D, 0.0), u(n), v(m);
      std::vector<int> order(n);
      double total = 0;
      for (int l = 0; l < slices_; ++l) {
        const std::array<double, D> theta = direction(rng, l);
        for (int i = 0; i < n; ++i) u[i] = project(theta, x, i);
        for (int j = 0; j < m; ++j) v[j] = project(theta, y, j);
        std::sort(v.begin(), v.end());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int a, int b) { return u[a] < u[b]; });
        for (int r = 0; r < n; ++r) {
          const int i = order[r];
          const long q = std::min<long>(m - 1, static_cast<long>((r + 0.5) * m / n));
          const double diff = u[i] - v[q];
          total += diff * diff;
          for (int d = 0; d < D; ++d) g[static_cast<std::size_t>(i) * D + d] += 2 * diff * theta[d];
        }
      }
      const double scale = 1.0 / (static_cast<double>(slices_) * n);
      for (int i = 0; i < n; ++i)
        for (int d = 0; d < D; ++d) grad(i, d) = static_cast<T>(g[static_cast<std::size_t>(i) * D + d] * scale);
      Kokkos::deep_copy(Kokkos::subview(d_fake, std::make_pair(0, n), Kokkos::ALL),
                        Kokkos::subview(grad, std::make_pair(0, n), Kokkos::ALL));
      Kokkos::deep_copy(value, static_cast<T>(total * scale));
    }

   private:
    // Direction l of this call: D standard normals from the stream, normalised.
    static std::array<double, D> direction(const random::CounterRng& rng, int l) {
      std::array<double, D> theta{};
      double norm = 0;
      for (int d = 0; d < D; ++d) {
        theta[d] = rng.normal<double>(static_cast<std::uint64_t>(l) * D + d);
        norm += theta[d] * theta[d];
      }
      norm = std::sqrt(norm);
      for (int d = 0; d < D; ++d) theta[d] = norm > 0 ? theta[d] / norm : (d == 0 ? 1.0 : 0.0);
      return theta;
    }
    template <class V>
    static double project(const std::array<double, D>& theta, const V& events, int i) {
      double s = 0;
      for (int d = 0; d < D; ++d) s += theta[d] * static_cast<double>(events(i, d));
      return s;
    }

    int slices_;
  };
};

}  // namespace sagips::objective
