// Real data are checked before training: non-finite values and events outside the region the
// pipeline can produce (its support: the theory's domain widened by smearing) are refused with the
// source, the row, the column and the value named.
#include <doctest/doctest.h>

#include <limits>
#include <sagips/sim.hpp>

namespace sim = sagips::sim;
using Smeared = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing>;
using Bare = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<32>>;

TEST_CASE("a pipeline's support is its domain, widened by eight resolutions of smearing") {
  const auto bare = Bare().support();
  CHECK(bare.lower[0] == 0.001);
  CHECK(bare.upper[1] == 0.999);
  const Smeared smeared(sim::Proxy2D{}, sim::InverseCdf2D<32>{}, sim::GaussianSmearing{0.01});
  const auto s = smeared.support();
  for (int d = 0; d < 2; ++d) {
    CHECK(s.lower[d] == doctest::Approx(0.001 - 0.08));
    CHECK(s.upper[d] == doctest::Approx(0.999 + 0.08));
  }
}

TEST_CASE("generated events pass the check; NaN, Inf and events out of reach are refused with row and value") {
  Smeared pipe(sim::Proxy2D{}, sim::InverseCdf2D<32>{}, sim::GaussianSmearing{0.01});
  auto data = sim::generate_events(pipe, sim::Proxy2D::truth(), 5000, 3);
  auto check = [&](const sim::Box<2>& support) { sim::check_events<float, 2>(data, support, "events.npy"); };
  CHECK_NOTHROW(check(pipe.support()));

  data(17, 1) = std::numeric_limits<float>::quiet_NaN();
  data(20, 0) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH_AS(check(pipe.support()),
                       "events.npy: row 17, column 1 is nan, not a finite number; 2 of 5000 rows are affected",
                       sagips::Error);
  data(17, 1) = 0.5f;
  data(20, 0) = 0.5f;
  data(3, 0) = 5.0f;
  CHECK_THROWS_WITH_AS(check(pipe.support()),
                       doctest::Contains("events.npy: row 3, column 0 is 5, outside [-0.079, 1.079]"), sagips::Error);
  // Slightly outside the domain is what smearing does: accepted.
  data(3, 0) = -0.03f;
  CHECK_NOTHROW(check(pipe.support()));
  // Without smearing the same event is out of reach.
  CHECK_THROWS_AS(check(Bare().support()), sagips::Error);
}
