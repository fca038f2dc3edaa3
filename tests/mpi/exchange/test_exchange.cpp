// Gradient exchanges under real ranks (1 to 5, powers of two or not). Every strategy of the built-in
// list (and the user strategy of examples/06_torus) is checked by one test body: after finish(), each
// rank holds the mean of the step gradients of the ranks its strategy says it averages
// (contributors(step)), against an oracle gathered with MPI_Allgather, for every layout and schedule
// the configurations below produce; where the contributors are all ranks this is MPI_Allreduce's
// mean. Then what is particular: RMA against the two-sided ring, independent models' isolation, the
// refusals, the finiteness guard, drift, and the watchdog (the parameter server has a file of its own,
// test_parameter_server.cpp). Each exchange runs from host memory and staged through a host buffer
// (layouts.hpp's paths), with the same bits.
// The tests read and write device buffers only through host mirrors (host_views.hpp), so they hold on a GPU.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <sagips/exchange.hpp>
#include <sagips/train/partition.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "../../../examples/06_torus/torus.hpp"
#include "host_views.hpp"
#include "layouts.hpp"
#include "mpi_test.hpp"

namespace ex = sagips::exchange;
using exchange_test::device_vector;
using exchange_test::edit_on_host;
using exchange_test::host_values;
using exchange_test::on_path;
using exchange_test::paths;
using exchange_test::same_arithmetic;
using exchange_test::same_bits;
using sagips::Vector;

SAGIPS_MPI_TEST_RANKS(1, 5);

namespace {

// Rank r's gradient at step t, element i: integer-valued, so every sum is exact in any order.
double value(int r, long t, std::size_t i) { return double((r * 7 + t * 3 + static_cast<long>(i % 13)) % 17) - 8.0; }

template <class T>
Vector<T> gradient(int r, long t, std::size_t n) {
  std::vector<T> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<T>(value(r, t, i));
  return device_vector(g, "g");
}

template <class S, class T>
void check_strategy_averages(std::size_t n, double tol) {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  for (const ex::Config& c : exchange_test::layouts(size)) {
    CAPTURE(S::name);
    CAPTURE(n);
    CAPTURE(c.group_size);
    CAPTURE(ex::to_string(c.mode));
    CAPTURE(c.rma);
    CAPTURE(c.chunk_threshold);
    // The same exchanges on both paths, step by step: e[staged].
    ex::Exchanger<S, T> e[] = {{sagips::testing::comm(), on_path(c, false), n},
                               {sagips::testing::comm(), on_path(c, true), n}};
    for (bool staged : paths) exchange_test::check_path(e[staged], staged);
    for (long t = 1; t <= 4; ++t) {
      // The oracle: every rank's gradient, gathered.
      std::vector<double> all(static_cast<std::size_t>(size) * n), mine(n);
      for (std::size_t i = 0; i < n; ++i) mine[i] = value(r, t, i);
      MPI_Allgather(mine.data(), static_cast<int>(n), MPI_DOUBLE, all.data(), static_cast<int>(n), MPI_DOUBLE,
                    sagips::testing::comm());
      std::vector<T> got[2];
      for (bool staged : paths) {
        CAPTURE(staged);
        auto grad = gradient<T>(r, t, n);
        CHECK(e[staged].start(grad, t));
        e[staged].test();
        e[staged].finish();
        const std::vector<int> members = e[staged].contributors(t);
        REQUIRE_FALSE(members.empty());
        got[staged] = host_values(grad);
        for (std::size_t i = 0; i < n; ++i) {
          double s = 0;
          for (int q : members) s += all[static_cast<std::size_t>(q) * n + i];
          REQUIRE(double(got[staged][i]) ==
                  doctest::Approx(s / static_cast<double>(members.size())).epsilon(tol).scale(1.0));
        }
      }
      if (same_arithmetic(e[false].staged())) REQUIRE(same_bits(got[false], got[true]));
    }
  }
}

template <class... S>
void check_all_averaging(std::tuple<S...>*) {
  const std::size_t n_ranks = static_cast<std::size_t>(sagips::testing::size());
  auto one = [&](auto* tag) {
    using Strategy = std::remove_pointer_t<decltype(tag)>;
    // (A server is not an average: tested below. Local exchanges nothing: one rank only, tested below.)
    if constexpr (!ex::Traits<Strategy>::has_server && !std::is_same_v<Strategy, ex::Local>) {
      for (std::size_t n : {std::size_t(0), std::size_t(1), n_ranks + 2, 7 * n_ranks + 3}) {
        check_strategy_averages<Strategy, double>(n, 1e-14);
        check_strategy_averages<Strategy, float>(n, 1e-6);
      }
    }
  };
  (one(static_cast<S*>(nullptr)), ...);
}

// One strategy on a large buffer, on both paths: each within 1e-6 of the oracle, the two the same bits.
template <class S>
void check_large(const ex::Config& c, const std::vector<float>& mine, const std::vector<float>& oracle) {
  CAPTURE(S::name);
  CAPTURE(c.group_size);
  CAPTURE(c.chunk_threshold);
  const std::size_t n = mine.size();
  std::vector<float> got[2];
  bool unstaged_path_staged = true;
  for (bool staged : paths) {
    CAPTURE(staged);
    ex::Exchanger<S, float> e(sagips::testing::comm(), on_path(c, staged), n);
    exchange_test::check_path(e, staged);
    if (!staged) unstaged_path_staged = e.staged();
    auto g = device_vector(mine, "g");
    e.start(g, 1);
    e.finish();
    got[staged] = host_values(g);
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(double(got[staged][i]) - double(oracle[i])));
    CHECK(worst <= 1e-6);
  }
  if (same_arithmetic(unstaged_path_staged)) CHECK(same_bits(got[false], got[true]));
}

}  // namespace

TEST_CASE("every averaging strategy leaves the mean of its contributors' gradients, as MPI computes it") {
  // The built-in list itself (a strategy added to it is tested here without an edit), and the example's.
  using All = ex::detail::choice_list<ex::BuiltinAnd<examples::Torus2D>>::type;
  check_all_averaging(static_cast<All*>(nullptr));
}

TEST_CASE("a large buffer (1e6 values) through every all-rank strategy equals MPI_Allreduce's mean") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const std::size_t n = 1000000;
  std::vector<float> mine(n), oracle(n);
  for (std::size_t i = 0; i < n; ++i) mine[i] = std::sin(0.37f * i + r) + 0.01f * r;
  MPI_Allreduce(mine.data(), oracle.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, sagips::testing::comm());
  for (std::size_t i = 0; i < n; ++i) oracle[i] /= static_cast<float>(size);
  ex::Config c;
  check_large<ex::Allreduce>(c, mine, oracle);
  check_large<ex::SyncRing>(c, mine, oracle);
  check_large<examples::Torus2D>(c, mine, oracle);
  c.group_size = size;
  check_large<ex::AsyncRing>(c, mine, oracle);
  check_large<ex::AsyncDoubling>(c, mine, oracle);
  for (int g : {1, size % 2 == 0 ? 2 : size}) {  // columns of every rank; groups of 2 where they fit
    c.group_size = g;
    for (std::size_t threshold : {std::size_t(1), std::size_t(1) << 40}) {  // halving, doubling
      c.chunk_threshold = threshold;
      check_large<ex::Hierarchical>(c, mine, oracle);
    }
  }
}

TEST_CASE("the run-time choice builds the strategy it is told, and refuses a name it does not know") {
  ex::Config c;
  c.group_size = 1;
  for (const std::string& name : ex::strategy_names<ex::Builtin>()) {
    if (name == "parameter-server" && sagips::testing::size() < 2) continue;
    if (name == "local" && sagips::testing::size() > 1) continue;  // one rank only (below)
    c.strategy = name;
    ex::Exchanger<ex::Builtin, float> e(sagips::testing::comm(), c, 10);
    CHECK(std::string(e.name()) == name);
  }
  c.strategy = "tree";
  CHECK_THROWS_WITH_AS((ex::Exchanger<ex::Builtin, float>(sagips::testing::comm(), c, 10)),
                       doctest::Contains("unknown exchange strategy 'tree'"), sagips::CollectiveError);
}

TEST_CASE("RMA averages like the two-sided ring; its guard skips a non-finite read") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const std::size_t n = 1001;
  std::vector<float> mine(n);
  for (std::size_t i = 0; i < n; ++i) mine[i] = std::cos(0.1f * i) * (r + 1);
  std::vector<float> one[2], two[2];  // [staged]
  bool unstaged_path_staged = true;
  for (bool staged : paths) {
    CAPTURE(staged);
    ex::Config c;
    c.group_size = size;
    c.stage_through_host = staged;
    c.rma = true;
    ex::Exchanger<ex::AsyncRing, float> one_sided(sagips::testing::comm(), c, n);
    c.rma = false;
    ex::Exchanger<ex::AsyncRing, float> two_sided(sagips::testing::comm(), c, n);
    exchange_test::check_path(one_sided, staged);
    exchange_test::check_path(two_sided, staged);
    if (!staged) unstaged_path_staged = one_sided.staged() && two_sided.staged();
    auto a = device_vector(mine, "a"), b = device_vector(mine, "b");
    one_sided.start(a, 1);
    one_sided.finish();
    two_sided.start(b, 1);
    two_sided.finish();
    one[staged] = host_values(a);
    two[staged] = host_values(b);
    for (std::size_t i = 0; i < n; ++i)
      REQUIRE(one[staged][i] == doctest::Approx(two[staged][i]).epsilon(1e-6).scale(1e-6));
    CHECK(one_sided.stats().nonfinite_reads == 0);
  }
  if (same_arithmetic(unstaged_path_staged)) {
    CHECK(same_bits(one[false], one[true]));
    CHECK(same_bits(two[false], two[true]));
  }
}

TEST_CASE("independent models never talk: a strategy inside each averages its model's ranks only") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  for (int models : {0, 1, size % 2 == 0 ? size / 2 : size}) {
    CAPTURE(models);
    const sagips::train::ModelPartition p(sagips::testing::comm(), models);
    const sagips::train::Membership& m = p.membership();
    CHECK(m.count == (models == 0 ? size : models));
    CHECK(m.ranks * m.count == size);
    CHECK(m.index == r / m.ranks);
    CHECK(p.comm().size() == m.ranks);
    for (bool staged : paths) {
      CAPTURE(staged);
      ex::Config c;
      c.group_size = m.ranks;
      c.stage_through_host = staged;
      const int first = m.index * m.ranks;
      const double expected = first + (m.ranks - 1) / 2.0;  // the mean of the model's ranks' numbers
      auto exchange = [&](auto* tag) {
        using S = std::remove_pointer_t<decltype(tag)>;
        CAPTURE(S::name);
        ex::Exchanger<S, double> e(p.comm(), c, 5);
        exchange_test::check_path(e, staged);
        Vector<double> g("g", 5);
        Kokkos::deep_copy(g, double(r));
        e.start(g, 1);
        e.finish();
        for (double got : host_values(g)) CHECK(got == expected);
      };
      exchange(static_cast<ex::Allreduce*>(nullptr));
      exchange(static_cast<ex::AsyncRing*>(nullptr));
      exchange(static_cast<ex::SyncRing*>(nullptr));
    }
  }
  // A count that does not fit is refused on every rank, naming the rank count.
  const std::string too_many = "asks for more models than the " + std::to_string(size) + " rank(s)";
  CHECK_THROWS_WITH_AS(sagips::train::ModelPartition(sagips::testing::comm(), size + 1),
                       doctest::Contains(too_many.c_str()), sagips::CollectiveError);
  if (size == 4)
    CHECK_THROWS_WITH_AS(sagips::train::ModelPartition(sagips::testing::comm(), 3),
                         doctest::Contains("--models 3 does not divide the 4 ranks"), sagips::CollectiveError);
}

TEST_CASE("local exchanges nothing, and refuses a model of several ranks on every rank") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  ex::Config c;
  if (size == 1) {
    ex::Exchanger<ex::Local, double> e(sagips::testing::comm(), c, 3);
    Vector<double> g("g", 3);
    Kokkos::deep_copy(g, 2.5);
    e.start(g, 1);
    e.finish();
    for (double got : host_values(g)) CHECK(got == 2.5);
    CHECK(e.contributors(1) == std::vector<int>{0});
    return;
  }
  const std::string refused =
      "--strategy local exchanges nothing, so each model must be one rank; this one has " + std::to_string(size);
  CHECK_THROWS_WITH_AS((ex::Exchanger<ex::Local, double>(sagips::testing::comm(), c, 3)),
                       doctest::Contains(refused.c_str()), sagips::CollectiveError);
  const sagips::train::ModelPartition alone(sagips::testing::comm(), 0);
  ex::Exchanger<ex::Local, double> e(alone.comm(), c, 3);
  Vector<double> g("g", 3);
  Kokkos::deep_copy(g, double(r));
  e.start(g, 1);
  e.finish();
  for (double got : host_values(g)) CHECK(got == r);
}

TEST_CASE("impossible configurations fail on every rank with one message") {
  const int size = sagips::testing::size();
  if (size >= 2 && size % 2 != 0) {
    ex::Config c;
    c.group_size = 2;
    CHECK_THROWS_WITH_AS((ex::Exchanger<ex::AsyncRing, float>(sagips::testing::comm(), c, 10)),
                         doctest::Contains("group size 2 does not divide the rank count"), sagips::CollectiveError);
  }
  if (size == 1) {
    CHECK_THROWS_WITH_AS((ex::Exchanger<ex::ParameterServer, float>(sagips::testing::comm(), ex::Config{}, 10)),
                         doctest::Contains("a parameter server needs at least 2 ranks"), sagips::CollectiveError);
  }
  ex::Config bad;
  bad.masters = size + 1;
  if (size >= 2)
    CHECK_THROWS_WITH_AS((ex::Exchanger<ex::ParameterServer, float>(sagips::testing::comm(), bad, 10)),
                         doctest::Contains("leave no worker"), sagips::CollectiveError);
}

TEST_CASE("a non-finite gradient is never sent: start() zeroes it and says so") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  std::vector<float> got[2];
  bool unstaged_path_staged = true;
  for (bool staged : paths) {
    CAPTURE(staged);
    ex::Exchanger<ex::Allreduce, float> e(sagips::testing::comm(), on_path(ex::Config{}, staged), 3);
    exchange_test::check_path(e, staged);
    if (!staged) unstaged_path_staged = e.staged();
    Vector<float> g("g", 3);
    Kokkos::deep_copy(g, 1.0f);
    if (r == size - 1) edit_on_host(g, [](auto h) { h(1) = std::nanf(""); });
    CHECK(e.start(g, 12) == (r != size - 1));
    e.finish();
    // The poisoned rank contributed zeros: no peer received a NaN.
    got[staged] = host_values(g);
    for (float x : got[staged]) {
      CHECK(std::isfinite(x));
      CHECK(x == doctest::Approx(double(size - 1) / size));
    }
  }
  if (same_arithmetic(unstaged_path_staged)) CHECK(same_bits(got[false], got[true]));
}

TEST_CASE("drift is zero for equal copies and measures the spread otherwise") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  std::vector<float> w(10, 1.0f);
  CHECK(ex::drift(sagips::testing::comm(), w.data(), w.size()) == 0.0);
  w[0] += static_cast<float>(r);
  const double d = ex::drift(sagips::testing::comm(), w.data(), w.size());
  if (size == 1) CHECK(d == 0.0);
  else CHECK(d > 0.0);
}

TEST_CASE("watchdog: a rank that skips an exchange" * doctest::skip()) {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  ex::Config c;
  sagips::watchdog::set_timeout(3);
  ex::Exchanger<ex::SyncRing, float> e(sagips::testing::comm(), c, 100);
  Vector<float> g("g", 100);
  if (r != size - 1) e.start(g, 5);  // the last rank never joins step 5
  MPI_Barrier(sagips::testing::comm());
}
