// A sampler of the user's own, written from the contract (sagips/sim/sampler.hpp) on the public
// GridSampler base: a histogram sampler (each cell's mass from the grid's trapezoids, events uniform
// inside a cell). It joins a pipeline like the built-ins, its dL/dp matches finite differences, and
// its events follow the piecewise-constant model of the density.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sagips/sim.hpp>
#include <vector>

#include "vjp_check.hpp"

namespace sim = sagips::sim;

namespace user {

template <int G>
struct Histogram1D {
  static constexpr bool weighted = false;  // its events are draws of the density itself

  template <class T, class Theory>
  class Impl : public sim::GridSampler<T, Theory> {
    using Base = sim::GridSampler<T, Theory>;
    using Dual = typename Base::Dual;
    static constexpr int P = Theory::num_params;

   public:
    using Base::check;  // the verdict on the densities of the last forward
    Impl(Theory theory, const Histogram1D&) : Base(theory, G, sim::Spacing::uniform) {}

    void forward(sagips::ConstMatrix<T> p, int m, sagips::random::CounterRng rng, sagips::Matrix<T> events,
                 sagips::Vector<T>, bool jacobian) {
      const int sets = static_cast<int>(p.extent(0));
      this->per_set = m;
      this->evaluate(p);                       // the Dual densities at the nodes, for every set
      this->cumulate_1d(cum_, "user::histogram1d");  // their cumulative trapezoids
      this->size_jacobian(sets * m, jacobian);
      auto cum = cum_;
      auto x = this->nodes[0];
      auto jac = this->jac;
      Kokkos::parallel_for(
          "user::histogram1d", Kokkos::RangePolicy<sagips::ExecSpace>(0, sets * m), KOKKOS_LAMBDA(int i) {
            const Dual* c = &cum((i / m) * G);
            const Dual t = rng.uniform<T>(static_cast<std::uint64_t>(i)) * c[G - 1];
            int lo = 0, hi = G - 1;  // the cell with c[lo] <= t < c[lo + 1]
            while (hi - lo > 1) {
              const int mid = (lo + hi) / 2;
              (c[mid].v <= t.v ? lo : hi) = mid;
            }
            const Dual xs = x(lo) + (x(lo + 1) - x(lo)) * ((t - c[lo]) / (c[lo + 1] - c[lo]));
            events(i, 0) = xs.v;
            if (jacobian)
              for (int j = 0; j < P; ++j) jac(i, 0, j) = xs.d[j];
          });
    }
    void vjp(sagips::ConstMatrix<T> d_events, sagips::ConstVector<T>, sagips::Matrix<T> d_p) const {
      this->vjp_events(d_events, d_p);
    }

   private:
    typename Base::DualView cum_;
  };
};

// 1 + a x on [0, 1]: F(x) = (x + a x^2 / 2) / (1 + a / 2).
struct Linear {
  static constexpr int num_params = 1, dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return S(1) + p[0] * x[0];
  }
  static sim::Box<1> domain() { return {{0.0}, {1.0}}; }
  static std::array<double, 1> truth() { return {0.6}; }
};

}  // namespace user

static_assert(sim::check_sampler<user::Histogram1D<64>, double, user::Linear>());

TEST_CASE("a user's sampler on the public GridSampler base: its dL/dp matches finite differences") {
  sim::BasicPipeline<double, user::Linear, user::Histogram1D<64>> linear;
  CHECK(vjp_check::vjp_error(linear, 3, 400) < 1e-6);
  sim::BasicPipeline<double, sim::DecayPeak1D, user::Histogram1D<128>, sim::GaussianSmearing> peak(
      sim::DecayPeak1D{}, {}, sim::GaussianSmearing{0.01});
  CHECK(vjp_check::vjp_error(peak, 2, 300) < 1e-6);
}

TEST_CASE("a user's sampler: its events follow the density (the empirical CDF within 0.005 of F)") {
  sim::BasicPipeline<double, user::Linear, user::Histogram1D<128>> pipe;
  const double a = 0.6;
  const long n = 200000;
  const auto ev = sim::generate_events(pipe, {a}, n, 21);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = ev(i, 0);
  std::sort(x.begin(), x.end());
  for (double q : {0.1, 0.25, 0.5, 0.75, 0.9}) {
    CAPTURE(q);
    const double F = (q + a * q * q / 2) / (1 + a / 2);
    const double empirical = double(std::lower_bound(x.begin(), x.end(), q) - x.begin()) / double(n);
    CHECK(std::abs(empirical - F) < 0.005);  // 5 standard deviations of an empirical CDF at n = 2e5
  }
}
