// With the stall watchdog off (timeout 0) nothing polls and nothing needs a non-blocking MPI call:
// the watched collectives are MPI's blocking ones, a ring's finish() blocks round after round, and a
// parameter server's master blocks in MPI_Probe. (SimGrid's SMPI needs it, benchmarks/scaling: it has
// no MPI_Comm_idup and charges every failed poll; on real ranks no core spins.) Checked through MPI's
// profiling interface: this executable's own MPI_Ibarrier, MPI_Testall, ... count their calls while a
// case looks, then hand over to the library's PMPI_ entry points. With the watchdog on, the same
// code is seen to take the watched paths, so the counters are known to count.
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <sagips/runtime/comm.hpp>
#include <sagips/runtime/watchdog.hpp>
#include <sagips/exchange/detail/ring.hpp>
#include <sagips/exchange/parameter_server.hpp>
#include <vector>

#include "mpi_test.hpp"

SAGIPS_MPI_TEST_RANKS(2, 4);

namespace {
struct Counts {
  bool on = false;
  long nonblocking = 0;  // MPI_Ibarrier, MPI_Iallreduce, MPI_Ibcast, MPI_Iallgather(v), MPI_Comm_idup
  long polls = 0;        // MPI_Testall, MPI_Iprobe
};
Counts counts;

void nonblocking_call() {
  if (counts.on) ++counts.nonblocking;
}
void poll_call() {
  if (counts.on) ++counts.polls;
}

// Counts while alive, under the given watchdog timeout (restored after).
class Looking {
 public:
  explicit Looking(double timeout) : saved_(sagips::watchdog::timeout()) {
    sagips::watchdog::set_timeout(timeout);
    counts = Counts{};
    counts.on = true;
  }
  ~Looking() {
    counts.on = false;
    sagips::watchdog::set_timeout(saved_);
  }

 private:
  double saved_;
};

MPI_Comm world() { return sagips::testing::comm(); }
}  // namespace

extern "C" {
int MPI_Ibarrier(MPI_Comm comm, MPI_Request* r) {
  nonblocking_call();
  return PMPI_Ibarrier(comm, r);
}
int MPI_Iallreduce(const void* s, void* d, int n, MPI_Datatype t, MPI_Op op, MPI_Comm comm, MPI_Request* r) {
  nonblocking_call();
  return PMPI_Iallreduce(s, d, n, t, op, comm, r);
}
int MPI_Ibcast(void* b, int n, MPI_Datatype t, int root, MPI_Comm comm, MPI_Request* r) {
  nonblocking_call();
  return PMPI_Ibcast(b, n, t, root, comm, r);
}
int MPI_Iallgather(const void* s, int sn, MPI_Datatype st, void* d, int dn, MPI_Datatype dt, MPI_Comm comm,
                   MPI_Request* r) {
  nonblocking_call();
  return PMPI_Iallgather(s, sn, st, d, dn, dt, comm, r);
}
int MPI_Iallgatherv(const void* s, int sn, MPI_Datatype st, void* d, const int dn[], const int displs[],
                    MPI_Datatype dt, MPI_Comm comm, MPI_Request* r) {
  nonblocking_call();
  return PMPI_Iallgatherv(s, sn, st, d, dn, displs, dt, comm, r);
}
int MPI_Comm_idup(MPI_Comm comm, MPI_Comm* out, MPI_Request* r) {
  nonblocking_call();
  return PMPI_Comm_idup(comm, out, r);
}
int MPI_Testall(int n, MPI_Request reqs[], int* flag, MPI_Status st[]) {
  poll_call();
  return PMPI_Testall(n, reqs, flag, st);
}
int MPI_Iprobe(int src, int tag, MPI_Comm comm, int* flag, MPI_Status* st) {
  poll_call();
  return PMPI_Iprobe(src, tag, comm, flag, st);
}
}

namespace {
// Every watched collective once, each result checked.
void every_collective() {
  const int r = sagips::testing::rank(), n = sagips::testing::size();
  sagips::mpi::barrier(world(), "test");
  double x = r + 0.5, sum = 0;
  sagips::mpi::allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, world(), "test");
  CHECK(sum == doctest::Approx(n * (n - 1) / 2.0 + 0.5 * n));
  int v = r == 0 ? 77 : -1;
  sagips::mpi::bcast(&v, 1, MPI_INT, 0, world(), "test");
  CHECK(v == 77);
  std::vector<int> all(static_cast<std::size_t>(n), -1);
  sagips::mpi::allgather(&r, 1, MPI_INT, all.data(), 1, MPI_INT, world(), "test");
  for (int q = 0; q < n; ++q) CHECK(all[static_cast<std::size_t>(q)] == q);
  std::vector<int> ones(static_cast<std::size_t>(n), 1), displs(static_cast<std::size_t>(n));
  for (int q = 0; q < n; ++q) displs[static_cast<std::size_t>(q)] = q;
  all.assign(static_cast<std::size_t>(n), -1);
  sagips::mpi::allgatherv(&r, 1, MPI_INT, all.data(), ones.data(), displs.data(), MPI_INT, world(), "test");
  for (int q = 0; q < n; ++q) CHECK(all[static_cast<std::size_t>(q)] == q);
  const sagips::Comm copy = sagips::Comm::dup(world(), "test");
  CHECK(copy.size() == n);
  const sagips::Comm half = sagips::Comm::split(world(), r % 2, r, "test");
  CHECK(half.size() == (n + 1 - r % 2) / 2);
}

// A ring average of every rank's buffer (value rank + 1 everywhere), its finish() run inside around_finish.
template <class F>
void ring_average(bool chunked, F&& around_finish) {
  const int n = sagips::testing::size();
  const std::size_t len = chunked ? 1000 : 10;
  Kokkos::View<float*, Kokkos::HostSpace> buf("buf", len);
  Kokkos::deep_copy(buf, static_cast<float>(sagips::testing::rank() + 1));
  sagips::exchange::detail::RingAverage<float, Kokkos::HostSpace> ring;
  ring.begin(world(), buf, chunked);
  around_finish([&] { ring.finish("test ring"); });
  for (std::size_t i = 0; i < len; ++i) CHECK(buf(i) == doctest::Approx((n + 1) / 2.0));
}
}  // namespace

TEST_CASE("with the watchdog off, the watched collectives are MPI's blocking ones, with the same results") {
  {
    Looking look(0);
    every_collective();
    CHECK(counts.nonblocking == 0);
    CHECK(counts.polls == 0);
  }
  {
    Looking look(60);
    every_collective();
    CHECK(counts.nonblocking >= 6);  // the watched forms: one non-blocking call each
  }
}

TEST_CASE("with the watchdog off, a ring's finish() blocks in MPI round after round, never polling") {
  for (const bool chunked : {false, true}) {
    CAPTURE(chunked);
    long unwatched = -1, watched = -1;
    ring_average(chunked, [&](auto finish) {
      Looking look(0);
      finish();
      unwatched = counts.polls;
    });
    ring_average(chunked, [&](auto finish) {
      Looking look(60);
      finish();
      watched = counts.polls;
    });
    CHECK(unwatched == 0);
    CHECK(watched >= 1);
  }
}

TEST_CASE("with the watchdog off, a parameter server's master waits for pushes in MPI_Probe") {
  for (const double timeout : {0.0, 60.0}) {
    CAPTURE(timeout);
    sagips::exchange::Config c;
    c.strategy = "parameter-server";
    sagips::exchange::ParameterServer::Impl<float, Kokkos::HostSpace> ps(world(), c, 4);
    Kokkos::View<float*, Kokkos::HostSpace> params("params", 4), grads("grads", 4);
    const int steps = 3, workers = sagips::testing::size() - 1;
    if (ps.is_server()) {
      long polls = -1;
      {
        Looking look(timeout);
        using Host = Kokkos::HostSpace;
        ps.serve(params, [](Kokkos::View<float*, Host> p, Kokkos::View<const float*, Host> g) {
          for (std::size_t i = 0; i < p.extent(0); ++i) p(i) += g(i);
        });
        polls = counts.polls;
      }
      if (timeout == 0)
        CHECK(polls == 0);
      else
        CHECK(polls >= 1);
      for (std::size_t i = 0; i < 4; ++i) CHECK(params(i) == doctest::Approx(steps * workers));
    } else {
      const double saved = sagips::watchdog::timeout();
      sagips::watchdog::set_timeout(timeout);
      for (int s = 1; s <= steps; ++s) {
        Kokkos::deep_copy(grads, 1.0f);
        ps.start(grads, s);
        ps.finish();
        ps.after_update(params);
      }
      ps.worker_done();
      sagips::watchdog::set_timeout(saved);
    }
  }
}
