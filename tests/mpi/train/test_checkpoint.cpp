// Checkpoints under real ranks: round trip of per-rank state, atomic replacement of `latest`,
// pruning, and clear refusals (different configuration, unwritable folder) on every rank.
#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sagips/train/checkpoint.hpp>
#include <string>

#include "mpi_test.hpp"

namespace fs = std::filesystem;

namespace {
// A folder shared by all ranks, fresh for each test.
fs::path shared_tmp(const char* name) {
  char buf[64] = {0};
  if (sagips::testing::rank() == 0) {
    const fs::path p = fs::temp_directory_path() / (std::string("sagips-ckpt-") + name + "-" + std::to_string(getpid()));
    fs::remove_all(p);
    std::snprintf(buf, sizeof buf, "%s", p.c_str());
  }
  MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, sagips::testing::comm());
  return buf;
}
}  // namespace

TEST_CASE("each rank gets back its own state from the latest checkpoint") {
  const fs::path out = shared_tmp("roundtrip");
  const int r = sagips::testing::rank();
  const nlohmann::json fp = {{"lr", 0.1}, {"seed", 3}};
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm(), 2);
  for (long step : {10L, 20L, 30L}) {
    store.save(step, fp, [&](sagips::BinaryWriter& w) {
      w.value("payload", static_cast<double>(100 * r + step));
    });
  }
  double payload = -1;
  const long step = store.load_latest(fp, [&](sagips::BinaryReader& rd) { rd.value("payload", payload); });
  CHECK(step == 30);
  CHECK(payload == 100.0 * r + 30);
  MPI_Barrier(sagips::testing::comm());
  // keep = 2: step 10 pruned, 20 and 30 kept; no partial folder left behind.
  CHECK_FALSE(fs::exists(out / "checkpoints" / "step-00000010"));
  CHECK(fs::exists(out / "checkpoints" / "step-00000020"));
  CHECK(fs::exists(out / "checkpoints" / "step-00000030"));
  CHECK_FALSE(fs::exists(out / "checkpoints" / "step-00000030.partial"));
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("no checkpoint yet: load_latest says -1") {
  const fs::path out = shared_tmp("empty");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  CHECK(store.load_latest(nlohmann::json::object(), [](sagips::BinaryReader&) {}) == -1);
}

TEST_CASE("a different configuration is refused on every rank, naming the difference") {
  const fs::path out = shared_tmp("mismatch");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  store.save(5, {{"lr", 0.1}}, [](sagips::BinaryWriter& w) { w.value("x", 1); });
  std::string message;
  try {
    store.load_latest({{"lr", 0.2}}, [](sagips::BinaryReader&) {});
  } catch (const sagips::CollectiveError& e) {
    message = e.what();
  }
  CHECK(message.find("was written by a different configuration (lr: checkpoint 0.1, this run 0.2)") !=
        std::string::npos);
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(out);
}

TEST_CASE("an unwritable folder fails on every rank and leaves the earlier checkpoint intact") {
  const fs::path out = shared_tmp("unwritable");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  const int r = sagips::testing::rank();
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("v", r); });
  // The last rank cannot write its state this time (its writer throws midway).
  bool failed = false;
  try {
    store.save(2, {}, [&](sagips::BinaryWriter& w) {
      w.value("v", r);
      if (r == sagips::testing::size() - 1) throw sagips::Error("disk full");
    });
  } catch (const sagips::CollectiveError& e) {
    failed = std::string(e.what()).find("disk full") != std::string::npos;
  }
  CHECK(failed);
  int v = -1;
  CHECK(store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }) == 1);
  CHECK(v == r);
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}
