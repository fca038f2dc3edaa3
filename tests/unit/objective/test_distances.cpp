// The sample distances against direct double-precision sums over every pair (the definitions, written
// out), their gradients against finite differences, the energy distance against its closed form for
// two normal distributions, and the refusals of input they cannot compare.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <sagips/objective.hpp>
#include <string>
#include <tuple>
#include <algorithm>
#include <vector>

namespace {
namespace obj = sagips::objective;
using sagips::ConstMatrix;
using sagips::ConstVector;
using sagips::Matrix;
using sagips::Vector;

template <int D>
struct Sample {
  std::vector<double> x;  // n * D
  int n() const { return static_cast<int>(x.size() / D); }
};

template <int D>
Sample<D> normal_sample(int n, double shift, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  Sample<D> s;
  for (int i = 0; i < n * D; ++i) s.x.push_back(z(rng) + shift);
  return s;
}

template <class T, int D>
Matrix<T> device(const Sample<D>& s) {
  Matrix<T> m("m", s.n(), D);
  auto h = Kokkos::create_mirror_view(m);
  for (int i = 0; i < s.n(); ++i)
    for (int d = 0; d < D; ++d) h(i, d) = static_cast<T>(s.x[i * D + d]);
  Kokkos::deep_copy(m, h);
  return m;
}

template <class T>
Vector<T> device(const std::vector<double>& w) {
  Vector<T> v("w", w.size());
  auto h = Kokkos::create_mirror_view(v);
  for (std::size_t i = 0; i < w.size(); ++i) h(i) = static_cast<T>(w[i]);
  Kokkos::deep_copy(v, h);
  return v;
}

// The distance's value, dL/dx and dL/dw (empty weights: unweighted), in T.
template <class O, class T, int D>
struct Evaluated {
  double value;
  std::vector<double> d_fake, d_weights;
};
// One call of an objective object the caller keeps (its working memory carries over between calls).
template <class O, class T, int D>
Evaluated<O, T, D> evaluate_on(typename O::template Impl<T, D>& impl, const Sample<D>& fake,
                               const std::vector<double>& w, const Sample<D>& real, std::uint64_t key = 7) {
  const int n = fake.n();
  Matrix<T> d_fake("d", n, D);
  Vector<T> d_w("dw", w.size());
  sagips::loss::DeviceValue<T> value("v");
  impl.evaluate(device<T>(fake), w.empty() ? Vector<T>() : device<T>(w), device<T>(real), value, d_fake, d_w,
                sagips::random::CounterRng(key));
  Evaluated<O, T, D> e;
  auto hv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), value);
  e.value = static_cast<double>(hv());
  auto hd = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d_fake);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < D; ++d) e.d_fake.push_back(static_cast<double>(hd(i, d)));
  auto hw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d_w);
  for (std::size_t i = 0; i < w.size(); ++i) e.d_weights.push_back(static_cast<double>(hw(i)));
  return e;
}
template <class O, class T, int D>
Evaluated<O, T, D> evaluate(const Sample<D>& fake, const std::vector<double>& w, const Sample<D>& real,
                            obj::Settings s = {}, std::uint64_t key = 7) {
  typename O::template Impl<T, D> impl(s);
  return evaluate_on<O, T, D>(impl, fake, w, real, key);
}

// The definitions, summed over every pair in double (pair.hpp's top).
template <int D, class F>
double reference(const Sample<D>& x, const std::vector<double>& w, const Sample<D>& y, F f, double c_cross,
                 double c_within) {
  const int n = x.n(), m = y.n();
  auto r2 = [](const double* a, const double* b) {
    double s = 0;
    for (int d = 0; d < D; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
    return s;
  };
  double total = 0;
  for (double v : w) total += v;
  auto a = [&](int i) { return w.empty() ? 1.0 / n : w[i] / total; };
  auto b = [&](int k) { return w.empty() ? 1.0 / (n - 1) : w[k] / total; };
  double cross = 0, within = 0, real = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j) cross += a(i) / m * f(r2(&x.x[i * D], &y.x[j * D]));
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k)
      if (k != i) within += a(i) * b(k) * f(r2(&x.x[i * D], &x.x[k * D]));
  for (int j = 0; j < m; ++j)
    for (int l = 0; l < m; ++l)
      if (l != j) real += f(r2(&y.x[j * D], &y.x[l * D])) / (double(m) * (m - 1));
  return c_cross * cross + c_within * (within + real);
}

const auto euclid = [](double r2) { return std::sqrt(r2); };
auto gaussian(double h) {
  return [h](double r2) {
    double v = 0;
    for (double s : obj::scales) v += std::exp(-r2 / (2 * h * h * s * s));
    return v;
  };
}
auto imq(double h) {
  return [h](double r2) {
    double v = 0;
    for (double s : obj::scales) v += h * h * s * s / (h * h * s * s + r2);
    return v;
  };
}

// Central finite differences of the double-precision implementation, against its analytic gradient.
template <class O, int D>
void check_gradients(const Sample<D>& fake, const std::vector<double>& w, const Sample<D>& real, obj::Settings s) {
  const auto e = evaluate<O, double, D>(fake, w, real, s);
  const double h = 1e-6;
  for (int k = 0; k < fake.n() * D; ++k) {
    Sample<D> up = fake, down = fake;
    up.x[k] += h;
    down.x[k] -= h;
    const double numeric = (evaluate<O, double, D>(up, w, real, s).value - evaluate<O, double, D>(down, w, real, s).value) / (2 * h);
    CAPTURE(k);
    CHECK(e.d_fake[k] == doctest::Approx(numeric).epsilon(1e-5).scale(1e-3));
  }
  for (std::size_t i = 0; i < w.size(); ++i) {
    auto up = w, down = w;
    up[i] += h;
    down[i] -= h;
    const double numeric = (evaluate<O, double, D>(fake, up, real, s).value - evaluate<O, double, D>(fake, down, real, s).value) / (2 * h);
    CAPTURE(i);
    CHECK(e.d_weights[i] == doctest::Approx(numeric).epsilon(1e-5).scale(1e-3));
  }
}

std::vector<double> some_weights(int n) {
  std::vector<double> w;
  for (int i = 0; i < n; ++i) w.push_back(0.3 + 0.05 * (i % 7));
  return w;
}
}  // namespace

TEST_CASE("objective: each pair distance equals the direct sum over every pair, unweighted and weighted") {
  const auto x = normal_sample<2>(37, 0.3, 1), y = normal_sample<2>(41, 0.0, 2);
  const auto w = some_weights(37);
  const obj::Settings s{0.7, 8};
  for (const auto& weights : {std::vector<double>{}, w}) {
    CAPTURE(weights.size());
    CHECK(evaluate<obj::EnergyDistance, double, 2>(x, weights, y, s).value ==
          doctest::Approx(reference(x, weights, y, euclid, 2, -1)).epsilon(1e-12));
    CHECK(evaluate<obj::Mmd, double, 2>(x, weights, y, s).value ==
          doctest::Approx(reference(x, weights, y, gaussian(0.7), -2, 1)).epsilon(1e-12));
    CHECK(evaluate<obj::MmdImq, double, 2>(x, weights, y, s).value ==
          doctest::Approx(reference(x, weights, y, imq(0.7), -2, 1)).epsilon(1e-12));
    // float, as training runs, within float's accuracy of the double sums
    CHECK(evaluate<obj::EnergyDistance, float, 2>(x, weights, y, s).value ==
          doctest::Approx(reference(x, weights, y, euclid, 2, -1)).epsilon(1e-4).scale(1e-3));
  }
}

TEST_CASE("objective: the gradients with respect to the fake events and their weights match finite differences") {
  const auto x = normal_sample<2>(9, 0.5, 3), y = normal_sample<2>(11, 0.0, 4);
  const obj::Settings s{0.8, 5};
  for (const auto& weights : {std::vector<double>{}, some_weights(9)}) {
    CAPTURE(weights.size());
    check_gradients<obj::EnergyDistance>(x, weights, y, s);
    check_gradients<obj::Mmd>(x, weights, y, s);
    check_gradients<obj::MmdImq>(x, weights, y, s);
  }
  check_gradients<obj::SlicedWasserstein>(x, {}, y, s);  // away from ties, the matching is locally fixed
}

TEST_CASE("objective: over several tiles of pairs (full ones and a partial one) the sums and gradients hold") {
  // 16 pairs side by side per tile on a CPU: 37 fake and 35 real events are two full tiles and a partial one.
  const auto x = normal_sample<2>(37, 0.2, 5), y = normal_sample<2>(35, 0.0, 6);
  const obj::Settings s{0.6, 5};
  for (const auto& weights : {std::vector<double>{}, some_weights(37)}) {
    CAPTURE(weights.size());
    check_gradients<obj::EnergyDistance>(x, weights, y, s);
    check_gradients<obj::MmdImq>(x, weights, y, s);
  }
  check_gradients<obj::Mmd>(x, {}, y, s);
}

TEST_CASE("objective: the energy distance is unbiased, and matches the closed form for two normal distributions") {
  // Same distribution: the U-statistic averages to zero.
  double mean = 0, mean2 = 0;
  const int reps = 400;
  for (int r = 0; r < reps; ++r) {
    const double e = evaluate<obj::EnergyDistance, double, 1>(normal_sample<1>(30, 0, 100 + r), {},
                                                              normal_sample<1>(25, 0, 1000 + r)).value;
    mean += e / reps;
    mean2 += e * e / reps;
  }
  const double se = std::sqrt((mean2 - mean * mean) / reps);
  CHECK(std::abs(mean) < 4 * se);
  // N(0, 1) against N(mu, 1): 2 E|X - Y| - E|X - X'| - E|Y - Y'| with X - Y ~ N(-mu, 2), X - X' ~ N(0, 2).
  const double mu = 0.8, s2 = std::sqrt(2.0);
  const double e_xy = s2 * std::sqrt(2 / M_PI) * std::exp(-mu * mu / 4) + mu * std::erf(mu / 2);
  const double exact = 2 * e_xy - 2 * (2 / std::sqrt(M_PI));
  const double estimate =
      evaluate<obj::EnergyDistance, double, 1>(normal_sample<1>(3000, mu, 5), {}, normal_sample<1>(3000, 0, 6)).value;
  CHECK(estimate == doctest::Approx(exact).epsilon(0.05));
}

TEST_CASE("objective: the sliced Wasserstein distance is the sorted matching, zero for a sample against itself") {
  // In one dimension every direction is +-1: SW2 = W2^2 = (1/n) sum_r (x_(r) - y_(r))^2 for n = m.
  auto x = normal_sample<1>(50, 0.4, 7), y = normal_sample<1>(50, 0, 8);
  auto xs = x.x, ys = y.x;
  std::sort(xs.begin(), xs.end());
  std::sort(ys.begin(), ys.end());
  double w2 = 0;
  for (int r = 0; r < 50; ++r) w2 += (xs[r] - ys[r]) * (xs[r] - ys[r]) / 50;
  CHECK(evaluate<obj::SlicedWasserstein, double, 1>(x, {}, y, {1, 16}).value == doctest::Approx(w2).epsilon(1e-12));
  const auto z = normal_sample<3>(40, 0, 9);
  CHECK(evaluate<obj::SlicedWasserstein, double, 3>(z, {}, z, {1, 16}).value == doctest::Approx(0).scale(1e-12));
  // A shift by delta keeps every order: SW2 = mean over directions of (theta . delta)^2, about |delta|^2 / D.
  Sample<3> moved = z;
  for (std::size_t k = 0; k < moved.x.size(); ++k) moved.x[k] += 0.5;
  CHECK(evaluate<obj::SlicedWasserstein, double, 3>(moved, {}, z, {1, 4000}).value ==
        doctest::Approx(0.75 / 3).epsilon(0.05));
}

// The sliced distance written out on the host: each direction's projections sorted with std::sort,
// each fake event matched to the real quantile at its rank (the directions drawn as the objective
// draws them: D normals per direction from the key's stream, normalised).
template <int D>
Evaluated<obj::SlicedWasserstein, double, D> sliced_reference(const Sample<D>& x, const Sample<D>& y, int L,
                                                              std::uint64_t key) {
  const sagips::random::CounterRng rng(key);
  const int n = x.n(), m = y.n();
  Evaluated<obj::SlicedWasserstein, double, D> e{0, std::vector<double>(n * D, 0.0), {}};
  for (int l = 0; l < L; ++l) {
    double theta[D], norm = 0;
    for (int d = 0; d < D; ++d) {
      theta[d] = rng.normal<double>(static_cast<std::uint64_t>(l) * D + d);
      norm += theta[d] * theta[d];
    }
    for (double& t : theta) t /= std::sqrt(norm);
    std::vector<double> u(n), v(m);
    for (int i = 0; i < n; ++i)
      for (int d = 0; d < D; ++d) u[i] += theta[d] * x.x[i * D + d];
    for (int j = 0; j < m; ++j)
      for (int d = 0; d < D; ++d) v[j] += theta[d] * y.x[j * D + d];
    std::sort(v.begin(), v.end());
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return u[a] < u[b]; });
    for (int r = 0; r < n; ++r) {
      const int i = order[r];
      const double diff = u[i] - v[std::min<long>(m - 1, static_cast<long>((r + 0.5) * m / n))];
      e.value += diff * diff / (double(L) * n);
      for (int d = 0; d < D; ++d) e.d_fake[i * D + d] += 2 * diff * theta[d] / (double(L) * n);
    }
  }
  return e;
}

TEST_CASE("objective: the sliced distance's one sort over all directions equals a sort per direction") {
  for (const auto& [n, m, L] : std::vector<std::tuple<int, int, int>>{{37, 53, 8}, {500, 200, 64}, {2, 2, 1}}) {
    CAPTURE(n);
    CAPTURE(m);
    const auto x = normal_sample<3>(n, 0.3, 21), y = normal_sample<3>(m, 0, 22);
    const auto ref = sliced_reference<3>(x, y, L, 7);
    const auto got = evaluate<obj::SlicedWasserstein, double, 3>(x, {}, y, {1, L}, 7);
    CHECK(got.value == doctest::Approx(ref.value).epsilon(1e-12));
    REQUIRE(got.d_fake.size() == ref.d_fake.size());
    double worst = 0;
    for (std::size_t k = 0; k < ref.d_fake.size(); ++k) worst = std::max(worst, std::abs(got.d_fake[k] - ref.d_fake[k]));
    CHECK(worst < 1e-14);
  }
}

TEST_CASE("objective: one sliced-distance object called with changing sizes equals a fresh one each time") {
  // It keeps its working views between calls and allocates again only when a size changes.
  obj::SlicedWasserstein::Impl<double, 3> kept({1, 16});
  for (const auto& [n, m] : std::vector<std::pair<int, int>>{{40, 30}, {40, 30}, {25, 60}, {40, 30}}) {
    CAPTURE(n);
    CAPTURE(m);
    const auto x = normal_sample<3>(n, 0.2, 31 + n), y = normal_sample<3>(m, 0, 32 + m);
    const auto ref = sliced_reference<3>(x, y, 16, 9);
    const auto got = evaluate_on<obj::SlicedWasserstein, double, 3>(kept, x, {}, y, 9);
    CHECK(got.value == doctest::Approx(ref.value).epsilon(1e-12));
    double worst = 0;
    for (std::size_t k = 0; k < ref.d_fake.size(); ++k) worst = std::max(worst, std::abs(got.d_fake[k] - ref.d_fake[k]));
    CHECK(worst < 1e-14);
  }
}

// A kernel with only value() and d(), as a user may write one: the pair sums fall back to calling both.
template <class T>
struct PlainEuclidean {
  KOKKOS_INLINE_FUNCTION T value(T r2) const { return sagips::math::sqrt(r2); }
  KOKKOS_INLINE_FUNCTION T d(T r2) const { return r2 > T(0) ? T(0.5) / sagips::math::sqrt(r2) : T(0); }
};
struct PlainEnergy {
  static constexpr const char* name = "plain-energy";
  template <class T, int D>
  class Impl : public obj::PairDistance<T, D, PlainEuclidean> {
   public:
    explicit Impl(const obj::Settings&) : obj::PairDistance<T, D, PlainEuclidean>(PlainEuclidean<T>{}, T(2), T(-1)) {}
  };
};

TEST_CASE("objective: exp_nonpositive, the Gaussian kernel's exponential on the host, is exp to 2 ulp") {
  auto check = [](auto zero, double lowest) {
    using T = decltype(zero);
    double worst = 0;
    for (int i = 0; i <= 200000; ++i) {
      const T x = static_cast<T>(lowest * i / 200000.0);
      const T got = obj::exp_nonpositive(x), want = std::exp(x);
      if (want < std::numeric_limits<T>::min()) continue;
      worst = std::max(worst, std::abs(static_cast<double>(got) - static_cast<double>(want)) /
                                  (static_cast<double>(want) * std::numeric_limits<T>::epsilon()));
    }
    CAPTURE(sizeof(T));
    CHECK(worst <= 2.0);
    CHECK(obj::exp_nonpositive(T(0)) == T(1));
    CHECK(obj::exp_nonpositive(static_cast<T>(lowest) * T(1.01)) == T(0));  // would be subnormal: 0
    CHECK(obj::exp_nonpositive(-std::numeric_limits<T>::infinity()) == T(0));
    CHECK(std::isnan(obj::exp_nonpositive(std::numeric_limits<T>::quiet_NaN())));
  };
  check(0.0f, -87.3);
  check(0.0, -708.3);
}

TEST_CASE("objective: a kernel without both() gives what the built-in kernel gives with it") {
  const auto x = normal_sample<2>(60, 0.2, 31), y = normal_sample<2>(45, 0, 32);
  const auto plain = evaluate<PlainEnergy, double, 2>(x, {}, y);
  const auto built_in = evaluate<obj::EnergyDistance, double, 2>(x, {}, y);
  CHECK(plain.value == doctest::Approx(built_in.value).epsilon(1e-14));
  for (std::size_t k = 0; k < plain.d_fake.size(); ++k) CHECK(plain.d_fake[k] == doctest::Approx(built_in.d_fake[k]).epsilon(1e-14));
}

TEST_CASE("objective: input a distance cannot compare is refused with the reason") {
  const auto one = normal_sample<2>(1, 0, 1), some = normal_sample<2>(5, 0, 2);
  CHECK_THROWS_WITH_AS((evaluate<obj::EnergyDistance, float, 2>(one, {}, some)),
                       doctest::Contains("at least two fake and two real events; this rank has 1 fake and 5 real"),
                       sagips::Error);
  CHECK_THROWS_WITH_AS((obj::Mmd::Impl<float, 2>(obj::Settings{0.0, 4})),
                       doctest::Contains("mmd: the kernel bandwidth must be a positive finite number; it is 0"),
                       sagips::Error);
  CHECK_THROWS_WITH_AS((obj::MmdImq::Impl<float, 2>(obj::Settings{-1.0, 4})), doctest::Contains("positive finite"),
                       sagips::Error);
  CHECK_THROWS_WITH_AS((evaluate<obj::SlicedWasserstein, float, 2>(some, some_weights(5), some)),
                       doctest::Contains("sliced: weighted events are not supported"), sagips::Error);
  CHECK_THROWS_WITH_AS((evaluate<obj::EnergyDistance, float, 2>(some, std::vector<double>(5, 0.0), some)),
                       doctest::Contains("weights of positive finite sum"), sagips::Error);
  {  // 3-D events to a distance of 2-D ones
    obj::EnergyDistance::Impl<float, 2> energy(obj::Settings{});
    Matrix<float> three("three", 5, 3), d("d", 5, 2);
    sagips::loss::DeviceValue<float> value("v");
    CHECK_THROWS_WITH_AS(energy.evaluate(three, Vector<float>(), device<float>(some), value, d, Vector<float>(),
                                         sagips::random::CounterRng(1)),
                         doctest::Contains("a sample distance of 2-D events was given fake events of 3 coordinates"),
                         sagips::Error);
  }
  CHECK_THROWS_WITH_AS((obj::Chosen<obj::Builtin, float, 2>("wasserstein", {})),
                       doctest::Contains("unknown objective 'wasserstein' (choose gan, energy, mmd, mmd-imq, sliced)"),
                       sagips::Error);
  static_assert(obj::check_distance<obj::EnergyDistance>() && obj::check_distance<obj::SlicedWasserstein, double, 3>());
}
