// Gradient exchanges under real ranks (1 to 5, powers of two or not): every averaging strategy
// against MPI_Allreduce, the grouped schedules against a one-process simulation of the same schedule,
// RMA against the two-sided ring, the parameter server against plain SGD, and the refusals.
#include <mpi.h>

#include <cmath>
#include <sagips/exchange.hpp>
#include <vector>

#include "mpi_test.hpp"

namespace ex = sagips::exchange;

SAGIPS_MPI_TEST_RANKS(1, 5);

namespace {

// Rank r's gradient at step t, element i: integer-valued, so every sum is exact in any order.
double value(int r, long t, std::size_t i) { return double((r * 7 + t * 3 + static_cast<long>(i % 13)) % 17) - 8.0; }

template <class T>
std::vector<T> gradient(int r, long t, std::size_t n) {
  std::vector<T> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<T>(value(r, t, i));
  return g;
}

template <class Tag, class T>
void check_against_allreduce(const ex::Config& c, std::size_t n, double tol) {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  ex::Exchanger<Tag, T> e(sagips::testing::comm(), c, n);
  std::vector<T> mine(n);
  for (std::size_t i = 0; i < n; ++i) mine[i] = static_cast<T>(std::sin(0.37 * i + r) + 0.01 * r);
  std::vector<T> oracle(mine);
  MPI_Allreduce(MPI_IN_PLACE, oracle.data(), static_cast<int>(n), ex::detail::mpi_type<T>(), MPI_SUM,
                sagips::testing::comm());
  for (auto& v : oracle) v /= static_cast<T>(size);
  e.start(mine.data(), nullptr, 1);
  e.test();
  e.finish();
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(double(mine[i]) - double(oracle[i])));
  CHECK(worst <= tol);
}

std::vector<std::size_t> sizes() {
  const std::size_t n = static_cast<std::size_t>(sagips::testing::size());
  return {0, 1, n > 1 ? n - 1 : 1, 7 * n + 3, 1000000};
}

}  // namespace

TEST_CASE("every averaging strategy matches MPI_Allreduce to rounding") {
  const int size = sagips::testing::size();
  for (std::size_t n : sizes()) {
    CAPTURE(n);
    for (std::size_t threshold : {std::size_t(1), std::size_t(1) << 40}) {  // chunked ring, pass-along ring
      CAPTURE(threshold);
      ex::Config c;
      c.chunk_threshold = threshold;
      check_against_allreduce<ex::Allreduce, float>(c, n, 1e-6);
      check_against_allreduce<ex::Iallreduce, double>(c, n, 1e-14);
      check_against_allreduce<ex::SyncRing, float>(c, n, 1e-6);
      check_against_allreduce<ex::SyncRing, double>(c, n, 1e-14);
      c.group_size = size;  // one group: the inner ring is the whole average (step 1 is an inner step)
      check_against_allreduce<ex::AsyncRing, double>(c, n, 1e-14);
      check_against_allreduce<ex::Ensemble, double>(c, n, 1e-14);
      c.group_size = 1;
      c.mode = ex::Mode::strong;
      c.outer_period = 1;  // every step an outer step over all ranks
      check_against_allreduce<ex::AsyncRing, float>(c, n, 1e-6);
    }
  }
}

TEST_CASE("the grouped schedules match a one-process simulation of the same schedule, exactly") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const std::size_t n = 37;
  for (int g = 1; g <= size; ++g) {
    if (size % g != 0) continue;
    for (ex::Mode mode : {ex::Mode::weak, ex::Mode::strong, ex::Mode::leader_broadcast}) {
      for (bool rma : {false, true}) {
        CAPTURE(g);
        CAPTURE(ex::to_string(mode));
        CAPTURE(rma);
        ex::Config c;
        c.group_size = g;
        c.outer_period = 3;
        c.mode = mode;
        c.rma = rma;
        ex::Exchanger<ex::AsyncRing, double> e(sagips::testing::comm(), c, n);
        for (long t = 1; t <= 7; ++t) {
          auto grad = gradient<double>(r, t, n);
          e.start(grad.data(), nullptr, t);
          e.test();
          e.finish();
          // The simulation: which ranks' gradients this rank averages at step t.
          const int group = r / g, leader = group * g;
          std::vector<int> members;
          if (t % 3 != 0) {
            for (int q = leader; q < leader + g; ++q) members.push_back(q);
          } else if (mode == ex::Mode::strong) {
            for (int q = 0; q < size; ++q) members.push_back(q);
          } else if (r == leader || mode == ex::Mode::leader_broadcast) {
            for (int q = 0; q < size; q += g) members.push_back(q);
          } else {
            members.push_back(r);
          }
          for (std::size_t i = 0; i < n; ++i) {
            double s = 0;
            for (int q : members) s += value(q, t, i);
            REQUIRE(grad[i] == doctest::Approx(s / static_cast<double>(members.size())).epsilon(1e-15));
          }
        }
      }
    }
  }
}

TEST_CASE("RMA averages like the two-sided ring; its guard skips a non-finite read") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const std::size_t n = 1001;
  ex::Config c;
  c.group_size = size;
  c.rma = true;
  ex::Exchanger<ex::AsyncRing, float> one_sided(sagips::testing::comm(), c, n);
  c.rma = false;
  ex::Exchanger<ex::AsyncRing, float> two_sided(sagips::testing::comm(), c, n);
  std::vector<float> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] = std::cos(0.1f * i) * (r + 1);
  one_sided.start(a.data(), nullptr, 1);
  one_sided.finish();
  two_sided.start(b.data(), nullptr, 1);
  two_sided.finish();
  for (std::size_t i = 0; i < n; ++i) REQUIRE(a[i] == doctest::Approx(b[i]).epsilon(1e-6).scale(1e-6));
  CHECK(one_sided.stats().nonfinite_reads == 0);
}

TEST_CASE("Ensemble groups never talk to each other") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  if (size % 2 != 0 && size != 1) return;  // groups of 2 need an even rank count
  ex::Config c;
  c.group_size = size == 1 ? 1 : 2;
  ex::Exchanger<ex::Ensemble, double> e(sagips::testing::comm(), c, 5);
  std::vector<double> g(5, double(r));
  e.start(g.data(), nullptr, 1);
  e.finish();
  const int first = (r / c.group_size) * c.group_size;
  const double expected = c.group_size == 1 ? r : (first + first + 1) / 2.0;
  for (double v : g) CHECK(v == expected);
  int sync_size = 0;
  MPI_Comm_size(e.sync_comm(), &sync_size);
  CHECK(sync_size == c.group_size);
}

TEST_CASE("parameter server: Downpour with sync_every = 1 on one worker equals plain SGD") {
  if (sagips::testing::size() != 2) return;
  const int r = sagips::testing::rank();
  const std::size_t n = 4;
  const double lr = 0.1;
  const std::vector<double> target = {1.0, -2.0, 0.5, 3.0};
  ex::Config c;
  ex::Exchanger<ex::ParameterServer, double> e(sagips::testing::comm(), c, n);
  CHECK(e.is_server() == (r == 0));
  std::vector<double> w(n, 0.0);
  const int steps = 25;
  if (e.is_server()) {
    e.serve(w.data(), [&](double* p, const double* g) {
      for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
    });
    CHECK(e.stats().stale_updates == steps);
    CHECK(e.stats().staleness_max == 0);
  } else {
    for (int t = 1; t <= steps; ++t) {
      std::vector<double> g(n);
      for (std::size_t i = 0; i < n; ++i) g[i] = w[i] - target[i];  // gradient of 0.5 |w - target|^2
      e.start(g.data(), w.data(), t);
      e.finish();
      for (std::size_t i = 0; i < n; ++i) w[i] -= 0.5 * g[i];  // the worker's own step: replaced by the pull
      e.after_update(w.data());
    }
    e.worker_done();
    std::vector<double> sgd(n, 0.0);
    for (int t = 1; t <= steps; ++t)
      for (std::size_t i = 0; i < n; ++i) sgd[i] -= lr * (sgd[i] - target[i]);
    // Equal to rounding (the compiler may contract the two updates into FMAs differently).
    for (std::size_t i = 0; i < n; ++i) CHECK(w[i] == doctest::Approx(sgd[i]).epsilon(1e-14));
  }
}

TEST_CASE("parameter server: several workers, staleness tracked; EASGD follows its update rule") {
  const int size = sagips::testing::size();
  if (size < 2) return;
  const int r = sagips::testing::rank();
  const std::size_t n = 3;
  {
    ex::Config c;
    c.sync_every = 2;
    ex::Exchanger<ex::ParameterServer, float> e(sagips::testing::comm(), c, n);
    std::vector<float> w(n, 0.0f);
    if (e.is_server()) {
      long applied = 0;
      e.serve(w.data(), [&](float* p, const float* g) {
        ++applied;
        for (std::size_t i = 0; i < n; ++i) p[i] -= 0.01f * g[i];
      });
      CHECK(applied == 6L * (size - 1));
      if (size > 2) CHECK(e.stats().staleness_sum > 0);  // several workers: updates were stale
    } else {
      for (int t = 1; t <= 6; ++t) {
        std::vector<float> g(n, 1.0f);
        e.start(g.data(), w.data(), t);
        e.test();
        e.finish();
        e.after_update(w.data());
      }
      e.worker_done();
    }
  }
  if (size == 2) {  // EASGD: one elastic step by hand
    ex::Config c;
    c.algorithm = ex::PsAlgorithm::easgd;
    c.easgd_alpha = 0.5;
    ex::Exchanger<ex::ParameterServer, double> e(sagips::testing::comm(), c, 1);
    std::vector<double> w(1, r == 0 ? 2.0 : 10.0);
    if (e.is_server()) {
      e.serve(w.data(), [](double*, const double*) {});
      CHECK(w[0] == 6.0);  // W_c - alpha (W_c - W_w) = 2 - 0.5 (2 - 10)
    } else {
      std::vector<double> g(1, 0.0);
      e.start(g.data(), w.data(), 1);
      e.finish();
      e.after_update(w.data());
      CHECK(w[0] == 6.0);  // W_w - alpha (W_w - W_c) = 10 - 0.5 (10 - 2)
      e.worker_done();
    }
  }
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

TEST_CASE("a non-finite gradient is refused before it is sent, naming the rank") {
  const int r = sagips::testing::rank();
  ex::Exchanger<ex::Local, float> e(sagips::testing::comm(), ex::Config{}, 3);
  std::vector<float> g = {1.0f, std::nanf(""), 2.0f};
  CHECK_THROWS_WITH_AS(e.start(g.data(), nullptr, 12), doctest::Contains(("rank " + std::to_string(r) +
                                                                           ": non-finite generator gradient at step 12 (element 1").c_str()),
                       sagips::Error);
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
  c.timeout_seconds = 3;
  ex::Exchanger<ex::SyncRing, float> e(sagips::testing::comm(), c, 100);
  std::vector<float> g(100, 1.0f);
  if (r != size - 1) e.start(g.data(), nullptr, 5);  // the last rank never joins step 5
  MPI_Barrier(sagips::testing::comm());
}
