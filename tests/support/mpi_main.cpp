// The shared main of the MPI test executables: MPI, then Kokkos, then doctest on every rank.
//
// Two watchdogs turn a deadlock into a failure:
//  - after each test case the ranks meet at a watched barrier (an MPI_Ibarrier on a private
//    communicator, each rank also telling every other rank that it has arrived). A rank that waits
//    longer than SAGIPS_TEST_ARRIVAL_TIMEOUT seconds names the ranks that did not arrive and aborts
//    the job (exit 124);
//  - a thread that never calls MPI aborts a rank whose test body has run longer than
//    SAGIPS_TEST_BODY_TIMEOUT seconds (the case where no rank reaches the barrier).
// Rank 0 prints doctest's output as it goes; the other ranks keep theirs and hand it to rank 0
// at the end if they failed. Any failing rank fails the run on every rank.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sagips/runtime/environment.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mpi_test.hpp"

namespace sagips::testing {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double env_seconds(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const double x = std::strtod(v, &end);
  return (end && *end == '\0' && x > 0) ? x : fallback;
}

struct Harness {
  MPI_Comm comm = MPI_COMM_NULL;  // private duplicate: the arrival messages never meet a test's
  int rank = 0;
  int size = 1;
  double arrival_timeout = 120;
  double body_timeout = 1200;
  int range_lo = 1;
  int range_hi = 1 << 30;
  std::ostringstream log;  // doctest output of ranks other than 0

  std::mutex mutex;  // guards the two strings below (the watchdog thread reads them)
  std::string test_name;
  std::string last_checkpoint;
  std::atomic<double> body_started{-1.0};
  std::atomic<bool> stop{false};
};

Harness& harness() {
  static Harness h;
  return h;
}

void dump_log_to_stderr() {
  Harness& h = harness();
  const std::string text = h.log.str();
  if (!text.empty()) std::fprintf(stderr, "---- output of rank %d ----\n%s\n", h.rank, text.c_str());
}

// The watched barrier after each test case.
void arrive(const std::string& test_name) {
  Harness& h = harness();
  // A fast rank may finish the next test and send its notices before this rank has seen this
  // barrier complete, but it cannot get two tests ahead: alternating tags keep the rounds apart.
  static int round = 0;
  const int tag = 7700 + (round++ & 1);
  int token = 1;
  std::vector<MPI_Request> sends;
  for (int q = 0; q < h.size; ++q) {
    if (q == h.rank) continue;
    sends.emplace_back();
    MPI_Isend(&token, 1, MPI_INT, q, tag, h.comm, &sends.back());
  }
  MPI_Request barrier;
  MPI_Ibarrier(h.comm, &barrier);

  std::vector<char> arrived(static_cast<std::size_t>(h.size), 0);
  arrived[static_cast<std::size_t>(h.rank)] = 1;
  int received = 0;
  auto drain = [&] {
    for (;;) {
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, tag, h.comm, &flag, &status);
      if (!flag) return;
      int v = 0;
      MPI_Recv(&v, 1, MPI_INT, status.MPI_SOURCE, tag, h.comm, MPI_STATUS_IGNORE);
      arrived[static_cast<std::size_t>(status.MPI_SOURCE)] = 1;
      ++received;
    }
  };
  const double t0 = now();
  for (;;) {
    int done = 0;
    MPI_Test(&barrier, &done, MPI_STATUS_IGNORE);
    drain();
    if (done) break;
    if (now() - t0 > h.arrival_timeout) {
      std::string missing, present;
      int first_present = -1;
      for (int q = 0; q < h.size; ++q) {
        std::string& list = arrived[static_cast<std::size_t>(q)] ? present : missing;
        list += (list.empty() ? "" : ",") + std::to_string(q);
        if (arrived[static_cast<std::size_t>(q)] && first_present < 0) first_present = q;
      }
      if (h.rank == first_present) {
        std::fprintf(stderr,
                     "[watchdog] test '%s': rank(s) %s did not arrive at the end-of-test barrier "
                     "within %.0f s (arrived: %s); aborting\n",
                     test_name.c_str(), missing.c_str(), h.arrival_timeout, present.c_str());
      }
      dump_log_to_stderr();
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 124);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Every rank posted its notices before entering the barrier: collect the ones still in flight.
  while (received < h.size - 1) {
    MPI_Status status;
    int v = 0;
    MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, tag, h.comm, &status);
    ++received;
  }
  MPI_Waitall(static_cast<int>(sends.size()), sends.data(), MPI_STATUSES_IGNORE);
}

void body_watchdog() {
  Harness& h = harness();
  while (!h.stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double started = h.body_started.load();
    if (started < 0 || now() - started <= h.body_timeout) continue;
    std::string name, where;
    {
      std::lock_guard<std::mutex> lock(h.mutex);
      name = h.test_name;
      where = h.last_checkpoint;
    }
    std::fprintf(stderr,
                 "[watchdog] rank %d: test '%s' still running after %.0f s (last checkpoint: %s); "
                 "aborting\n",
                 h.rank, name.c_str(), h.body_timeout, where.empty() ? "none" : where.c_str());
    dump_log_to_stderr();
    std::fflush(stderr);
    std::_Exit(124);  // mpirun then takes the other ranks down
  }
}

struct MpiListener : doctest::IReporter {
  explicit MpiListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    Harness& h = harness();
    {
      std::lock_guard<std::mutex> lock(h.mutex);
      h.test_name = tc.m_name;
      h.last_checkpoint.clear();
    }
    h.body_started.store(now());
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    Harness& h = harness();
    h.body_started.store(-1.0);
    std::string name;
    {
      std::lock_guard<std::mutex> lock(h.mutex);
      name = h.test_name;
    }
    arrive(name);
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

MPI_Comm comm() { return MPI_COMM_WORLD; }
int rank() { return harness().rank; }
int size() { return harness().size; }

void checkpoint(const char* where) {
  Harness& h = harness();
  std::lock_guard<std::mutex> lock(h.mutex);
  h.last_checkpoint = where;
}

RankRange::RankRange(int lo, int hi) {
  harness().range_lo = lo;
  harness().range_hi = hi;
}

}  // namespace sagips::testing

REGISTER_LISTENER("sagips-mpi", 1, sagips::testing::MpiListener);

int main(int argc, char** argv) {
  using sagips::testing::harness;
  sagips::Environment env(argc, argv);  // FUNNELED: the watchdog thread never calls MPI
  auto& h = harness();
  h.rank = env.rank();
  h.size = env.size();
  h.arrival_timeout = sagips::testing::env_seconds("SAGIPS_TEST_ARRIVAL_TIMEOUT", h.arrival_timeout);
  h.body_timeout = sagips::testing::env_seconds("SAGIPS_TEST_BODY_TIMEOUT", h.body_timeout);

  if (h.size < h.range_lo || h.size > h.range_hi) {
    if (h.rank == 0)
      std::fprintf(stderr,
                   "%s: this MPI test runs on %d to %d ranks; it was started on %d "
                   "(use mpirun -np N with N in that range)\n",
                   argv[0], h.range_lo, h.range_hi, h.size);
    return 2;
  }
  MPI_Comm_dup(MPI_COMM_WORLD, &h.comm);

  doctest::Context context;
  context.applyCommandLine(argc, argv);
  if (h.rank != 0) context.setCout(&h.log);
  std::thread watchdog(sagips::testing::body_watchdog);
  const int rc = context.run();
  h.stop.store(true);
  watchdog.join();
  if (context.shouldExit()) {
    MPI_Comm_free(&h.comm);
    return rc;
  }

  // Rank 0 prints the output of every other rank that failed, then the verdict.
  const int failed = rc != 0 ? 1 : 0;
  std::string mine = failed && h.rank != 0 ? h.log.str() : std::string();
  int len = static_cast<int>(mine.size());
  std::vector<int> failures(static_cast<std::size_t>(h.size)), lens(static_cast<std::size_t>(h.size)),
      displs(static_cast<std::size_t>(h.size));
  MPI_Gather(&failed, 1, MPI_INT, failures.data(), 1, MPI_INT, 0, h.comm);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, h.comm);
  int total = 0;
  for (int r = 0; r < h.size; ++r) {
    displs[static_cast<std::size_t>(r)] = total;
    total += lens[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(h.rank == 0 ? total : 0), '\0');
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, h.comm);
  int any_failed = 0;
  MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, h.comm);
  if (h.rank == 0) {
    std::string failed_ranks;
    for (int r = 0; r < h.size; ++r) {
      if (!failures[static_cast<std::size_t>(r)]) continue;
      failed_ranks += (failed_ranks.empty() ? "" : ",") + std::to_string(r);
      if (r != 0 && lens[static_cast<std::size_t>(r)] > 0)
        std::printf("---- output of rank %d ----\n%s\n", r,
                    all.substr(static_cast<std::size_t>(displs[static_cast<std::size_t>(r)]),
                               static_cast<std::size_t>(lens[static_cast<std::size_t>(r)]))
                        .c_str());
    }
    if (any_failed)
      std::printf("MPI test FAILED on rank(s) %s of %d\n", failed_ranks.c_str(), h.size);
    else
      std::printf("MPI test passed on all %d rank(s)\n", h.size);
    std::fflush(stdout);
  }
  MPI_Comm_free(&h.comm);
  return any_failed ? 1 : 0;
}
