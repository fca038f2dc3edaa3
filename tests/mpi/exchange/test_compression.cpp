// Wire compression under real ranks (1 to 5): every compressible strategy of the built-in list, and
// one written here with public names only, within the bound docs/exchange.md states of the mean in
// double (MPI_Allgather of the same inputs) with every rank of an averaging set holding the same
// bits; error feedback keeping the sum over 50 steps of a constant gradient within a bound that does
// not grow with the steps (and the same steps without it beyond that bound); the refusals; a
// non-finite gradient and an fp16 overflow caught by the finiteness verdict.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sagips/exchange.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "../../../examples/06_torus/torus.hpp"
#include "mpi_test.hpp"

namespace ex = sagips::exchange;
using sagips::Vector;

namespace {

// A compressible strategy of one's own, written with public names only: every rank's buffer, encoded
// once (its rounding error into the exchanger's residual), gathered to every rank, decoded and
// summed in rank order.
struct GatherAll {
  static constexpr const char* name = "gather-all";
  static constexpr bool device_buffers = true;
  static constexpr bool compressible = true;

  template <class T, class Space>
  class Impl : public ex::NoServer<T, Space> {
    using Codec = ex::Codec<T, Space>;

   public:
    Impl(MPI_Comm comm, const ex::Config& c, std::size_t n)
        : ex::NoServer<T, Space>(comm), comm_(sagips::Comm::dup(comm, "gather-all")), c_(c.compression) {
      wire_ = Kokkos::View<std::uint16_t*, Space>("wire", n);
      all_ = Kokkos::View<std::uint16_t**, Kokkos::LayoutRight, Space>("all", this->size_, n);
    }
    void start(Kokkos::View<T*, Space> grads, std::int64_t) {
      const std::size_t n = grads.extent(0);
      Codec::encode(c_, grads, wire_, this->residual_);
      Kokkos::fence();
      MPI_Allgather(wire_.data(), static_cast<int>(n), Codec::wire_type(), all_.data(), static_cast<int>(n),
                    Codec::wire_type(), comm_);
      Codec::decode_sum_slots(c_, all_, this->size_, grads, T(1) / static_cast<T>(this->size_));
      Kokkos::fence();
      ++this->stats_.exchanges;
    }
    bool test() { return true; }
    void finish() {}

   private:
    sagips::Comm comm_;
    ex::Compression c_;
    Kokkos::View<std::uint16_t*, Space> wire_;
    Kokkos::View<std::uint16_t**, Kokkos::LayoutRight, Space> all_;
  };
};

constexpr ex::Compression formats[] = {ex::Compression::bf16, ex::Compression::fp16};

// Half the spacing of the format's subnormals: the absolute error floor of one rounding.
double eta(ex::Compression c) { return c == ex::Compression::fp16 ? 0x1p-25 : 0x1p-134; }
template <class T>
double unit_roundoff_of() {
  return std::numeric_limits<T>::epsilon() / 2;
}

// docs/exchange.md's bound for one exchange, per element: N contributors, A the sum of the
// magnitudes of what they sent, H the roundings after each rank's own (a chunked ring: N - 1).
template <class T>
double one_exchange_bound(ex::Compression c, int N, int H, double A) {
  const double u = ex::unit_roundoff(c), e = unit_roundoff_of<T>();
  return ((1 + H) * u + (N + 2) * e) * std::pow(1 + 2 * u, N + 1) * A / N + (N + H) * eta(c) / N;
}

// Rank r's gradient at step t, element i: mixed signs, magnitudes from 2^-8 to 2^8 (and, for fp16,
// some in its subnormal range), fractions that do not fit in 16 bits.
double value(int r, long t, std::size_t i, ex::Compression c) {
  const std::uint64_t h = (static_cast<std::uint64_t>(r) * 1000003u + static_cast<std::uint64_t>(t) * 7919u +
                           static_cast<std::uint64_t>(i) * 104729u) * 0x9E3779B97F4A7C15ull;
  const int k = static_cast<int>((h >> 20) % 19);
  double mag = std::ldexp(1.0, k - 9);
  if (c == ex::Compression::fp16 && k == 0) mag = 0x1p-20;  // below fp16's normal range
  const double frac = static_cast<double>((h >> 33) & 0xFFFFFF) / 0x1000000;  // 24 bits
  return ((h >> 60) & 1 ? -1.0 : 1.0) * mag * (1 + frac);
}

// The configurations of the built-in tests that compression allows (the two-sided ones).
std::vector<ex::Config> layouts(int size, ex::Compression c) {
  std::vector<ex::Config> out;
  for (int g = 1; g <= size; ++g) {
    if (size % g != 0) continue;
    for (ex::Mode mode : {ex::Mode::weak, ex::Mode::strong, ex::Mode::leader_broadcast})
      for (std::size_t threshold : {std::size_t(1), std::size_t(1) << 40}) {  // chunked, pass-along
        ex::Config x;
        x.group_size = g;
        x.outer_period = 3;
        x.mode = mode;
        x.chunk_threshold = threshold;
        x.compression = c;
        out.push_back(x);
      }
  }
  return out;
}

// Gathers a vector of n doubles from every rank: all[q * n + i].
std::vector<double> gather(const std::vector<double>& mine) {
  std::vector<double> all(mine.size() * static_cast<std::size_t>(sagips::testing::size()));
  MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), static_cast<int>(mine.size()),
                MPI_DOUBLE, sagips::testing::comm());
  return all;
}

template <class T>
std::vector<double> as_double(const Vector<T>& v) {
  auto h = Kokkos::create_mirror(Kokkos::HostSpace(), v);
  Kokkos::deep_copy(h, v);
  return std::vector<double>(h.data(), h.data() + h.extent(0));
}

template <class S, class T>
void check_within_bound(std::size_t n, ex::Compression c, const ex::Config& x) {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  ex::Exchanger<S, T> e(sagips::testing::comm(), x, n);
  const bool chunked = n >= x.chunk_threshold;
  for (long t = 1; t <= 4; ++t) {
    // What every rank holds before the step: its gradient and its residual.
    std::vector<double> g(n), residual(n, 0.0);
    Vector<T> buf("g", n);
    for (std::size_t i = 0; i < n; ++i) buf(i) = static_cast<T>(g[i] = static_cast<double>(static_cast<T>(value(r, t, i, c))));
    const auto res = e.residual();
    REQUIRE(res.size() == n);
    for (std::size_t i = 0; i < n; ++i) residual[i] = res[i];
    REQUIRE(e.start(buf, t));
    e.test();
    e.finish();
    const std::vector<int> members = e.contributors(t);
    REQUIRE_FALSE(members.empty());
    std::vector<double> mask(1, 0.0);
    for (int q : members) mask[0] += std::ldexp(1.0, q);
    const auto all_g = gather(g), all_e = gather(residual), all_r = gather(as_double(buf)), all_mask = gather(mask);
    const int N = static_cast<int>(members.size());
    const int H = chunked ? N - 1 : 0;
    for (std::size_t i = 0; i < n; ++i) {
      double mean = 0, A = 0, E = 0;
      for (int q : members) {
        const std::size_t k = static_cast<std::size_t>(q) * n + i;
        mean += all_g[k];
        A += std::fabs(all_g[k]) + std::fabs(all_e[k]);
        E += std::fabs(all_e[k]);
      }
      mean /= N;
      // The residual is sent with this step's gradient: its own bound on what was sent, plus it.
      const double bound = one_exchange_bound<T>(c, N, H, A) + E / N;
      const double got = double(buf(i));
      if (!(std::fabs(got - mean) <= bound)) {
        CAPTURE(i);
        CAPTURE(t);
        CAPTURE(got);
        CAPTURE(mean);
        CAPTURE(bound);
        REQUIRE(std::fabs(got - mean) <= bound);
      }
    }
    // Every rank that averages the same ranks holds the same bits.
    for (int q = 0; q < size; ++q)
      if (all_mask[static_cast<std::size_t>(q)] == mask[0])
        for (std::size_t i = 0; i < n; ++i)
          REQUIRE(all_r[static_cast<std::size_t>(q) * n + i] == all_r[static_cast<std::size_t>(r) * n + i]);
  }
}

template <class S, class T>
void check_strategy(std::size_t n) {
  const int size = sagips::testing::size();
  for (ex::Compression c : formats)
    for (const ex::Config& x : layouts(size, c)) {
      // Only AsyncRing reads the groups and modes; the others need the two rings once each.
      if (!std::is_same_v<S, ex::AsyncRing> && (x.group_size != 1 || x.mode != ex::Mode::weak)) continue;
      CAPTURE(S::name);
      CAPTURE(n);
      CAPTURE(x.group_size);
      CAPTURE(ex::to_string(x.mode));
      CAPTURE(x.chunk_threshold);
      CAPTURE(ex::to_string(c));
      check_within_bound<S, T>(n, c, x);
    }
}

template <class... S>
void check_all_compressible(std::tuple<S...>*) {
  const std::size_t ranks = static_cast<std::size_t>(sagips::testing::size());
  auto one = [&](auto* tag) {
    using Strategy = std::remove_pointer_t<decltype(tag)>;
    if constexpr (!ex::Traits<Strategy>::compressible || ex::Traits<Strategy>::has_server) return;  // PS: below
    else
      for (std::size_t n : {std::size_t(1), ranks + 2, 7 * ranks + 3, std::size_t(1000)}) {
        check_strategy<Strategy, float>(n);
        check_strategy<Strategy, double>(n);
      }
  };
  (one(static_cast<S*>(nullptr)), ...);
}

using Listed = std::tuple<ex::Local, ex::Allreduce, ex::Iallreduce, ex::SyncRing, ex::AsyncRing, ex::ParameterServer,
                          ex::Ensemble, examples::Torus2D, GatherAll>;

}  // namespace

TEST_CASE("compressed exchanges stay within the stated bound of the mean in double, the same bits on every rank") {
  check_all_compressible(static_cast<Listed*>(nullptr));
}

namespace {
// A constant gradient whose first rounding loses almost half a unit, the same way on every rank and
// element, and whose 16-bit values sum exactly (powers of two apart): without feedback the error is
// the same every step and grows with the steps.
double constant_gradient(int r, std::size_t i, ex::Compression c) {
  const double ulp1 = c == ex::Compression::fp16 ? 0x1p-10 : 0x1p-7;  // the spacing at 1
  const double f[] = {0.45, 0.4, 0.35, 0.3};
  return (i % 2 ? -1.0 : 1.0) * (1 + f[i % 4] * ulp1) * std::ldexp(1.0, (r + static_cast<int>(i)) % 3);
}

// docs/exchange.md: with a fixed averaging set, |sum_t r_t - sum_t mean_t| <= R / N + T (N + 2) eps
// (A + R) / N (1 + 2u)^(N+1), where R bounds the sum of the N residuals:
// R <= (u (1 + [H > 0] N (1 + 2u)^N) A + 2 N eta) / (1 - u (1 + [H > 0] N (1 + 2u)^N)).
template <class T>
double residual_bound(ex::Compression c, int N, int H, double A) {
  const double u = ex::unit_roundoff(c);
  const double k = u * (1 + (H > 0 ? N * std::pow(1 + 2 * u, N) : 0.0));
  return (k * A + 2 * N * eta(c)) / (1 - k);
}
template <class T>
double feedback_bound(ex::Compression c, int N, int H, double A, long steps) {
  const double u = ex::unit_roundoff(c), R = residual_bound<T>(c, N, H, A);
  return R / N + steps * (N + 2) * unit_roundoff_of<T>() * (A + R) / N * std::pow(1 + 2 * u, N + 1);
}

template <class S>
void check_feedback(const ex::Config& x, std::size_t n) {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const long steps = 50;
  const ex::Compression c = x.compression;
  const bool chunked = n >= x.chunk_threshold;
  const int H = chunked ? size - 1 : 0;
  std::vector<double> g(n), with(n, 0.0), once(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<float>(constant_gradient(r, i, c));
  {
    ex::Exchanger<S, float> e(sagips::testing::comm(), x, n);
    for (long t = 1; t <= steps; ++t) {
      Vector<float> buf("g", n);
      for (std::size_t i = 0; i < n; ++i) buf(i) = static_cast<float>(g[i]);
      REQUIRE(e.start(buf, t));
      e.finish();
      REQUIRE(static_cast<int>(e.contributors(t).size()) == size);  // the same set every step
      for (std::size_t i = 0; i < n; ++i) with[i] += buf(i);
    }
    // The residuals stay within their bound.
    const auto res = e.residual();
    std::vector<double> mine(res.begin(), res.end());
    const auto all_res = gather(mine), all_g = gather(g);
    for (std::size_t i = 0; i < n; ++i) {
      double A = 0, R = 0;
      for (int q = 0; q < size; ++q) {
        A += std::fabs(all_g[static_cast<std::size_t>(q) * n + i]);
        R += std::fabs(all_res[static_cast<std::size_t>(q) * n + i]);
      }
      REQUIRE(R <= residual_bound<float>(c, size, H, A));
    }
  }
  {  // Without feedback: every step starts from a zero residual, so each gives the first step's result.
    ex::Exchanger<S, float> e(sagips::testing::comm(), x, n);
    Vector<float> buf("g", n);
    for (std::size_t i = 0; i < n; ++i) buf(i) = static_cast<float>(g[i]);
    REQUIRE(e.start(buf, 1));
    e.finish();
    for (std::size_t i = 0; i < n; ++i) once[i] = steps * double(buf(i));
  }
  const auto all_g = gather(g);
  double worst_without = 0;  // how far beyond its bound the sum without feedback gets, at most
  for (std::size_t i = 0; i < n; ++i) {
    double mean = 0, A = 0;
    for (int q = 0; q < size; ++q) {
      mean += all_g[static_cast<std::size_t>(q) * n + i];
      A += std::fabs(all_g[static_cast<std::size_t>(q) * n + i]);
    }
    mean /= size;
    const double bound = feedback_bound<float>(c, size, H, A, steps);
    CAPTURE(i);
    CAPTURE(bound);
    CAPTURE(with[i]);
    CAPTURE(steps * mean);
    REQUIRE(std::fabs(with[i] - steps * mean) <= bound);
    worst_without = std::max(worst_without, std::fabs(once[i] - steps * mean) / bound);
  }
  CHECK(worst_without > 1.0);  // the residual carried is what keeps the sum within the bound
}
}  // namespace

TEST_CASE("error feedback: 50 steps of a constant gradient sum to 50 times its mean within a bound that does not grow") {
  const int size = sagips::testing::size();
  for (ex::Compression c : formats)
    for (std::size_t threshold : {std::size_t(1), std::size_t(1) << 40}) {
      CAPTURE(ex::to_string(c));
      CAPTURE(threshold);
      ex::Config x;
      x.compression = c;
      x.chunk_threshold = threshold;
      x.group_size = size;  // AsyncRing: every step averages all ranks
      x.mode = ex::Mode::strong;
      for (std::size_t n : {std::size_t(7), std::size_t(64)}) {
        CAPTURE(n);
        check_feedback<ex::SyncRing>(x, n);
        check_feedback<ex::AsyncRing>(x, n);
        if (threshold > 1) check_feedback<GatherAll>(x, n);
      }
    }
}

TEST_CASE("error feedback: a parameter-server master's sum of compressed pushes stays within the residual bound") {
  const int size = sagips::testing::size();
  if (size < 2) return;
  const int r = sagips::testing::rank();
  const std::size_t n = 16;
  const long steps = 50;
  for (ex::Compression c : formats) {
    CAPTURE(ex::to_string(c));
    for (bool feedback : {true, false}) {
      ex::Config x;
      x.compression = c;
      x.sync_every = 1000;  // pushes only: no pulls to wait for
      std::vector<double> received(n, 0.0);
      std::vector<double> g(n);
      for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<float>(constant_gradient(r, i, c));
      // Without feedback: a fresh exchanger (zero residual) for every push.
      const long per_exchanger = feedback ? steps : 1;
      for (long round = 0; round < steps / per_exchanger; ++round) {
        ex::Exchanger<ex::ParameterServer, float> e(sagips::testing::comm(), x, n);
        Vector<float> w("w", n);
        if (e.is_server()) {
          e.serve(w, [&](Vector<float>, sagips::ConstVector<float> pushed) {
            for (std::size_t i = 0; i < n; ++i) received[i] += pushed(i);
          });
        } else {
          for (long t = 1; t <= per_exchanger; ++t) {
            Vector<float> buf("g", n);
            for (std::size_t i = 0; i < n; ++i) buf(i) = static_cast<float>(g[i]);
            REQUIRE(e.start(buf, t));
            e.finish();
            e.after_update(w);
          }
          e.worker_done();
        }
      }
      const auto all_g = gather(g), all_received = gather(received);
      if (r != 0) continue;
      double worst = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double expected = 0, A = 0;
        for (int q = 1; q < size; ++q) {  // the workers
          expected += steps * all_g[static_cast<std::size_t>(q) * n + i];
          A += std::fabs(all_g[static_cast<std::size_t>(q) * n + i]);
        }
        // One rounding per push, no hops: the workers' residuals, summed, plus float's roundings of g + e.
        const double bound = residual_bound<float>(c, size - 1, 0, A) + steps * 2 * unit_roundoff_of<float>() * A;
        const double error = std::fabs(all_received[i] - expected);
        if (feedback) REQUIRE(error <= bound);
        worst = std::max(worst, error / bound);
      }
      if (!feedback) CHECK(worst > 1.0);
    }
  }
}

TEST_CASE("compression is refused on every rank where the traffic is not sagips's own two-sided messages") {
  const int size = sagips::testing::size();
  ex::Config x;
  x.compression = ex::Compression::bf16;
  x.group_size = 1;
  for (const char* name : {"local", "allreduce", "iallreduce", "ensemble"}) {
    CAPTURE(name);
    x.strategy = name;
    const std::string expected = std::string("--compression bf16 is refused by --strategy ") + name;
    CHECK_THROWS_WITH_AS((ex::Exchanger<ex::Builtin, float>(sagips::testing::comm(), x, 10)),
                         doctest::Contains(expected.c_str()), sagips::CollectiveError);
    CHECK_THROWS_WITH_AS((ex::Exchanger<ex::Builtin, float>(sagips::testing::comm(), x, 10)),
                         doctest::Contains("the strategies that compress: sync-ring, async-ring, parameter-server"),
                         sagips::CollectiveError);
  }
  x.compression = ex::Compression::fp16;
  CHECK_THROWS_WITH_AS((ex::Exchanger<examples::Torus2D, float>(sagips::testing::comm(), x, 10)),
                       doctest::Contains("--compression fp16 is refused by --strategy torus-2d"), sagips::CollectiveError);
  x.rma = true;
  CHECK_THROWS_WITH_AS((ex::Exchanger<ex::AsyncRing, float>(sagips::testing::comm(), x, 10)),
                       doctest::Contains("--compression fp16 is refused with --rma"), sagips::CollectiveError);
  x.rma = false;
  if (size >= 2) {
    x.algorithm = ex::PsAlgorithm::easgd;
    CHECK_THROWS_WITH_AS((ex::Exchanger<ex::ParameterServer, float>(sagips::testing::comm(), x, 10)),
                         doctest::Contains("--compression fp16 is refused with --ps-algorithm easgd"),
                         sagips::CollectiveError);
  }
  // The trait, as the exchanger reads it.
  CHECK(ex::Traits<ex::SyncRing>::compressible);
  CHECK(ex::Traits<ex::AsyncRing>::compressible);
  CHECK(ex::Traits<ex::ParameterServer>::compressible);
  CHECK_FALSE(ex::Traits<ex::Allreduce>::compressible);
  CHECK_FALSE(ex::Traits<examples::Torus2D>::compressible);  // the public default
}

TEST_CASE("compressed: a non-finite gradient and one beyond fp16's range are refused by start(), the residual kept") {
  const int r = sagips::testing::rank(), size = sagips::testing::size();
  const std::size_t n = 5;
  for (ex::Compression c : formats)
    for (int kind = 0; kind < 3; ++kind) {  // NaN, Inf, beyond fp16's range for this many ranks
      if (kind == 2 && c != ex::Compression::fp16) continue;
      CAPTURE(ex::to_string(c));
      CAPTURE(kind);
      ex::Config x;
      x.compression = c;
      ex::Exchanger<ex::SyncRing, float> e(sagips::testing::comm(), x, n);
      Vector<float> g("g", n);
      Kokkos::deep_copy(g, 1.001f);
      REQUIRE(e.start(g, 1));  // a first step leaves a residual
      e.finish();
      const auto before = e.residual();
      Kokkos::deep_copy(g, 1.001f);
      const bool bad = r == size - 1;
      if (bad) g(2) = kind == 0 ? std::nanf("") : (kind == 1 ? std::numeric_limits<float>::infinity()
                                                             : 65504.0f / static_cast<float>(size) * 1.01f);
      CHECK(e.start(g, 2) == !bad);
      e.finish();
      for (std::size_t i = 0; i < n; ++i) CHECK(std::isfinite(g(i)));  // nothing poisoned was sent
      if (bad) CHECK(e.residual() == before);
    }
  // Just inside the range is fine.
  ex::Config x;
  x.compression = ex::Compression::fp16;
  ex::Exchanger<ex::SyncRing, float> e(sagips::testing::comm(), x, 1);
  Vector<float> g("g", 1);
  g(0) = 65504.0f / static_cast<float>(size) * 0.99f;
  CHECK(e.start(g, 1));
  e.finish();
  CHECK(std::isfinite(g(0)));
}

TEST_CASE("compressed messages carry half the bytes") {
  const std::size_t n = 1000;
  for (std::size_t threshold : {std::size_t(1), std::size_t(1) << 40}) {
    ex::Config x;
    x.chunk_threshold = threshold;
    ex::Exchanger<ex::SyncRing, float> plain(sagips::testing::comm(), x, n);
    x.compression = ex::Compression::bf16;
    ex::Exchanger<ex::SyncRing, float> half(sagips::testing::comm(), x, n);
    Vector<float> g("g", n);
    Kokkos::deep_copy(g, 1.0f);
    plain.start(g, 1);
    plain.finish();
    Kokkos::deep_copy(g, 1.0f);
    half.start(g, 1);
    half.finish();
    CHECK(half.stats().bytes_sent == doctest::Approx(plain.stats().bytes_sent / 2));
  }
}
