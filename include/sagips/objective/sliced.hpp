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
// pipeline is refused with a clear error).
//
// On the device, in one pass for all directions: the projections of direction l are shifted into a band
// of their own, [l w, l w + 2R] with R the largest |projection| and w a little over 2R, so that one
// sort of all L n keys (Kokkos' BinSort, a bin per key on average) orders every direction at once; the
// same for the real events. Each fake event then finds its rank in each direction through the inverse
// permutation, so its gradient is a sum it owns (no atomics).

#include <Kokkos_Core.hpp>
#include <Kokkos_Sort.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>

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
      const int L = slices_;
      // Working views, kept between calls (a step's sizes repeat): allocated again only when a size changes.
      reuse(theta_, "sagips::sliced::theta", std::size_t(L), std::size_t(D));
      reuse(pu_, "sagips::sliced::pu", std::size_t(L) * n);
      reuse(pv_, "sagips::sliced::pv", std::size_t(L) * m);
      reuse(rank_u_, "sagips::sliced::rank", std::size_t(L) * n);
      const auto theta = theta_;
      const auto pu = pu_, pv = pv_;
      const auto rank_u = rank_u_;
      // The directions, drawn on the host from the step's stream (L x D numbers).
      auto theta_h = Kokkos::create_mirror_view(theta);
      for (int l = 0; l < L; ++l) {
        const std::array<double, D> t = direction(rng, l);
        for (int d = 0; d < D; ++d) theta_h(l, d) = t[d];
      }
      Kokkos::deep_copy(theta, theta_h);
      // Projections, direction-major: pu(l n + i) = theta_l . x_i, pv(l m + j) = theta_l . y_j.
      project(theta, fake, pu);
      project(theta, real, pv);
      double R = 0;  // the largest |projection|
      const int most = std::max(n, m);
      Kokkos::parallel_reduce(
          "sagips::sliced::range", Kokkos::RangePolicy<ExecSpace>(0, std::int64_t(L) * most),
          KOKKOS_LAMBDA(std::int64_t k, double& r) {
            const std::int64_t l = k / most, i = k % most;
            const double a = i < n ? pu(l * n + i) : 0.0, b = i < m ? pv(l * m + i) : 0.0;
            const double big = (a < 0 ? -a : a) > (b < 0 ? -b : b) ? (a < 0 ? -a : a) : (b < 0 ? -b : b);
            if (big > r) r = big;
          },
          Kokkos::Max<double>(R));
      const double band = R > 0 ? 2.0001 * R : 1.0;
      const auto order_u = sorted_order(pu, keys_u_, n, L, R, band), order_v = sorted_order(pv, keys_v_, m, L, R, band);
      // rank_u(l n + i): fake event i's position within direction l's sorted projections (times n offset).
      Kokkos::parallel_for(
          "sagips::sliced::invert", Kokkos::RangePolicy<ExecSpace>(0, std::int64_t(L) * n),
          KOKKOS_LAMBDA(std::int64_t s) { rank_u(order_u(s)) = static_cast<int>(s); });
      const double scale = 1.0 / (static_cast<double>(L) * n);
      auto g = d_fake;
      double total = 0;
      Kokkos::parallel_reduce(
          "sagips::sliced::match", Kokkos::RangePolicy<ExecSpace>(0, n),
          KOKKOS_LAMBDA(int i, double& sum) {
            double gi[D] = {};
            for (int l = 0; l < L; ++l) {
              const std::int64_t r = rank_u(std::int64_t(l) * n + i) - std::int64_t(l) * n;
              const std::int64_t quantile = static_cast<std::int64_t>((r + 0.5) * m / n);
              const std::int64_t q = quantile < m - 1 ? quantile : m - 1;
              const double diff = pu(std::int64_t(l) * n + i) - pv(order_v(std::int64_t(l) * m + q));
              sum += diff * diff;
              for (int d = 0; d < D; ++d) gi[d] += 2 * diff * theta(l, d);
            }
            for (int d = 0; d < D; ++d) g(i, d) = static_cast<T>(gi[d] * scale);
          },
          total);
      Kokkos::deep_copy(value, static_cast<T>(total * scale));
    }

    // keys(l count + i) = p(l count + i) + R + l band lies in [l band, l band + 2R]: one sort orders every
    // direction within its own band. Returns the permutation: position -> index into p.
    using Keys = Kokkos::View<double*, ExecSpace>;
    using Sorter = Kokkos::BinSort<Keys, Kokkos::BinOp1D<Keys>>;
    static typename Sorter::offset_type sorted_order(Keys p, Keys& kept, int count, int L, double R, double band) {
      reuse(kept, "sagips::sliced::keys", p.extent(0));
      const Keys keys = kept;
      Kokkos::parallel_for(
          "sagips::sliced::keys", Kokkos::RangePolicy<ExecSpace>(0, std::int64_t(p.extent(0))),
          KOKKOS_LAMBDA(std::int64_t k) { keys(k) = p(k) + R + static_cast<double>(k / count) * band; });
      Sorter sort(keys, 0, static_cast<int>(keys.extent(0)),
                  Kokkos::BinOp1D<Keys>(static_cast<int>(keys.extent(0)), 0.0, L * band), true);
      sort.create_permute_vector();
      return sort.get_permute_vector();
    }

    // out(l count + i) = theta_l . events_i.
    template <class Events>
    static void project(Kokkos::View<double**, Kokkos::LayoutRight, ExecSpace> theta, Events events,
                        Kokkos::View<double*, ExecSpace> out) {
      const std::int64_t count = static_cast<std::int64_t>(events.extent(0));
      Kokkos::parallel_for(
          "sagips::sliced::project", Kokkos::RangePolicy<ExecSpace>(0, std::int64_t(out.extent(0))),
          KOKKOS_LAMBDA(std::int64_t k) {
            const std::int64_t l = k / count, i = k % count;
            double s = 0;
            for (int d = 0; d < D; ++d) s += theta(l, d) * static_cast<double>(events(i, d));
            out(k) = s;
          });
    }

   private:
    // view = a view of these extents: reused when it has them, else allocated (uninitialised: every
    // element is written before it is read).
    template <class V, class... N>
    static void reuse(V& view, const char* label, N... extents) {
      const std::size_t want[] = {std::size_t(extents)...};
      bool same = view.data() != nullptr;
      for (std::size_t r = 0; r < sizeof...(N); ++r) same = same && view.extent(r) == want[r];
      if (!same) view = V(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), extents...);
    }

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
    int slices_;
    Kokkos::View<double**, Kokkos::LayoutRight, ExecSpace> theta_;
    Keys pu_, pv_, keys_u_, keys_v_;
    Kokkos::View<int*, ExecSpace> rank_u_;
  };
};

}  // namespace sagips::objective
