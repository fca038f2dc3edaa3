// A rank's draws continue its model's sequence: the generator's noise, a pipeline's events (sampler,
// smearing, background, weights) and the real batch for parameter sets [a, b) of a step, computed
// with first_set = a, are rows [a m, b m) of what one rank computing every set draws. This is what
// makes a training step independent of the rank count (tests/mpi/train/test_rank_invariance.cpp
// checks the whole step).
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <sagips/sagips.hpp>
#include <vector>

namespace sim = sagips::sim;
namespace rnd = sagips::random;

namespace {
struct Slope {  // an efficiency that varies over the events, so that the weights do
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S* x) const {
    return S(0.5) + S(0.4) * x[0];
  }
};
using Pipe = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing,
                                sim::Background<>, sim::Acceptance<Slope>>;

sagips::HostMatrix<double> host(sagips::ConstMatrix<double> m) {
  sagips::HostMatrix<double> h("h", m.extent(0), m.extent(1));
  Kokkos::deep_copy(h, m);
  return h;
}

// Parameter sets near the truth, a different one per row.
sagips::Matrix<double> sets(int first, int count) {
  sagips::Matrix<double> p("p", count, 5);
  auto h = Kokkos::create_mirror_view(p);
  const auto truth = sim::Proxy2D::truth();
  for (int i = 0; i < count; ++i)
    for (int j = 0; j < 5; ++j) h(i, j) = truth[j] * (1 + 0.01 * ((first + i) % 7) - 0.03);
  Kokkos::deep_copy(p, h);
  return p;
}
}  // namespace

TEST_CASE("fill_normal over rows [a, b) equals those rows of the whole matrix, for any width") {
  for (int cols : {1, 3, 4, 10}) {
    CAPTURE(cols);
    const rnd::CounterRng rng(rnd::stream_key(3, 1, rnd::Purpose::generator_noise, 5));
    sagips::Matrix<double> whole("whole", 13, cols);
    rnd::fill_normal(whole, rng);
    const auto w = host(whole);
    for (auto [a, b] : {std::pair{0, 13}, std::pair{0, 5}, std::pair{5, 6}, std::pair{6, 13}}) {
      sagips::Matrix<double> part("part", b - a, cols);
      rnd::fill_normal(part, rng, static_cast<std::uint64_t>(a));
      const auto p = host(part);
      for (int i = a; i < b; ++i)
        for (int j = 0; j < cols; ++j) REQUIRE(p(i - a, j) == w(i, j));
    }
  }
}

TEST_CASE("a counter offset continues the sequence; sub-draws are further independent draws of one row") {
  const rnd::CounterRng rng(77), moved(77, 1000);
  double a[4], b[4], c[4];
  rng.uniform4(1003, a);
  moved.uniform4(3, b);
  for (int k = 0; k < 4; ++k) CHECK(a[k] == b[k]);
  rng.uniform4(1003, c, 1);
  for (int k = 0; k < 4; ++k) CHECK(c[k] != a[k]);
  CHECK(moved.offset() == 1000);
}

TEST_CASE("a pipeline's events for sets [a, b) with first_set a are rows [a m, b m) of one forward over all sets") {
  const int all = 12, m = 40;
  Pipe pipe(sim::Proxy2D{}, {}, sim::GaussianSmearing{0.02}, sim::Background<>{0.2}, sim::Acceptance<Slope>{});
  const rnd::StepKeys keys{9, 2, 17, 0};
  const auto whole = pipe.forward(sets(0, all), m, keys, false);
  const auto ev = host(whole.events);
  sagips::HostVector<double> w("w", whole.weights.extent(0));
  Kokkos::deep_copy(w, whole.weights);
  for (auto [a, b] : {std::pair{0, 4}, std::pair{4, 5}, std::pair{5, 12}}) {
    CAPTURE(a);
    rnd::StepKeys mine = keys;
    mine.first_set = static_cast<std::uint64_t>(a);
    Pipe part_pipe(sim::Proxy2D{}, {}, sim::GaussianSmearing{0.02}, sim::Background<>{0.2}, sim::Acceptance<Slope>{});
    const auto part = part_pipe.forward(sets(a, b - a), m, mine, false);
    REQUIRE(part.count == (b - a) * m);
    const auto pe = host(part.events);
    sagips::HostVector<double> pw("pw", part.weights.extent(0));
    Kokkos::deep_copy(pw, part.weights);
    for (int i = 0; i < part.count; ++i) {
      REQUIRE(pe(i, 0) == ev(a * m + i, 0));
      REQUIRE(pe(i, 1) == ev(a * m + i, 1));
      REQUIRE(pw(i) == w(a * m + i));
    }
  }
  // The weights vary (the test would not see a weighting stage's offset otherwise).
  double lo = 1, hi = 0;
  for (std::size_t i = 0; i < w.extent(0); ++i) {
    lo = std::min(lo, w(i));
    hi = std::max(hi, w(i));
  }
  CHECK(hi - lo > 0.2);
}
