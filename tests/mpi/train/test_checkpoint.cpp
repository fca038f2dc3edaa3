// Checkpoints under real ranks: round trip of per-rank state, atomic replacement of `latest`,
// pruning, and clear refusals on every rank (different configuration, unwritable folder, a file
// changed on disk, an empty `latest` or one naming a missing folder, the earlier file formats: 1
// refused, 2 read as a run without wire compression).
// Disk-full and failed-sync cases are in test_checkpoint_faults.cpp, under the fault injector.
#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sagips/runtime/files.hpp>
#include <sagips/train/checkpoint.hpp>
#include <sstream>
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
  // A nested record's difference is named by its path, the record itself never printed.
  const nlohmann::json saved = {{"exchange", {{"group_size", 2}, {"mode", "weak"}}}};
  auto now = saved;
  now["exchange"]["group_size"] = 4;
  store.save(6, saved, [](sagips::BinaryWriter& w) { w.value("x", 1); });
  try {
    store.load_latest(now, [](sagips::BinaryReader&) {});
  } catch (const sagips::CollectiveError& e) {
    message = e.what();
  }
  CHECK(message.find("was written by a different configuration (exchange.group_size: checkpoint 2, this run 4)") !=
        std::string::npos);
  CHECK(message.find("weak") == std::string::npos);
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

namespace {
// Whatever a test raises on every rank, as text ("" when nothing was raised).
template <class F>
std::string collective_error(F&& f) {
  try {
    f();
  } catch (const sagips::CollectiveError& e) {
    return e.what();
  }
  return "";
}
std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
void write_all(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("a failed save removes its .partial folder") {
  const fs::path out = shared_tmp("partial");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  const int r = sagips::testing::rank();
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("v", r); });
  const std::string message = collective_error([&] {
    store.save(2, {}, [&](sagips::BinaryWriter& w) {
      if (r == 0) throw sagips::Error("no room");
      w.value("v", r);
    });
  });
  CHECK(contains(message, "no room"));
  MPI_Barrier(sagips::testing::comm());
  CHECK_FALSE(fs::exists(out / "checkpoints" / "step-00000002.partial"));
  CHECK(read_all(out / "checkpoints" / "latest") == "step-00000001\n");
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("a rank file changed on disk is refused by its checksum, naming the file") {
  const fs::path out = shared_tmp("checksum");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  const int r = sagips::testing::rank(), last = sagips::testing::size() - 1;
  const double weight = 1000.0 + r;
  store.save(1, {}, [&](sagips::BinaryWriter& w) { w.value("weight", weight); });
  const fs::path file = out / "checkpoints" / "step-00000001" / ("rank-000" + std::to_string(last) + ".bin");
  if (r == last) {  // the weight + 5, in place
    std::string bytes = read_all(file);
    const std::string was(reinterpret_cast<const char*>(&weight), sizeof weight);
    const double changed = weight + 5;
    const auto at = bytes.find(was);
    REQUIRE(at != std::string::npos);
    bytes.replace(at, sizeof changed, reinterpret_cast<const char*>(&changed), sizeof changed);
    write_all(file, bytes);
  }
  MPI_Barrier(sagips::testing::comm());
  double loaded = -1;
  const std::string message =
      collective_error([&] { store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("weight", loaded); }); });
  CHECK(contains(message, file.string() + " is corrupt: its contents do not match its checksum"));
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("an empty or unreadable `latest` is an error, not 'no checkpoint yet'") {
  const fs::path out = shared_tmp("latest-empty");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  const int r = sagips::testing::rank();
  store.save(3, {}, [&](sagips::BinaryWriter& w) { w.value("v", r); });
  const fs::path latest = out / "checkpoints" / "latest";
  int v = -1;
  auto load = [&] { return store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }); };

  if (r == 0) write_all(latest, "");
  MPI_Barrier(sagips::testing::comm());
  std::string message = collective_error(load);
  CHECK(contains(message, latest.string() + " is empty"));
  CHECK(contains(message, "step-00000003"));  // it says which checkpoint is there

  MPI_Barrier(sagips::testing::comm());
  if (r == 0) {  // a folder where the file should be: read() fails with EISDIR
    fs::remove(latest);
    fs::create_directory(latest);
  }
  MPI_Barrier(sagips::testing::comm());
  message = collective_error(load);
  CHECK(contains(message, "cannot read " + latest.string() + ": Is a directory"));

  MPI_Barrier(sagips::testing::comm());
  if (r == 0) {
    fs::remove(latest);
    write_all(latest, "step-00000003\n");
  }
  MPI_Barrier(sagips::testing::comm());
  CHECK(load() == 3);
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("`latest` naming a missing folder says so; a missing rank file is called lost, not another rank count") {
  const fs::path out = shared_tmp("latest-missing");
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  const int r = sagips::testing::rank();
  store.save(3, {}, [&](sagips::BinaryWriter& w) { w.value("v", r); });
  int v = -1;
  auto load = [&] { return store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }); };
  const fs::path dir = out / "checkpoints";
  if (r == 0) write_all(dir / "latest", "step-00000007\n");
  MPI_Barrier(sagips::testing::comm());
  std::string message = collective_error(load);
  CHECK(contains(message, "names step-00000007, but the folder " + (dir / "step-00000007").string() + " is missing"));
  CHECK_FALSE(contains(message, "rank count"));

  MPI_Barrier(sagips::testing::comm());
  const int last = sagips::testing::size() - 1;
  if (r == 0) {
    write_all(dir / "latest", "step-00000003\n");
    fs::remove(dir / "step-00000003" / ("rank-000" + std::to_string(last) + ".bin"));
  }
  MPI_Barrier(sagips::testing::comm());
  message = collective_error(load);
  // The folder's other files tell that it is a checkpoint of this rank count: the file was lost.
  const int n = sagips::testing::size();
  if (n > 1)
    CHECK(contains(message, "step-00000003 is a checkpoint of " + std::to_string(n) + " ranks, like this run: rank-000" +
                                std::to_string(last) + ".bin was deleted or lost"));
  else
    CHECK(contains(message, "step-00000003 holds no readable rank file"));
  CHECK_FALSE(contains(message, "another rank count"));
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("a checkpoint of the earlier format (no checksum) is refused with a clear message") {
  const fs::path out = shared_tmp("old-format");
  const int r = sagips::testing::rank();
  const fs::path folder = out / "checkpoints" / "step-00000004";
  if (r == 0) fs::create_directories(folder);
  MPI_Barrier(sagips::testing::comm());
  {  // what sagips-checkpoint-1 wrote: the same sections, no checksum
    std::ofstream f(folder / ("rank-000" + std::to_string(r) + ".bin"), std::ios::binary);
    sagips::BinaryWriter w(f);
    w.string("magic", "sagips-checkpoint-1");
    w.string("fingerprint", "{}");
    w.value("ranks", sagips::testing::size());
    w.value("rank", r);
    w.value("step", 4L);
    w.value("v", r);
  }
  if (r == 0) write_all(out / "checkpoints" / "latest", "step-00000004\n");
  MPI_Barrier(sagips::testing::comm());
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  int v = -1;
  const std::string message =
      collective_error([&] { store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }); });
  CHECK(contains(message, "is a checkpoint of an older sagips (format 1, without a checksum)"));
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("a checkpoint of format 2 (before wire compression) resumes as one without compression") {
  const fs::path out = shared_tmp("format-2");
  const int r = sagips::testing::rank();
  const fs::path folder = out / "checkpoints" / "step-00000004";
  if (r == 0) fs::create_directories(folder);
  MPI_Barrier(sagips::testing::comm());
  {  // what sagips-checkpoint-2 wrote: its fingerprint has no "compression", the state no exchange section
    std::ostringstream os;
    sagips::BinaryWriter w(os);
    w.string("magic", "sagips-checkpoint-2");
    w.string("fingerprint", R"({"lr":0.1,"exchange":{"strategy":"sync-ring"}})");
    w.value("ranks", sagips::testing::size());
    w.value("rank", r);
    w.value("step", 4L);
    w.value("v", 10 + r);
    std::string bytes = std::move(os).str();
    std::ostringstream trailer;
    sagips::BinaryWriter(trailer).value("checksum", sagips::files::checksum64(bytes));
    write_all(folder / ("rank-000" + std::to_string(r) + ".bin"), bytes + trailer.str());
  }
  if (r == 0) write_all(out / "checkpoints" / "latest", "step-00000004\n");
  MPI_Barrier(sagips::testing::comm());
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  const nlohmann::json now = {{"lr", 0.1}, {"exchange", {{"strategy", "sync-ring"}, {"compression", "none"}}}};
  int v = -1, format = -1;
  CHECK(store.load_latest(now, [&](sagips::BinaryReader& rd, int f) {
    format = f;
    rd.value("v", v);
  }) == 4);
  CHECK(v == 10 + r);
  CHECK(format == 2);  // the trainer reads no exchange state from it
  // A run with compression on cannot resume from it: its exchange had none.
  nlohmann::json compressed = now;
  compressed["exchange"]["compression"] = "bf16";
  const std::string message = collective_error([&] { store.load_latest(compressed, [](sagips::BinaryReader&) {}); });
  CHECK(contains(message, "was written by a different configuration"));
  CHECK(contains(message, R"(exchange.compression: checkpoint "none", this run "bf16")"));
  // Today's files are format 3, and say so to a reader that asks.
  store.save(8, now, [&](sagips::BinaryWriter& w) { w.value("v", 20 + r); });
  CHECK(store.load_latest(now, [&](sagips::BinaryReader& rd, int f) {
    format = f;
    rd.value("v", v);
  }) == 8);
  CHECK(format == 3);
  CHECK(v == 20 + r);
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}

TEST_CASE("a stale copy of the same step and a leftover .partial folder give way to a new save") {
  const fs::path out = shared_tmp("stale");
  const int r = sagips::testing::rank();
  const fs::path dir = out / "checkpoints";
  if (r == 0) {
    fs::create_directories(dir / "step-00000002");
    write_all(dir / "step-00000002" / "rank-0000.bin", "stale");
    fs::create_directories(dir / "step-00000005.partial");
  }
  MPI_Barrier(sagips::testing::comm());
  sagips::train::CheckpointStore store(out.string(), sagips::testing::comm());
  store.save(2, {}, [&](sagips::BinaryWriter& w) { w.value("v", 10 + r); });
  int v = -1;
  CHECK(store.load_latest({}, [&](sagips::BinaryReader& rd) { rd.value("v", v); }) == 2);
  CHECK(v == 10 + r);
  MPI_Barrier(sagips::testing::comm());
  CHECK_FALSE(fs::exists(dir / "step-00000002.replaced"));
  CHECK_FALSE(fs::exists(dir / "step-00000005.partial"));
  MPI_Barrier(sagips::testing::comm());
  if (r == 0) fs::remove_all(out);
}
