// A joint fit's parameter vector (sim/joint.hpp): each data set's theory seen through it equals the
// data set's own theory at the shared parameters and its own nuisances, has no gradient with respect
// to another data set's nuisances, lays out names, bounds and truth as documented, and refuses data
// sets that disagree on a shared parameter.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <sagips/sim/dis.hpp>
#include <sagips/sim/joint.hpp>
#include <sagips/testing/gradients.hpp>
#include <string>

namespace sim = sagips::sim;

namespace {
// A data set with two nuisances of its own: a shift and a width of a bump on top of a shared slope.
struct Bump {
  static constexpr int num_params = 3;  // slope (shared), centre, width
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    const S z = (S(x[0]) - p[1]) / p[2];
    return sagips::math::exp(-p[0] * S(x[0])) + sagips::math::exp(-S(0.5) * z * z);
  }
  static sim::Box<1> domain() { return {{0.0}, {4.0}}; }
  static std::array<double, 3> lower_bounds() { return {0.1, 1.0, 0.2}; }
  static std::array<double, 3> upper_bounds() { return {2.0, 3.0, 1.0}; }
  static std::array<double, 3> truth() { return {0.8, 2.0, 0.5}; }
  static std::array<const char*, 3> names() { return {"slope", "centre", "width"}; }
};
struct Plain {  // the shared slope alone
  static constexpr int num_params = 1;
  static constexpr int dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return sagips::math::exp(-p[0] * S(x[0]));
  }
  static sim::Box<1> domain() { return {{0.0}, {4.0}}; }
  static std::array<double, 1> lower_bounds() { return {0.1}; }
  static std::array<double, 1> upper_bounds() { return {2.0}; }
  static std::array<double, 1> truth() { return {0.8}; }
};
struct OtherBounds : Plain {  // disagrees on the shared parameter's range
  static std::array<double, 1> upper_bounds() { return {3.0}; }
};
using J = sim::Joint<1, Bump, Plain, Bump>;  // slope | centre[0], width[0] | (none) | centre[2], width[2]
}  // namespace

TEST_CASE("joint: the layout, names, bounds and truth of the parameter vector") {
  static_assert(J::num_params == 5 && J::data_sets == 3);
  static_assert(J::offset<0>() == 1 && J::offset<1>() == 3 && J::offset<2>() == 3);
  static_assert(sim::check_theory<J::DataSet<0>>() && sim::check_theory<J::DataSet<1>>());
  const auto n = J::names();
  CHECK(std::string(n[0]) == "slope");
  CHECK(std::string(n[1]) == "centre[0]");
  CHECK(std::string(n[2]) == "width[0]");
  CHECK(std::string(n[3]) == "centre[2]");
  CHECK(std::string(n[4]) == "width[2]");
  CHECK(J::lower_bounds() == std::array<double, 5>{0.1, 1.0, 0.2, 1.0, 0.2});
  CHECK(J::truth() == std::array<double, 5>{0.8, 2.0, 0.5, 2.0, 0.5});
  CHECK(sim::parameter_names<J::DataSet<1>>()[3] == "centre[2]");  // every data set's theory names them all
  // DIS: four shared valence parameters, the deuteron's power correction after them.
  using Dis = sim::Joint<4, sim::Dis<sim::Proton, 140>, sim::Dis<sim::Deuteron, 89>>;
  CHECK(std::string(Dis::names()[4]) == "h_D[1]");
  CHECK(Dis::upper_bounds()[4] == 1.6);
}

TEST_CASE("joint: a data set's theory reads the shared parameters and its own, and nothing else") {
  const double p[5] = {0.7, 2.3, 0.4, 1.6, 0.9};
  const double own0[3] = {0.7, 2.3, 0.4}, own2[3] = {0.7, 1.6, 0.9};
  for (double x : {0.1, 1.5, 2.2, 3.9}) {
    CAPTURE(x);
    CHECK(J::DataSet<0>{}(p, &x) == Bump{}(own0, &x));
    CHECK(J::DataSet<1>{}(p, &x) == Plain{}(p, &x));
    CHECK(J::DataSet<2>{}(p, &x) == Bump{}(own2, &x));
    // The gradient: zero with respect to the other data sets' nuisances, the own theory's elsewhere.
    using Dual = sagips::autodiff::Dual<double, 5>;
    Dual dp[5];
    for (int j = 0; j < 5; ++j) dp[j] = Dual::variable(p[j], j);
    const Dual a = J::DataSet<0>{}(dp, &x), c = J::DataSet<2>{}(dp, &x);
    CHECK(a.d[3] == 0);
    CHECK(a.d[4] == 0);
    CHECK(c.d[1] == 0);
    CHECK(c.d[2] == 0);
    CHECK(a.d[1] != 0);
    CHECK(c.d[3] != 0);
  }
  std::vector<std::array<double, 1>> points = {{{0.3}}, {{1.9}}, {{2.6}}};
  CHECK(sagips::testing::check_theory_gradient(J::DataSet<2>{}, {0.7, 2.3, 0.4, 1.6, 0.9}, points));
}

TEST_CASE("joint: data sets that disagree on a shared parameter are refused, naming it") {
  using Bad = sim::Joint<1, Plain, OtherBounds>;
  CHECK(Bad::lower_bounds()[0] == 0.1);
  CHECK_THROWS_WITH_AS(Bad::upper_bounds(), doctest::Contains("gives the shared parameter p0 the upper bound 3"),
                       sagips::Error);
}
