// The parameter server under real ranks: Downpour with one worker and sync_every = 1 is plain SGD on
// the server's weights; with several workers each push's staleness is tracked, and EASGD's elastic
// update follows its rule. Both paths (device buffers, and staged through host memory) give the same
// bits. The averaging strategies are checked in test_exchange.cpp.
#include <mpi.h>

#include <sagips/exchange.hpp>
#include <vector>

#include "host_views.hpp"
#include "layouts.hpp"
#include "mpi_test.hpp"

namespace ex = sagips::exchange;
using exchange_test::device_vector;
using exchange_test::edit_on_host;
using exchange_test::host_values;
using exchange_test::paths;
using exchange_test::same_arithmetic;
using exchange_test::same_bits;
using sagips::Vector;

TEST_CASE("parameter server: Downpour with sync_every = 1 on one worker equals plain SGD") {
  if (sagips::testing::size() != 2) return;
  const int r = sagips::testing::rank();
  const std::size_t n = 4;
  const double lr = 0.1;
  const std::vector<double> target = {1.0, -2.0, 0.5, 3.0};
  const int steps = 25;
  std::vector<double> sgd(n, 0.0);
  for (int t = 1; t <= steps; ++t)
    for (std::size_t i = 0; i < n; ++i) sgd[i] -= lr * (sgd[i] - target[i]);
  std::vector<double> trained[2];  // the worker's weights, [staged]
  bool unstaged_path_staged = true;
  for (bool staged : paths) {
    CAPTURE(staged);
    ex::Config c;
    c.stage_through_host = staged;
    ex::Exchanger<ex::ParameterServer, double> e(sagips::testing::comm(), c, n);
    exchange_test::check_path(e, staged);
    if (!staged) unstaged_path_staged = e.staged();
    CHECK(e.is_server() == (r == 0));
    Vector<double> w("w", n);
    if (e.is_server()) {
      e.serve(w, [&](Vector<double> p, sagips::ConstVector<double> g) {
        const std::vector<double> pushed = host_values(g);
        edit_on_host(p, [&](auto h) {
          for (std::size_t i = 0; i < n; ++i) h(i) -= lr * pushed[i];
        });
      });
      CHECK(e.stats().stale_updates == steps);
      CHECK(e.stats().staleness_max == 0);
    } else {
      for (int t = 1; t <= steps; ++t) {
        std::vector<double> grad = host_values(w);
        for (std::size_t i = 0; i < n; ++i) grad[i] -= target[i];  // gradient of 0.5 |w - target|^2
        auto g = device_vector(grad, "g");
        e.start(g, t);
        e.finish();
        const std::vector<double> exchanged = host_values(g);
        edit_on_host(w, [&](auto h) {  // the worker's own step: replaced by the pull
          for (std::size_t i = 0; i < n; ++i) h(i) -= 0.5 * exchanged[i];
        });
        e.after_update(w);
      }
      e.worker_done();
      trained[staged] = host_values(w);
      // Equal to rounding (the compiler may contract the two updates into FMAs differently).
      for (std::size_t i = 0; i < n; ++i) CHECK(trained[staged][i] == doctest::Approx(sgd[i]).epsilon(1e-14));
    }
  }
  if (r != 0 && same_arithmetic(unstaged_path_staged)) CHECK(same_bits(trained[false], trained[true]));
}

TEST_CASE("parameter server: several workers, staleness tracked; EASGD follows its update rule") {
  const int size = sagips::testing::size();
  if (size < 2) return;
  const int r = sagips::testing::rank();
  const std::size_t n = 3;
  for (bool staged : paths) {
    CAPTURE(staged);
    ex::Config c;
    c.sync_every = 2;
    c.stage_through_host = staged;
    ex::Exchanger<ex::ParameterServer, float> e(sagips::testing::comm(), c, n);
    exchange_test::check_path(e, staged);
    Vector<float> w("w", n);
    if (e.is_server()) {
      long applied = 0;
      e.serve(w, [&](Vector<float> p, sagips::ConstVector<float> g) {
        ++applied;
        const std::vector<float> pushed = host_values(g);
        edit_on_host(p, [&](auto h) {
          for (std::size_t i = 0; i < n; ++i) h(i) -= 0.01f * pushed[i];
        });
      });
      CHECK(applied == 6L * (size - 1));
      if (size > 2) CHECK(e.stats().staleness_sum > 0);  // several workers: updates were stale
    } else {
      for (int t = 1; t <= 6; ++t) {
        Vector<float> g("g", n);
        Kokkos::deep_copy(g, 1.0f);
        e.start(g, t);
        e.test();
        e.finish();
        e.after_update(w);
      }
      e.worker_done();
    }
  }
  if (size == 2)  // EASGD: one elastic step by hand
    for (bool staged : paths) {
      CAPTURE(staged);
      ex::Config c;
      c.algorithm = ex::PsAlgorithm::easgd;
      c.easgd_alpha = 0.5;
      c.stage_through_host = staged;
      ex::Exchanger<ex::ParameterServer, double> e(sagips::testing::comm(), c, 1);
      exchange_test::check_path(e, staged);
      Vector<double> w("w", 1);
      Kokkos::deep_copy(w, r == 0 ? 2.0 : 10.0);
      if (e.is_server()) {
        e.serve(w, [](Vector<double>, sagips::ConstVector<double>) {});
        CHECK(host_values(w)[0] == 6.0);  // W_c - alpha (W_c - W_w) = 2 - 0.5 (2 - 10)
      } else {
        Vector<double> g("g", 1);
        e.start(g, 1);
        e.finish();
        e.after_update(w);
        CHECK(host_values(w)[0] == 6.0);  // W_w - alpha (W_w - W_c) = 10 - 0.5 (10 - 2)
        e.worker_done();
      }
    }
}
