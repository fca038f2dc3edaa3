// Error feedback under real ranks (1 to 5): 50 steps of a constant gradient through a compressed
// exchange sum to 50 times its mean within a bound (docs/exchange.md) that does not grow with the
// steps, the same steps without feedback beyond it; the residuals within their own bound; a
// parameter-server master's sum of compressed pushes likewise. Each runs from host memory and staged
// through a host buffer (layouts.hpp's paths), with the same bits.
// The tests read and write device buffers only through host mirrors (host_views.hpp), so they hold on a GPU.
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sagips/exchange.hpp>
#include <vector>

#include "compression_support.hpp"
#include "host_views.hpp"
#include "mpi_test.hpp"

using namespace compression_test;
using exchange_test::device_vector;
using exchange_test::host_values;
using exchange_test::on_path;
using exchange_test::paths;
using exchange_test::same_arithmetic;
using exchange_test::same_bits;

namespace {

// A constant gradient whose first rounding loses almost half a unit, the same way on every rank and
// element, and whose 16-bit values sum exactly (powers of two apart): without feedback the error is
// the same every step and grows with the steps.
inline double constant_gradient(int r, std::size_t i, ex::Compression c) {
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

// What one path's exchanges left: the sums over the steps with and without feedback, the residual.
struct Sums {
  std::vector<double> with, once;
  std::vector<float> residual;
  bool staged = false;  // the exchanger's path
};

template <class S>
Sums check_feedback_on(const ex::Config& x, std::size_t n, const std::vector<double>& g) {
  const int size = sagips::testing::size();
  const long steps = 50;
  const ex::Compression c = x.compression;
  const bool chunked = n >= x.chunk_threshold;
  const int H = chunked ? size - 1 : 0;
  const std::vector<float> sent(g.begin(), g.end());
  Sums out;
  std::vector<double>& with = out.with;
  std::vector<double>& once = out.once;
  with.assign(n, 0.0);
  once.resize(n);
  {
    ex::Exchanger<S, float> e(sagips::testing::comm(), x, n);
    exchange_test::check_path(e, x.stage_through_host);
    out.staged = e.staged();
    for (long t = 1; t <= steps; ++t) {
      auto buf = device_vector(sent, "g");
      REQUIRE(e.start(buf, t));
      e.finish();
      REQUIRE(static_cast<int>(e.contributors(t).size()) == size);  // the same set every step
      const std::vector<float> got = host_values(buf);
      for (std::size_t i = 0; i < n; ++i) with[i] += got[i];
    }
    // The residuals stay within their bound.
    const auto res = e.residual();
    out.residual = res;
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
    auto buf = device_vector(sent, "g");
    REQUIRE(e.start(buf, 1));
    e.finish();
    const std::vector<float> got = host_values(buf);
    for (std::size_t i = 0; i < n; ++i) once[i] = steps * double(got[i]);
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
  return out;
}

// check_feedback_on on both paths, which must leave the same bits.
template <class S>
void check_feedback(const ex::Config& x, std::size_t n) {
  const int r = sagips::testing::rank();
  std::vector<double> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<float>(constant_gradient(r, i, x.compression));
  Sums sums[2];
  for (bool staged : paths) {
    CAPTURE(staged);
    sums[staged] = check_feedback_on<S>(on_path(x, staged), n, g);
  }
  if (same_arithmetic(sums[false].staged)) {
    CHECK(same_bits(sums[false].with, sums[true].with));
    CHECK(same_bits(sums[false].once, sums[true].once));
    CHECK(same_bits(sums[false].residual, sums[true].residual));
  }
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
      std::vector<double> received[2];  // [staged]
      bool unstaged_path_staged = true;
      for (bool staged : paths) {
        CAPTURE(staged);
        ex::Config x;
        x.compression = c;
        x.sync_every = 1000;  // pushes only: no pulls to wait for
        x.stage_through_host = staged;
        received[staged].assign(n, 0.0);
        std::vector<double> g(n);
        for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<float>(constant_gradient(r, i, c));
        const std::vector<float> sent(g.begin(), g.end());
        // Without feedback: a fresh exchanger (zero residual) for every push.
        const long per_exchanger = feedback ? steps : 1;
        for (long round = 0; round < steps / per_exchanger; ++round) {
          ex::Exchanger<ex::ParameterServer, float> e(sagips::testing::comm(), x, n);
          if (round == 0) exchange_test::check_path(e, staged);
          if (!staged) unstaged_path_staged = e.staged();
          Vector<float> w("w", n);
          if (e.is_server()) {
            e.serve(w, [&](Vector<float>, sagips::ConstVector<float> pushed) {
              const std::vector<float> got = host_values(pushed);
              for (std::size_t i = 0; i < n; ++i) received[staged][i] += got[i];
            });
          } else {
            for (long t = 1; t <= per_exchanger; ++t) {
              auto buf = device_vector(sent, "g");
              REQUIRE(e.start(buf, t));
              e.finish();
              e.after_update(w);
            }
            e.worker_done();
          }
        }
        const auto all_g = gather(g), all_received = gather(received[staged]);
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
      // One worker pushes in a fixed order: the master sums the same bits on both paths.
      if (r == 0 && size == 2 && same_arithmetic(unstaged_path_staged))
        CHECK(same_bits(received[false], received[true]));
    }
  }
}
