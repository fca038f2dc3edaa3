// The likelihood spread over ranks equals the one-rank likelihood, and every rank gets the same fit and
// the same profile-likelihood interval.
#include <mpi.h>

#include <array>
#include <random>
#include <sagips/fit.hpp>
#include <vector>

#include "mpi_test.hpp"

namespace {
struct Beta1 {
  static constexpr int num_params = 2;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return sagips::math::pow(x[0], p[0]) * sagips::math::pow(1 - x[0], p[1]);
  }
};

// `count` fixed events, 0.001 + 0.998 u^power at evenly spaced u, and the likelihood of them all on
// this rank beside the one spread over the ranks (rank r holds every n-th event starting at r).
struct SpreadAndWhole {
  std::vector<double> all, mine;
  sagips::fit::UnbinnedNll<Beta1> spread, whole;
  static std::vector<double> events(int count, double power) {
    std::vector<double> e(count);
    for (int i = 0; i < count; ++i) e[i] = 0.001 + 0.998 * std::pow((i + 0.5) / count, power);
    return e;
  }
  static std::vector<double> share(const std::vector<double>& e) {
    std::vector<double> m;
    for (std::size_t i = sagips::testing::rank(); i < e.size(); i += sagips::testing::size()) m.push_back(e[i]);
    return m;
  }
  SpreadAndWhole(int count, double power)
      : all(events(count, power)),
        mine(share(all)),
        spread(Beta1{}, mine, {0.001}, {0.999}, sagips::testing::comm()),
        whole(Beta1{}, all, {0.001}, {0.999}) {}
};
}  // namespace

TEST_CASE("a likelihood spread over ranks equals the one-rank likelihood") {
  const SpreadAndWhole events(1000, 1.3);
  const auto& spread = events.spread;
  const auto& whole = events.whole;
  CHECK(spread.events() == 1000);
  Eigen::Vector2d p(0.3, 1.7), g1, g2;
  CHECK(spread.evaluate(p, &g1) == doctest::Approx(whole.evaluate(p, &g2)).epsilon(1e-12));
  CHECK(g1[0] == doctest::Approx(g2[0]).epsilon(1e-10));
  CHECK(g1[1] == doctest::Approx(g2[1]).epsilon(1e-10));

  const auto fit = sagips::fit::minimize(spread, {0.0, 1.0}, {-0.9, 0.0}, {3.0, 6.0});
  std::vector<double> first(fit.value);
  MPI_Bcast(first.data(), 2, MPI_DOUBLE, 0, sagips::testing::comm());
  CHECK(fit.value[0] == first[0]);  // bit-identical on every rank
  CHECK(fit.value[1] == first[1]);
}

TEST_CASE("a profile interval over ranks is the one-rank interval, the same on every rank") {
  const SpreadAndWhole events(600, 1.7);
  const auto& spread = events.spread;
  const auto& whole = events.whole;
  const std::array<double, 2> lo{-0.9, 0.0}, hi{3.0, 6.0};
  const auto fit_spread = sagips::fit::minimize(spread, {0.0, 1.0}, lo, hi);
  const auto fit_whole = sagips::fit::minimize(whole, {0.0, 1.0}, lo, hi);
  for (int j = 0; j < 2; ++j) {
    CAPTURE(j);
    const auto a = sagips::fit::profile_interval(spread, fit_spread, j, lo, hi, 2.0, 1e-6);
    const auto b = sagips::fit::profile_interval(whole, fit_whole, j, lo, hi, 2.0, 1e-6);
    CHECK(a.lower == doctest::Approx(b.lower).epsilon(1e-6));
    CHECK(a.upper == doctest::Approx(b.upper).epsilon(1e-6));
    double ends[2] = {a.lower, a.upper};
    MPI_Bcast(ends, 2, MPI_DOUBLE, 0, sagips::testing::comm());
    CHECK(a.lower == ends[0]);  // bit-identical on every rank
    CHECK(a.upper == ends[1]);
  }
}
