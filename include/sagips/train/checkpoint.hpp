#pragma once
// Checkpoints: every rank saves its own state (its discriminator, its optimizer states, and its
// generator, which may differ from the others' in the asynchronous modes) into one folder per step:
//
//   <output>/checkpoints/step-00001000/rank-0000.bin ...     <output>/checkpoints/latest  ("step-00001000")
//
// A checkpoint is written into step-XXXXXXXX.partial/, each file under a temporary name then renamed;
// only when every rank has succeeded does rank 0 rename the folder and then replace `latest` (also
// through a temporary file). A failure anywhere leaves the earlier checkpoints and `latest` as they
// were and raises the same error on every rank. Each file starts with the run's resume fingerprint; a
// resume with a different configuration or rank count is refused with the differences named.

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sagips/core/error.hpp"
#include "sagips/core/serialize.hpp"

namespace sagips::train {

namespace detail {
inline std::string step_name(long step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%08ld", step);
  return buf;
}
inline std::string rank_file(int rank) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "rank-%04d.bin", rank);
  return buf;
}
// "lr_generator: checkpoint 0.0002, this run 0.0001; ..." for the keys that differ.
inline std::string describe_differences(const nlohmann::json& saved, const nlohmann::json& now) {
  std::string out;
  auto add = [&](const std::string& key, const std::string& a, const std::string& b) {
    out += (out.empty() ? "" : "; ") + key + ": checkpoint " + a + ", this run " + b;
  };
  for (auto it = now.begin(); it != now.end(); ++it) {
    if (!saved.contains(it.key()))
      add(it.key(), "(absent)", it.value().dump());
    else if (saved[it.key()] != it.value())
      add(it.key(), saved[it.key()].dump(), it.value().dump());
  }
  for (auto it = saved.begin(); it != saved.end(); ++it)
    if (!now.contains(it.key())) add(it.key(), it.value().dump(), "(absent)");
  return out;
}
}  // namespace detail

class CheckpointStore {
 public:
  CheckpointStore(std::string output_dir, MPI_Comm comm, int keep = 2)
      : dir_(std::filesystem::path(output_dir) / "checkpoints"), comm_(comm), keep_(keep < 1 ? 1 : keep) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }

  const std::filesystem::path& folder() const { return dir_; }

  // Collective. write_state(BinaryWriter&) writes this rank's state.
  template <class WriteState>
  void save(long step, const nlohmann::json& fingerprint, WriteState&& write_state) {
    namespace fs = std::filesystem;
    const fs::path final_dir = dir_ / detail::step_name(step);
    const fs::path partial = dir_ / (detail::step_name(step) + ".partial");
    std::string error;
    if (rank_ == 0) {
      std::error_code ec;
      fs::create_directories(dir_, ec);
      fs::remove_all(partial, ec);  // a leftover of an interrupted save
      if (!fs::create_directories(partial, ec) || ec)
        error = "cannot create checkpoint folder " + partial.string() + ": " + ec.message();
    }
    check_all(comm_, error);

    const fs::path file = partial / detail::rank_file(rank_);
    const fs::path tmp = file.string() + ".tmp";
    try {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      SAGIPS_REQUIRE(out, "cannot open " << tmp.string() << " for writing");
      BinaryWriter w(out);
      w.string("magic", magic());
      w.string("fingerprint", fingerprint.dump());
      w.value("ranks", size_);
      w.value("rank", rank_);
      w.value("step", step);
      write_state(w);
      out.flush();
      SAGIPS_REQUIRE(out.good(), "write to " << tmp.string() << " failed (disk full?)");
      out.close();
      std::filesystem::rename(tmp, file);
    } catch (const std::exception& e) {
      error = std::string("checkpoint at step ") + std::to_string(step) + ": " + e.what();
    }
    check_all(comm_, error);

    if (rank_ == 0) {
      try {
        std::error_code ec;
        fs::remove_all(final_dir, ec);  // only ever a stale copy of this same step
        fs::rename(partial, final_dir);
        const fs::path latest_tmp = dir_ / "latest.tmp";
        {
          std::ofstream l(latest_tmp, std::ios::trunc);
          l << detail::step_name(step) << "\n";
          SAGIPS_REQUIRE(l.good(), "cannot write " << latest_tmp.string());
        }
        fs::rename(latest_tmp, dir_ / "latest");
        prune(step);
      } catch (const std::exception& e) {
        error = std::string("checkpoint at step ") + std::to_string(step) + ": " + e.what();
      }
    }
    check_all(comm_, error);
  }

  // Collective. The step of the latest checkpoint (-1 if there is none); read_state(BinaryReader&)
  // restores this rank's state from it.
  template <class ReadState>
  long load_latest(const nlohmann::json& fingerprint, ReadState&& read_state) {
    namespace fs = std::filesystem;
    std::string error;
    long step = -1;
    const fs::path latest = dir_ / "latest";
    std::string name;
    {
      std::ifstream l(latest);
      if (l) std::getline(l, name);
    }
    if (name.empty()) {
      check_all(comm_, "");
      return -1;
    }
    const fs::path file = dir_ / name / detail::rank_file(rank_);
    try {
      std::ifstream in(file, std::ios::binary);
      SAGIPS_REQUIRE(in, "cannot open " << file.string() << " (a checkpoint of another rank count?)");
      BinaryReader r(in, file.string());
      std::string m, fp;
      r.string("magic", m);
      SAGIPS_REQUIRE(m == magic(), file.string() << " is not a sagips checkpoint");
      r.string("fingerprint", fp);
      const auto saved = nlohmann::json::parse(fp, nullptr, false);
      SAGIPS_REQUIRE(!saved.is_discarded(), file.string() << ": corrupt configuration record");
      int ranks = 0, rank = -1;
      r.value("ranks", ranks);
      r.value("rank", rank);
      SAGIPS_REQUIRE(ranks == size_, "the checkpoint in " << (dir_ / name).string() << " was written by " << ranks
                                                          << " ranks; this run has " << size_);
      SAGIPS_REQUIRE(rank == rank_, file.string() << " belongs to rank " << rank);
      SAGIPS_REQUIRE(saved == fingerprint, "the checkpoint in " << (dir_ / name).string()
                                                                << " was written by a different configuration ("
                                                                << detail::describe_differences(saved, fingerprint)
                                                                << ")");
      r.value("step", step);
      read_state(r);
    } catch (const std::exception& e) {
      error = e.what();
    }
    check_all(comm_, error);
    return step;
  }

 private:
  static std::string magic() { return "sagips-checkpoint-1"; }

  void prune(long newest) {
    namespace fs = std::filesystem;
    std::vector<std::string> steps;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string n = e.path().filename().string();
      if (e.is_directory() && n.rfind("step-", 0) == 0 && n.find(".partial") == std::string::npos) steps.push_back(n);
    }
    std::sort(steps.begin(), steps.end());
    const std::string newest_name = detail::step_name(newest);
    std::size_t kept = 0;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      if (*it > newest_name) continue;  // never touch what is newer than what we just wrote
      if (kept++ < static_cast<std::size_t>(keep_)) continue;
      std::error_code ec;
      fs::remove_all(dir_ / *it, ec);
    }
  }

  std::filesystem::path dir_;
  MPI_Comm comm_;
  int keep_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace sagips::train
