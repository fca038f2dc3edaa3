// Each model's start (train/start.hpp): the start point is deterministic for the model's seed and lies
// in the middle fraction of the range it was asked for; fitting a generator to it puts its outputs
// there (with and without input noise), the same weights for the same seed; GanModels does this when
// --start-spread is set and leaves the generator as initialised when it is not.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <sagips/nn/mlp.hpp>
#include <sagips/train/config.hpp>
#include <sagips/train/models.hpp>
#include <sagips/train/start.hpp>
#include <vector>

namespace {

namespace nn = sagips::nn;
namespace train = sagips::train;
template <class T>
using Gen = nn::Mlp<10, 5, nn::Hidden<32, 32>, nn::LeakyRelu, nn::Sigmoid, T>;
using Disc = nn::Mlp<2, 1, nn::Hidden<16>, nn::LeakyRelu>;

// The generator's outputs for `rows` rows of zero input.
template <class G>
std::vector<double> outputs_at_zero(const G& g, int rows = 3) {
  sagips::Matrix<typename G::value_type> x("x", rows, G::in_width);
  auto ctx = g.make_context(rows);
  auto y = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), g.forward(ctx, x));
  std::vector<double> out;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < G::out_width; ++j) out.push_back(y(i, j));
  return out;
}

template <class G>
std::vector<double> weights(const G& g) {
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), g.params());
  return {h.data(), h.data() + h.extent(0)};
}

}  // namespace

TEST_CASE("a start point is the seed's, inside the middle fraction asked for, and differs between seeds") {
  const auto a = train::start_point<5>(7, 0.8), b = train::start_point<5>(7, 0.8), c = train::start_point<5>(8, 0.8);
  CHECK(a == b);
  CHECK(a != c);
  for (double t : a) {
    CHECK(t >= 0.1);
    CHECK(t <= 0.9);
  }
  // Over many seeds the points fill the interval uniformly (mean 0.5, variance s^2/12).
  double sum = 0, sum2 = 0;
  const int n = 2000;
  for (int s = 0; s < n; ++s) {
    const double t = train::start_point<1>(static_cast<std::uint64_t>(s), 0.8)[0];
    sum += t;
    sum2 += t * t;
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  CHECK(mean == doctest::Approx(0.5).epsilon(0.03));
  CHECK(var == doctest::Approx(0.64 / 12).epsilon(0.1));
}

TEST_CASE_TEMPLATE("a generator fitted to its start answers there, the same weights for the same seed", T, float,
                   double) {
  const auto target = train::start_point<5>(3, 0.9);
  Gen<T> g, h;
  g.initialize(3);
  h.initialize(3);
  train::fit_start(g, target, 0.0, 3);
  train::fit_start(h, target, 0.0, 3);
  CHECK(weights(g) == weights(h));
  const auto y = outputs_at_zero(g);
  for (std::size_t k = 0; k < y.size(); ++k) CHECK(y[k] == doctest::Approx(target[k % 5]).epsilon(2e-4));
}

TEST_CASE("with input noise the fitted generator's mean output is the start point") {
  const auto target = train::start_point<5>(11, 0.8);
  Gen<double> g;
  g.initialize(11);
  train::fit_start(g, target, 1.0, 11);
  // On fresh noise (not the 16 rows it was fitted on) the mean over many rows is near the point.
  const int rows = 400;
  sagips::Matrix<double> x("x", rows, 10);
  sagips::random::fill_normal(x, sagips::random::CounterRng(sagips::random::stream_key(99, 0, 1)));
  auto ctx = g.make_context(rows);
  auto y = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), g.forward(ctx, x));
  for (int j = 0; j < 5; ++j) {
    double m = 0;
    for (int i = 0; i < rows; ++i) m += y(i, j);
    CHECK(m / rows == doctest::Approx(target[j]).epsilon(0.05));
  }
}

TEST_CASE("a target outside (0, 1) is refused") {
  Gen<double> g;
  g.initialize(1);
  CHECK_THROWS_WITH(train::fit_start(g, std::array<double, 5>{0.5, 0.5, 1.0, 0.5, 0.5}, 0.0, 1),
                    doctest::Contains("target 2 is 1, outside (0, 1)"));
}

TEST_CASE("GanModels: --start-spread starts the generator (and its average) at the model's point; 0 leaves it") {
  train::TrainerConfig c;
  c.start_spread = 0.6;
  train::GanModels<Gen<double>, Disc> spread(c, 42);
  const auto target = train::start_point<5>(42, 0.6);
  const auto y = outputs_at_zero(spread.generator(), 1);
  for (int j = 0; j < 5; ++j) CHECK(y[j] == doctest::Approx(target[j]).epsilon(2e-4));
  auto ema = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), spread.estimate_weights());
  CHECK(std::vector<double>(ema.data(), ema.data() + ema.extent(0)) == weights(spread.generator()));

  c.start_spread = 0;
  train::GanModels<Gen<double>, Disc> plain(c, 42);
  Gen<double> fresh;
  fresh.initialize(42);
  CHECK(weights(plain.generator()) == weights(fresh));
}
