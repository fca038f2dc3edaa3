// The output files of a run (train/outputs.hpp): metrics.csv rows are checked and synced, a failure
// throws naming the file and the cause and leaves no half row; a resume keeps exactly the rows up to
// the checkpoint (blank lines skipped, a lost header restored, a bad row named by file and line);
// whole files are replaced atomically or not at all. Each rank works on its own files; the disk-full
// cases use the fault-injection library (tests/support/fault_inject.cpp) that meson preloads.
#include <mpi.h>

#include <filesystem>
#include <sagips/train/outputs.hpp>
#include <string>
#include <vector>

#include "durable_test.hpp"

namespace fs = std::filesystem;
using durable_test::arm_fault;
using durable_test::disarm_fault;
using durable_test::slurp;
using durable_test::spit;

namespace {
const std::vector<std::string> columns = {"step", "a", "b"};

fs::path own_file(const fs::path& dir, const std::string& name) {
  return dir / ("rank" + std::to_string(sagips::testing::rank()) + "-" + name);
}

// What a sagips::Error thrown by f says ("" when f throws nothing).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const sagips::Error& e) {
    disarm_fault();
    return e.what();
  }
  disarm_fault();
  return "";
}
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("a metrics row that cannot be written throws; no half row is left, the rows before stay") {
  const fs::path dir = durable_test::shared_tmp("metrics-full");
  const fs::path path = own_file(dir, "metrics.csv");
  sagips::train::MetricsCsv m(path.string(), columns, -1);
  m.row({2, 0.5, 0.25});
  arm_fault("write", path.string(), 5, 1);  // 5 bytes fit, one write fails, then there is room again
  const std::string message = error_of([&] { m.row({4, 0.125, 1.5}); });
  CHECK(contains(message, "cannot write " + path.string() + ": No space left on device"));
  CHECK(slurp(path) == "step,a,b\n2,0.5,0.25\n");
  m.row({6, 1, 2});
  CHECK(slurp(path) == "step,a,b\n2,0.5,0.25\n6,1,2\n");
}

TEST_CASE("a metrics row whose sync fails throws") {
  const fs::path dir = durable_test::shared_tmp("metrics-sync");
  const fs::path path = own_file(dir, "metrics.csv");
  sagips::train::MetricsCsv m(path.string(), columns, -1);
  arm_fault("fsync", path.string(), 0, 0, "EIO");
  const std::string message = error_of([&] { m.row({2, 0.5, 0.25}); });
  CHECK(contains(message, "cannot write " + path.string() + ": fdatasync failed: Input/output error"));
}

TEST_CASE("a row on a metrics file that was never opened throws instead of vanishing") {
  sagips::train::MetricsCsv m;
  CHECK_THROWS_AS(m.row({2, 0.5, 0.25}), sagips::Error);
}

TEST_CASE("metrics.csv on resume: rows up to the checkpoint kept, blank lines skipped, no stol abort") {
  const fs::path dir = durable_test::shared_tmp("metrics-blank");
  const fs::path path = own_file(dir, "metrics.csv");
  spit(path, "step,a,b\n\n2,1,1\n   \n4,2,2\n\n6,3,3\n");
  sagips::train::MetricsCsv m(path.string(), columns, 4);
  m.row({6, 4, 4});
  CHECK(slurp(path) == "step,a,b\n2,1,1\n4,2,2\n6,4,4\n");
}

TEST_CASE("an empty metrics.csv gets its header back on resume") {
  const fs::path dir = durable_test::shared_tmp("metrics-empty");
  const fs::path path = own_file(dir, "metrics.csv");
  spit(path, "");
  {
    sagips::train::MetricsCsv m(path.string(), columns, 4);
    m.row({6, 1, 1});
  }
  CHECK(slurp(path) == "step,a,b\n6,1,1\n");
  spit(path, "2,1,1\n");  // rows but no header
  sagips::train::MetricsCsv m(path.string(), columns, 4);
  CHECK(slurp(path) == "step,a,b\n2,1,1\n");
}

TEST_CASE("a metrics row that does not parse is an error naming the file and line") {
  const fs::path dir = durable_test::shared_tmp("metrics-bad");
  const fs::path path = own_file(dir, "metrics.csv");
  spit(path, "step,a,b\n2,1,1\nx2,1,1\n4,1,1\n");
  std::string message = error_of([&] { sagips::train::MetricsCsv(path.string(), columns, 4); });
  CHECK(contains(message, path.string() + " line 3: not a metrics row: 'x2,1,1'"));
  spit(path, "step,a,b\n2,1\n");
  message = error_of([&] { sagips::train::MetricsCsv(path.string(), columns, 4); });
  CHECK(contains(message, path.string() + " line 2: 2 fields, the header has 3"));
  spit(path, "step,c,d\n2,1,1\n");
  message = error_of([&] { sagips::train::MetricsCsv(path.string(), columns, 4); });
  CHECK(contains(message, path.string() + " line 1: unexpected header 'step,c,d' (this run writes 'step,a,b')"));
  CHECK(slurp(path) == "step,c,d\n2,1,1\n");  // a refused resume leaves the file as it was
}

TEST_CASE("the torn end of an interrupted row is dropped on resume") {
  const fs::path dir = durable_test::shared_tmp("metrics-torn");
  const fs::path path = own_file(dir, "metrics.csv");
  spit(path, "step,a,b\n2,1,1\n4,1");
  sagips::train::MetricsCsv m(path.string(), columns, 2);
  CHECK(slurp(path) == "step,a,b\n2,1,1\n");
  spit(path, "step,a,b\n2,1,1\n1");  // torn inside the step field
  sagips::train::MetricsCsv m2(path.string(), columns, 2);
  CHECK(slurp(path) == "step,a,b\n2,1,1\n");
}

TEST_CASE("write_text_atomically on a full disk throws naming the file and keeps the earlier file") {
  const fs::path dir = durable_test::shared_tmp("atomic-full");
  const fs::path path = own_file(dir, "summary.json");
  sagips::train::write_text_atomically(path.string(), "earlier\n");
  arm_fault("write", path.string(), 3);
  const std::string message = error_of([&] { sagips::train::write_text_atomically(path.string(), "a longer text\n"); });
  CHECK(contains(message, "cannot write " + path.string() + ": No space left on device"));
  CHECK(slurp(path) == "earlier\n");
  CHECK_FALSE(fs::exists(path.string() + ".tmp"));  // it would hold the space the disk needs
}
