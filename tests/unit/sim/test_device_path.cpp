// What a GPU run of the pipeline needs, checked on any backend: the samplers' tables computed by
// teams equal the serial loops they replace (to the last bits with the host backends' teams of one), a deferred
// density check still names the first bad value with the parameters it had, and buffers are not
// reallocated step after step (counted through Kokkos' allocation hook).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sagips/sim.hpp>
#include <string>

namespace sim = sagips::sim;
using sagips::Matrix;

namespace {
constexpr int P = 3;
using Dual = sagips::autodiff::Dual<double, P>;
using DualView = Kokkos::View<Dual*, sagips::MemSpace>;

// Grid values of `tables` tables of `per` nodes, with every component set (mixed signs in the
// derivatives, values > 0), and node positions graded like the samplers'.
DualView random_duals(int n, std::uint64_t seed) {
  DualView f("f", n);
  auto h = Kokkos::create_mirror_view(f);
  std::uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < n; ++i) {
    h(i).v = 0.1 + 3 * next();
    for (int j = 0; j < P; ++j) h(i).d[j] = next() - 0.5;
  }
  Kokkos::deep_copy(f, h);
  return f;
}

long allocations_labelled = 0;
const char* watched_label = "";
void count_allocation(const Kokkos_Profiling_SpaceHandle, const char* label, const void*, const uint64_t) {
  if (std::strcmp(label, watched_label) == 0) ++allocations_labelled;
}

struct Negative {  // a theory whose density is negative everywhere
  static constexpr int num_params = 1;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X*) const {
    return -p[0];
  }
  static sim::Box<1> domain() { return {{0.0}, {1.0}}; }
};
}  // namespace

TEST_CASE("the team-computed cumulative tables and normalisations equal the serial Dual loops") {
  const int tables = 5, g = 17;
  const DualView f = random_duals(tables * g * g, 3);
  const auto x = sim::make_nodes<double>(g, 0.001, 0.999, sim::Spacing::graded);
  auto hf = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), f);
  auto hx = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), x);
  // Teams of one (host backends) add in the serial loop's order: equal up to a compiler's fusing of a
  // product and a sum into one rounding (a few units in the last place); a device's teams add in
  // another order.
  const double tolerance = sagips::exec_space_is_host ? 1e-14 : 1e-12;
  auto check = [&](const DualView& got, int count, auto&& expected) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), got);
    for (int i = 0; i < count; ++i) {
      const Dual e = expected(i);
      CAPTURE(i);
      REQUIRE(h(i).v == doctest::Approx(e.v).epsilon(tolerance));
      for (int j = 0; j < P; ++j) REQUIRE(h(i).d[j] == doctest::Approx(e.d[j]).epsilon(tolerance).scale(1));
    }
  };
  // Cumulative trapezoids along each of tables * g rows of g values (the 2-D CDF's columns).
  DualView cum("cum", tables * g * g);
  using Tables = sim::detail::CumulativeTables<double, P, sim::detail::Trapezoids<double, P>>;
  Tables::run("test", sim::detail::Trapezoids<double, P>{f, x, g, 1, 0}, cum, tables * g, g - 1);
  check(cum, tables * g * g, [&](int i) {
    const int row = i / g, k = i % g;
    Dual c(0.0);
    for (int q = 0; q < k; ++q) c += (hf(row * g + q) + hf(row * g + q + 1)) * ((hx(q + 1) - hx(q)) / 2.0);
    return c;
  });
  // Along x of the column totals (the marginal): stride g, offset g - 1.
  DualView marg("marg", tables * g);
  Tables::run("test", sim::detail::Trapezoids<double, P>{cum, x, g, g, g - 1}, marg, tables, g - 1);
  auto hc = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), cum);
  check(marg, tables * g, [&](int i) {
    const int b = i / g, a = i % g;
    Dual c(0.0);
    for (int q = 0; q < a; ++q)
      c += (hc((b * g + q) * g + g - 1) + hc((b * g + q + 1) * g + g - 1)) * ((hx(q + 1) - hx(q)) / 2.0);
    return c;
  });
  // The trapezoid rule's integral over g x g nodes (Reweighting's normalisation) and over g nodes.
  auto tw = [&](int k) {
    const double left = k > 0 ? hx(k) - hx(k - 1) : 0.0, right = k + 1 < g ? hx(k + 1) - hx(k) : 0.0;
    return (left + right) / 2.0;
  };
  DualView z2("z2", tables), z1("z1", tables * g);
  sim::detail::TrapezoidNorm<double, P, 2>::run(f, x, x, g, z2, tables);
  check(z2, tables, [&](int b) {
    Dual s(0.0);
    for (int a = 0; a < g; ++a)
      for (int c = 0; c < g; ++c) s += (tw(a) * tw(c)) * hf((b * g + a) * g + c);
    return s;
  });
  sim::detail::TrapezoidNorm<double, P, 1>::run(f, x, x, g, z1, tables * g);
  check(z1, tables * g, [&](int b) {
    Dual s(0.0);
    for (int k = 0; k < g; ++k) s += tw(k) * hf(b * g + k);
    return s;
  });
}

TEST_CASE("a deferred density check does not throw in forward(); check() names the value and the parameters it had") {
  sim::BasicPipeline<double, Negative, sim::InverseCdf1D<8>> pipe;
  Matrix<double> p("p", 1, 1);
  Kokkos::deep_copy(p, 0.5);
  CHECK_NOTHROW(pipe.forward(p, 10, {1, 0, 1}, true, sim::Checks::deferred));
  Kokkos::deep_copy(p, 0.25);  // the parameters change before the verdict is read: the message keeps 0.5
  CHECK_THROWS_WITH_AS(pipe.check(), doctest::Contains("returned a negative density (-0.5) at x = (0) for parameters (0.5)"),
                       sagips::Error);
  CHECK_NOTHROW(pipe.check());  // read once
  // A verdict nobody asked for is not lost: the next forward throws it.
  pipe.forward(p, 10, {1, 0, 1}, true, sim::Checks::deferred);
  CHECK_THROWS_WITH_AS(pipe.forward(p, 10, {1, 0, 2}), doctest::Contains("for parameters (0.25)"), sagips::Error);
}

TEST_CASE("forwards with and without Jacobians (--disc-steps) allocate the Jacobian once") {
  Kokkos::Tools::Experimental::set_allocate_data_callback(&count_allocation);
  Matrix<float> p("p", 4, 5);
  auto hp = Kokkos::create_mirror_view(p);
  for (int b = 0; b < 4; ++b)
    for (int j = 0; j < 5; ++j) hp(b, j) = static_cast<float>(sim::Proxy2D::truth()[j]);
  Kokkos::deep_copy(p, hp);
  {
    watched_label = "sagips::sim::jacobian";
    allocations_labelled = 0;
    sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<16>, sim::GaussianSmearing> pipe;
    Matrix<float> d_events("d", 4 * 8, 2), d_p("dp", 4, 5);
    for (std::uint64_t s = 1; s <= 5; ++s) {
      pipe.forward(p, 8, {1, 0, 2 * s}, false);
      pipe.forward(p, 8, {1, 0, 2 * s + 1}, true);
      pipe.vjp(d_events, sagips::ConstVector<float>(), d_p);
    }
    CHECK(allocations_labelled == 1);
    pipe.forward(p, 8, {1, 0, 99}, false);
    CHECK_THROWS_WITH_AS(pipe.vjp(d_events, sagips::ConstVector<float>(), d_p),
                         doctest::Contains("or the forward ran without Jacobians"), sagips::Error);
  }
  {
    watched_label = "sagips::sim::wjac";
    allocations_labelled = 0;
    sim::Pipeline<sim::Proxy2D, sim::Reweighting<16>> pipe;
    Matrix<float> d_events("d", 4 * 8, 2), d_p("dp", 4, 5);
    sagips::Vector<float> d_w("dw", 4 * 8);
    for (std::uint64_t s = 1; s <= 5; ++s) {
      pipe.forward(p, 8, {1, 0, 2 * s}, false);
      pipe.forward(p, 8, {1, 0, 2 * s + 1}, true);
      pipe.vjp(d_events, d_w, d_p);
    }
    CHECK(allocations_labelled == 1);
  }
  Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
}
