// Checkpoints when the disk fills or fails, under real ranks and the fault-injection library
// (tests/support/fault_inject.cpp, preloaded by meson): every failure is an error on every rank that
// names the file and the cause, the earlier checkpoint and `latest` stay intact and resumable, and a
// failed save leaves no .partial folder holding the space.
#include <mpi.h>

#include <filesystem>
#include <sagips/train/checkpoint.hpp>
#include <string>

#include "durable_test.hpp"

namespace fs = std::filesystem;
using durable_test::arm_fault;
using durable_test::disarm_fault;

namespace {
std::string failed_save(sagips::train::CheckpointStore& store, long step, int value) {
  try {
    store.save(step, {}, [&](sagips::BinaryWriter& w) { w.value("v", value); });
  } catch (const sagips::CollectiveError& e) {
    disarm_fault();
    return e.what();
  }
  disarm_fault();
  return "";
}
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// After a failed save of step 2: `latest` still names step 1, which loads, and nothing is left over.
void check_step_1_intact(sagips::train::CheckpointStore& store, const fs::path& dir) {
  const int r = sagips::testing::rank();
  MPI_Barrier(sagips::testing::comm());
  CHECK(durable_test::slurp(dir / "latest") == "step-00000001\n");
  CHECK(fs::exists(dir / "step-00000001"));
  CHECK_FALSE(fs::exists(dir / "step-00000002.partial"));
  CHECK_FALSE(fs::exists(dir / "latest.tmp"));
  int v = -1;
  CHECK(store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }) == 1);
  CHECK(v == 100 + r);
}
}  // namespace

TEST_CASE("disk full while `latest` is written: an error everywhere, the earlier checkpoint kept, the new one removed") {
  const fs::path out = durable_test::shared_tmp("ckpt-latest");
  const fs::path dir = out / "checkpoints";
  const int r = sagips::testing::rank();
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm(), 1);  // keep only one
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("v", 100 + r); });
  if (r == 0) arm_fault("write", (dir / "latest").string());
  const std::string message = failed_save(store, 2, 200 + r);
  CHECK(contains(message, "cannot write " + (dir / "latest").string() + ": No space left on device"));
  check_step_1_intact(store, dir);  // not pruned: step 2 was never committed
  MPI_Barrier(sagips::testing::comm());
  // Nor is the complete step-2 folder kept: `latest` does not name it, and it would hold the space
  // a full disk needs (the next --resume would fail at its write probe).
  CHECK_FALSE(fs::exists(dir / "step-00000002"));
  MPI_Barrier(sagips::testing::comm());

  // Once there is room again the same step saves, replacing its uncommitted copy, and only then is
  // step 1 pruned.
  store.save(2, {}, [&](sagips::BinaryWriter& w) { w.value("v", 200 + r); });
  int v = -1;
  CHECK(store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }) == 2);
  CHECK(v == 200 + r);
  MPI_Barrier(sagips::testing::comm());
  CHECK_FALSE(fs::exists(dir / "step-00000001"));
  CHECK_FALSE(fs::exists(dir / "step-00000002.replaced"));
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("disk full in the middle of a rank file: an error everywhere naming the file, no .partial left") {
  const fs::path out = durable_test::shared_tmp("ckpt-rankfile");
  const fs::path dir = out / "checkpoints";
  const int r = sagips::testing::rank(), last = sagips::testing::size() - 1;
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("v", 100 + r); });
  const std::string file = "step-00000002.partial/rank-000" + std::to_string(last) + ".bin";
  if (r == last) arm_fault("write", file, 40);  // 40 bytes fit, then the disk is full
  const std::string message = failed_save(store, 2, 200 + r);
  CHECK(contains(message, "cannot write " + (dir / file).string() + ": No space left on device"));
  check_step_1_intact(store, dir);
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("a failed fsync of a rank file fails the save") {
  const fs::path out = durable_test::shared_tmp("ckpt-fsync");
  const fs::path dir = out / "checkpoints";
  const int r = sagips::testing::rank();
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("v", 100 + r); });
  if (r == 0) arm_fault("fsync", "step-00000002.partial/rank-0000.bin", 0, 0, "EIO");
  const std::string message = failed_save(store, 2, 200 + r);
  CHECK(contains(message, "rank-0000.bin: fsync failed: Input/output error"));
  check_step_1_intact(store, dir);
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("a failed rename of the .partial folder fails the save and removes the folder") {
  const fs::path out = durable_test::shared_tmp("ckpt-rename");
  const fs::path dir = out / "checkpoints";
  const int r = sagips::testing::rank();
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("v", 100 + r); });
  // Rank 0's own file is renamed into the folder first (1 call), then the folder itself.
  if (r == 0) arm_fault("rename", "step-00000002.partial", 1, 0, "EIO");
  const std::string message = failed_save(store, 2, 200 + r);
  CHECK(contains(message, "cannot rename " + (dir / "step-00000002.partial").string()));
  CHECK(contains(message, "Input/output error"));
  check_step_1_intact(store, dir);
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}
