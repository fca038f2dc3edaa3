// Vector-Jacobian products of every sampler, stage and a whole pipeline against central finite
// differences with common random numbers (the same keys on both sides), in double; each built-in
// stage and theory also through the public checkers (sagips/testing/gradients.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <sagips/sim.hpp>
#include <sagips/testing/gradients.hpp>

#include "vjp_check.hpp"

namespace sim = sagips::sim;
using vjp_check::params_near_truth;
using vjp_check::vjp_error;
using sagips::Matrix;
using sagips::Vector;

namespace {

struct Efficiency {  // smooth, x-dependent, in [0.3, 0.9]
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S* x) const {
    return S(0.3) + S(0.6) * x[0] * (S(1) - S(0.5) * x[0]);
  }
};
struct LowerHalf {
  template <class X>
  KOKKOS_INLINE_FUNCTION bool operator()(const X* x) const {
    return x[0] < X(0.8);
  }
};

}  // namespace

TEST_CASE("inverse-CDF samplers: dL/dp matches finite differences") {
  sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>> one;
  CHECK(vjp_error(one, 3, 400) < 1e-6);
  sim::BasicPipeline<double, sim::DecayPeak1D, sim::InverseCdf1D<128>> peak;
  CHECK(vjp_error(peak, 2, 400) < 1e-6);
  sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<64>> two;
  CHECK(vjp_error(two, 3, 400) < 1e-6);
}

TEST_CASE("LOITS samplers: dL/dp matches finite differences (positions inside the cells)") {
  sim::BasicPipeline<double, sim::Beta1D, sim::Loits1D<64>> one;
  CHECK(vjp_error(one, 3, 300) < 1e-6);
  sim::BasicPipeline<double, sim::Proxy2D, sim::Loits2D<32>> two;
  CHECK(vjp_error(two, 2, 100, 1e-8) < 1e-5);
}

TEST_CASE("reweighting: dL/dp flows through the weights and matches finite differences") {
  sim::BasicPipeline<double, sim::Proxy2D, sim::Reweighting<48>> pipe;
  CHECK(vjp_error(pipe, 3, 300) < 1e-6);
}

TEST_CASE("every stage: a whole pipeline's dL/dp matches finite differences") {
  using Pipe = sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<48>, sim::Acceptance<Efficiency>,
                                  sim::GaussianSmearing, sim::Background<>, sim::Cuts<LowerHalf>>;
  Pipe pipe(sim::Proxy2D{}, sim::InverseCdf2D<48>{}, sim::Acceptance<Efficiency>{}, sim::GaussianSmearing{0.02},
            sim::Background<>{0.2}, sim::Cuts<LowerHalf>{});
  CHECK(vjp_error(pipe, 3, 300) < 1e-6);
  {
    sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<48>, sim::Acceptance<Efficiency>> a;
    CHECK(vjp_error(a, 3, 300) < 1e-6);
    sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<48>, sim::GaussianSmearing> b;
    CHECK(vjp_error(b, 3, 300) < 1e-6);
    sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<48>, sim::Background<>> c;
    CHECK(vjp_error(c, 3, 300) < 1e-6);
    sim::BasicPipeline<double, sim::Proxy2D, sim::InverseCdf2D<48>, sim::Cuts<LowerHalf>> d;
    CHECK(vjp_error(d, 3, 300) < 1e-6);
  }
  using Rejection = sim::Acceptance<Efficiency, sim::AcceptanceMode::rejection>;
  using Reject = sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>, Rejection>;
  Reject reject(sim::Beta1D{}, sim::InverseCdf1D<64>{}, Rejection{Efficiency{}});
  CHECK(vjp_error(reject, 3, 300) < 1e-6);
}

TEST_CASE("every built-in stage: its own vjp against finite differences (sagips::testing::check_stage_vjp)") {
  namespace st = sagips::testing;
  CHECK(st::check_stage_vjp<sim::Proxy2D>(sim::GaussianSmearing{0.02}));
  CHECK(st::check_stage_vjp<sim::Beta1D>(sim::GaussianSmearing{0.05}));
  CHECK(st::check_stage_vjp<sim::Proxy2D>(sim::Acceptance<Efficiency>{}));
  CHECK(st::check_stage_vjp<sim::Proxy2D>(sim::Acceptance<Efficiency, sim::AcceptanceMode::rejection>{}));
  CHECK(st::check_stage_vjp<sim::Beta1D>(sim::Acceptance<Efficiency, sim::AcceptanceMode::rejection>{}));
  CHECK(st::check_stage_vjp<sim::Proxy2D>(sim::Background<>{0.3}));
  CHECK(st::check_stage_vjp<sim::Proxy2D>(sim::Cuts<LowerHalf>{}));
  st::StageCheckOptions many;
  many.events = 200;  // enough that some events are dropped and some kept
  const auto cuts = st::check_stage_vjp<sim::Beta1D>(sim::Cuts<LowerHalf>{}, many);
  CHECK(cuts);
  CHECK(cuts.compared() > 2 * 150);  // events and weights of the kept and the dropped alike
}

TEST_CASE("every built-in theory: its Dual gradient against finite differences (check_theory_gradient)") {
  namespace st = sagips::testing;
  CHECK(st::check_theory_gradient(sim::Proxy2D{}, sim::Proxy2D::truth()));
  CHECK(st::check_theory_gradient(sim::Beta1D{}, sim::Beta1D::truth()));
  CHECK(st::check_theory_gradient(sim::DecayPeak1D{}, sim::DecayPeak1D::truth()));
  CHECK(st::check_theory_gradient(sim::DecayPeak1D{}, {1.0, 0.8, 5.0, 0.3}, {{{0.1}}, {{4.9}}, {{9.5}}}));
}

TEST_CASE("stages do what they say") {
  using Pipe = sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>, sim::Cuts<LowerHalf>>;
  Pipe pipe;
  auto p = params_near_truth<Pipe>(2);
  const auto o = pipe.forward(p, 5000, {1, 0, 1});
  auto ev = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), o.events);
  CHECK(o.count < 10000);
  CHECK(o.count > 9000);  // Beta(0.7, 2.5) has little mass above 0.8
  for (int i = 0; i < o.count; ++i) REQUIRE(ev(i, 0) < 0.8);

  // Background fraction 0.25 replaces about a quarter of the events.
  using Bg = sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>, sim::Background<>>;
  Bg bg(sim::Beta1D{}, sim::InverseCdf1D<64>{}, sim::Background<>{0.25});
  Bg clean(sim::Beta1D{}, sim::InverseCdf1D<64>{}, sim::Background<>{0.0});
  auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), bg.forward(p, 20000, {1, 0, 1}).events);
  auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), clean.forward(p, 20000, {1, 0, 1}).events);
  int changed = 0;
  for (int i = 0; i < 40000; ++i) changed += a(i, 0) != b(i, 0);
  CHECK(changed == doctest::Approx(10000).epsilon(0.05));

  // Smearing: the difference to the unsmeared events has the stated resolution.
  using Smeared = sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>, sim::GaussianSmearing>;
  Smeared sm(sim::Beta1D{}, sim::InverseCdf1D<64>{}, sim::GaussianSmearing{0.05});
  sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>> raw;
  auto s = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), sm.forward(p, 20000, {1, 0, 1}).events);
  auto r = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), raw.forward(p, 20000, {1, 0, 1}).events);
  double var = 0;
  for (int i = 0; i < 40000; ++i) var += (s(i, 0) - r(i, 0)) * (s(i, 0) - r(i, 0)) / 40000;
  CHECK(std::sqrt(var) == doctest::Approx(0.05).epsilon(0.02));
}

TEST_CASE("parameter scaling maps (0,1) to the bounds and back") {
  sim::ParameterScaling<double, 5> s = sim::ParameterScaling<double, 5>::from_theory<sim::Proxy2D>();
  Matrix<double> u("u", 1, 5), p("p", 1, 5), du("du", 1, 5);
  Kokkos::deep_copy(u, 0.5);
  s.forward(u, p);
  auto hp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
  CHECK(hp(0, 0) == doctest::Approx(0.25));
  CHECK(hp(0, 4) == doctest::Approx(0.75));
  Kokkos::deep_copy(p, 1.0);
  s.vjp(p, du);
  auto hd = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), du);
  CHECK(hd(0, 1) == doctest::Approx(1.25));
  CHECK_THROWS_AS((sim::ParameterScaling<double, 1>({1.0}, {1.0})), sagips::Error);
}

namespace {
struct Negative {
  static constexpr int num_params = 1;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return p[0] - x[0];  // negative where x > p
  }
  static sim::Box<1> domain() { return {{0.0}, {1.0}}; }
};
struct ZeroWidth : Negative {
  static sim::Box<1> domain() { return {{0.5}, {0.5}}; }
};
}  // namespace

TEST_CASE("a bad theory is a clear error naming the cause") {
  sim::BasicPipeline<double, Negative, sim::InverseCdf1D<8>> pipe;
  Matrix<double> p("p", 1, 1);
  Kokkos::deep_copy(p, 0.5);
  try {
    pipe.forward(p, 10, {1, 0, 1});
    FAIL("no error");
  } catch (const sagips::Error& e) {
    const std::string m = e.what();
    CHECK(m.find("returned a negative density") != std::string::npos);
    CHECK(m.find("for parameters (0.5)") != std::string::npos);
  }
  Kokkos::deep_copy(p, std::nan(""));
  CHECK_THROWS_WITH_AS(pipe.forward(p, 10, {1, 0, 1}), doctest::Contains("returned a non-finite density"), sagips::Error);
  CHECK_THROWS_WITH_AS((sim::BasicPipeline<double, ZeroWidth, sim::InverseCdf1D<8>>()),
                       doctest::Contains("which has no positive finite width"), sagips::Error);
  CHECK_THROWS_WITH_AS(pipe.forward(Matrix<double>("p", 1, 2), 10, {1, 0, 1}),
                       "pipeline: parameter sets have 2 columns, the theory has 1 parameters", sagips::Error);
}

TEST_CASE("generated data: the same events before smearing with and without the smearing stage") {
  sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<64>, sim::GaussianSmearing> smeared;
  sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<64>> truth_level;
  const auto a = sim::generate_events(smeared, sim::Proxy2D::truth(), 20000, 9);
  const auto b = sim::generate_events(truth_level, sim::Proxy2D::truth(), 20000, 9);
  double var = 0;
  for (int i = 0; i < 20000; ++i)
    for (int d = 0; d < 2; ++d) var += (a(i, d) - b(i, d)) * (a(i, d) - b(i, d)) / 40000;
  CHECK(std::sqrt(var) == doctest::Approx(0.01).epsilon(0.03));
}

namespace {
struct FallingHalf {  // eff(x) = 1 - x / 2
  template <class S>
  KOKKOS_INLINE_FUNCTION S operator()(const S* x) const {
    return S(1) - S(0.5) * x[0];
  }
};
}  // namespace

TEST_CASE("acceptance by rejection is unweighted: generate_events takes it and keeps eff(x) of the events") {
  // A flat density on [a, b] = [0.001, 0.999] (Beta1D at p = (0, 0)) and eff(x) = 1 - x / 2: the accepted
  // fraction is the mean of eff over [a, b], 3/4 exactly here, and the accepted events have the density
  // (1 - x / 2) / Z, whose mean is below.
  using Rejection = sim::Acceptance<FallingHalf, sim::AcceptanceMode::rejection>;
  static_assert(!Rejection::Impl<float, 1>::weighted && sim::Acceptance<FallingHalf>::Impl<float, 1>::weighted);
  using Pipe = sim::BasicPipeline<double, sim::Beta1D, sim::InverseCdf1D<64>, Rejection>;
  static_assert(!Pipe::weighted, "the rejection form makes an unweighted pipeline");
  const double a = sim::Beta1D::domain().lower[0], b = sim::Beta1D::domain().upper[0];
  const double z = (b - a) - (b * b - a * a) / 4;
  const double expected_fraction = z / (b - a);
  const double expected_mean = ((b * b - a * a) / 2 - (b * b * b - a * a * a) / 6) / z;
  REQUIRE(expected_fraction == doctest::Approx(0.75));
  Pipe pipe;
  Matrix<double> p("p", 1, 2);  // a = b = 0
  const int m = 400000;
  const auto out = pipe.forward(p, m, {3, 0, 1});
  CHECK(out.weights.extent(0) == 0);
  const double fraction = double(out.count) / m;
  CHECK(std::abs(fraction - expected_fraction) < 0.004);  // 6 binomial sigmas

  const long n = 100000;
  const auto events = sim::generate_events(pipe, {0.0, 0.0}, n, 11);
  REQUIRE(events.extent(0) == static_cast<std::size_t>(n));
  double mean = 0;
  for (long i = 0; i < n; ++i) {
    REQUIRE(events(i, 0) > a);
    REQUIRE(events(i, 0) < b);
    mean += events(i, 0) / n;
  }
  CHECK(std::abs(mean - expected_mean) < 0.004);  // the mean's sigma: 0.0009
}
