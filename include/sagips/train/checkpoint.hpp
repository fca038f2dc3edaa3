#pragma once
// Checkpoints: every rank saves its own state (its discriminator, its optimizer states, and its
// generator, which may differ from the others' in the asynchronous modes) into one folder per step:
//
//   <output>/checkpoints/step-00001000/rank-0000.bin ...     <output>/checkpoints/latest  ("step-00001000")
//
// Saving is a commit in three durable steps (runtime/files.hpp: write, check, fsync, rename, fsync the
// folder), each started only when the one before succeeded on every rank:
//   1. every rank writes its file into step-XXXXXXXX.partial/;
//   2. rank 0 renames the folder to step-XXXXXXXX;
//   3. rank 0 replaces `latest`.
// Only then are checkpoints beyond the newest `keep` removed. A failure anywhere (a full disk) raises
// the same error on every rank, naming the file and the cause, and leaves the earlier checkpoints and
// `latest` as they were; a failed .partial folder is removed so that it does not hold the space. A
// crash at any point leaves `latest` naming a complete checkpoint (or absent: no checkpoint yet).
//
// Each rank file (checkpoint_file.hpp) carries the run's resume fingerprint and a checksum, so a
// resume with a different configuration or rank count, or from a file changed on disk, is refused
// with the reason named.

#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/train/checkpoint_file.hpp"
#include "sagips/train/config.hpp"

namespace sagips::train {

namespace detail {
// Rank 0's string to every rank.
inline void broadcast(MPI_Comm comm, std::string& s) {
  unsigned long long n = s.size();
  mpi::bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm, "the broadcast of the checkpoint's name");
  s.resize(n);
  if (n > 0) mpi::bcast(s.data(), static_cast<int>(n), MPI_CHAR, 0, comm, "the broadcast of the checkpoint's name");
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
    const std::string name = detail::step_name(step);
    const fs::path final_dir = dir_ / name;
    const fs::path partial = dir_ / (name + ".partial");
    const std::string context = "checkpoint at step " + std::to_string(step) + ": ";
    std::string error;
    if (rank_ == 0) {
      try {
        files::create_directories_durably(dir_);
        std::error_code ec;
        fs::remove_all(partial, ec);  // a leftover of an interrupted save
        if (!fs::create_directory(partial, ec) || ec)
          throw Error("cannot create checkpoint folder " + partial.string() + ": " + ec.message());
      } catch (const std::exception& e) {
        error = context + e.what();
      }
    }
    check_all(comm_, error, "the checkpoint agreement");

    // 1. This rank's file, built in memory so that its checksum can close it.
    try {
      files::write_file_durably(partial / detail::rank_file(rank_),
                                detail::encode_rank_file(fingerprint, size_, rank_, step, write_state));
    } catch (const std::exception& e) {
      error = context + e.what();
    }
    try {
      check_all(comm_, error, "the checkpoint agreement");
    } catch (const CollectiveError&) {
      // Every rank is past its write: the half-written folder can go, with the space it holds.
      if (rank_ == 0) {
        std::error_code ec;
        fs::remove_all(partial, ec);
      }
      throw;
    }

    // 2 and 3, on rank 0. Before `latest` names the new folder the earlier checkpoints are all kept.
    if (rank_ == 0) {
      try {
        std::error_code ec;
        const fs::path aside = dir_ / (name + ".replaced");
        bool moved_aside = false;
        if (fs::exists(final_dir, ec)) {
          // A stale copy of this same step (from a run whose `latest` update failed, or an earlier
          // run in this folder): moved aside, not deleted, until the new one is committed.
          fs::remove_all(aside, ec);
          files::rename_durably(final_dir, aside);
          moved_aside = true;
        }
        try {
          files::rename_durably(partial, final_dir);
        } catch (const std::exception&) {
          fs::remove_all(partial, ec);
          if (moved_aside) fs::rename(aside, final_dir, ec);  // `latest` may name it
          throw;
        }
        try {
          files::write_file_durably(dir_ / "latest", name + "\n");
        } catch (const std::exception&) {
          // `latest` still names the earlier checkpoint unless the failure came after its rename:
          // then the new folder is what it names and stays; otherwise it goes, with the space it holds.
          std::string named;
          try {
            named = read_latest_name();
          } catch (const std::exception&) {
          }
          if (named != name) {
            fs::remove_all(final_dir, ec);
            if (moved_aside) fs::rename(aside, final_dir, ec);
          }
          throw;
        }
      } catch (const std::exception& e) {
        error = context + e.what();
      }
      if (error.empty()) prune(step);
    }
    check_all(comm_, error, "the checkpoint agreement");
  }

  // Collective. --resume: the latest checkpoint read (as load_latest) and its step returned (0 when there
  // is none: the run starts from step 1); one past `steps` is refused on every rank. The reporter says
  // which it is.
  template <class ReadState>
  long resume(const nlohmann::json& fingerprint, ReadState&& read_state, long steps, bool reporter) {
    const long saved = load_latest(fingerprint, std::forward<ReadState>(read_state));
    if (saved > steps)  // the same `saved` on every rank: refused everywhere
      throw CollectiveError("the checkpoint in " + dir_.string() + " is at step " + std::to_string(saved) +
                            ", past --steps " + std::to_string(steps) + ": give --steps " + std::to_string(saved) +
                            " or more to continue it");
    if (reporter && saved >= 0) std::printf("resuming after step %ld from %s\n", saved, dir_.c_str());
    if (reporter && saved < 0) std::printf("no checkpoint in %s: starting from step 1\n", dir_.c_str());
    return saved > 0 ? saved : 0;
  }

  // Collective. The step of the latest checkpoint (-1 if there is none: no `latest` file);
  // read_state(BinaryReader&) or read_state(BinaryReader&, int format) restores this rank's state from it.
  template <class ReadState>
  long load_latest(const nlohmann::json& fingerprint, ReadState&& read_state) {
    namespace fs = std::filesystem;
    // Rank 0 reads `latest`, so that every rank resumes from the same folder.
    std::string error, name;
    if (rank_ == 0) {
      try {
        name = read_latest();
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    check_all(comm_, error, "the checkpoint agreement");
    detail::broadcast(comm_, name);
    if (name.empty()) return -1;

    long step = -1;
    const fs::path folder = dir_ / name;
    const fs::path file = folder / detail::rank_file(rank_);
    try {
      const auto bytes = files::read_file_if_present(file);
      SAGIPS_REQUIRE(bytes, "cannot open " << file.string() << ": " << files::describe_errno(ENOENT) << " ("
                                           << describe_rank_files(folder) << ")");
      step = detail::decode_rank_file(file.string(), *bytes, fingerprint, size_, rank_, read_state);
      SAGIPS_REQUIRE(step == detail::parse_step_name(name),
                     file.string() << " holds step " << step << ", not the step its folder is named after");
    } catch (const std::exception& e) {
      error = e.what();
    }
    check_all(comm_, error, "the checkpoint agreement");
    return step;
  }

 private:
  // The folder name in `latest` ("" when there is no `latest`: no checkpoint yet). An empty or
  // unreadable `latest`, or one naming a folder that is not there, is an error: taking it for "no
  // checkpoint" would restart the run from step 1 and prune the good checkpoints.
  // `latest`'s text without its line end ("" when there is no `latest`).
  std::string read_latest_name() const {
    const auto text = files::read_file_if_present(dir_ / "latest");
    if (!text) return "";
    std::string name = *text;
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
    return name;
  }

  std::string read_latest() const {
    namespace fs = std::filesystem;
    const fs::path latest = dir_ / "latest";
    if (!files::read_file_if_present(latest)) return "";
    const std::string name = read_latest_name();
    SAGIPS_REQUIRE(!name.empty(), latest.string() << " is empty (an interrupted or failed update?): write into it the "
                                                  << "name of the checkpoint folder to resume from ("
                                                  << describe_checkpoints() << "), or remove it to start from step 1");
    SAGIPS_REQUIRE(detail::parse_step_name(name) >= 0,
                   latest.string() << " holds '" << name.substr(0, 64) << "', not a checkpoint folder name like "
                                   << detail::step_name(1000) << " (" << describe_checkpoints() << ")");
    std::error_code ec;
    if (!fs::is_directory(dir_ / name, ec)) {
      const bool aside = fs::is_directory(dir_ / (name + ".replaced"), ec);
      SAGIPS_REQUIRE(false, latest.string() << " names " << name << ", but the folder " << (dir_ / name).string()
                                            << " is missing ("
                                            << (aside ? "a save that replaced it was interrupted: rename " + name +
                                                            ".replaced back to " + name
                                                      : describe_checkpoints())
                                            << ")");
    }
    return name;
  }

  // "the checkpoints here: step-00000003, step-00000006" (or "there is no checkpoint folder").
  std::string describe_checkpoints() const {
    const auto steps = committed_steps();
    if (steps.empty()) return "there is no checkpoint folder in " + dir_.string();
    std::string out = "the checkpoint folders here: ";
    for (std::size_t i = 0; i < steps.size(); ++i) out += (i ? ", " : "") + steps[i];
    return out;
  }

  // Why this rank's file may be missing, from the rank count the folder's other files record:
  // "step-00000003 is a checkpoint of 4 ranks, like this run: rank-0003.bin was deleted or lost" or
  // "step-00000003 is a checkpoint of 8 ranks; this run has 4".
  std::string describe_rank_files(const std::filesystem::path& folder) const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(folder, ec)) {
      const std::string f = e.path().filename().string();
      if (e.path().extension() != ".bin" || f.rfind("rank-", 0) != 0) continue;
      try {
        const auto bytes = files::read_file_if_present(e.path());
        if (!bytes) continue;
        const int ranks = detail::recorded_ranks(e.path().string(), *bytes);
        const std::string name = folder.filename().string();
        if (ranks == size_)
          return name + " is a checkpoint of " + std::to_string(ranks) + " ranks, like this run: " +
                 detail::rank_file(rank_) + " was deleted or lost";
        return name + " is a checkpoint of " + std::to_string(ranks) + " ranks; this run has " + std::to_string(size_);
      } catch (const std::exception&) {
        continue;  // that file's own problem is reported by the rank that reads it
      }
    }
    return folder.filename().string() + " holds no readable rank file";
  }

  // Committed checkpoint folders (step-XXXXXXXX), oldest first.
  std::vector<std::string> committed_steps() const {
    std::vector<std::string> steps;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
      const std::string n = e.path().filename().string();
      if (detail::parse_step_name(n) >= 0 && e.is_directory(ec)) steps.push_back(n);
    }
    std::sort(steps.begin(), steps.end());
    return steps;
  }

  // Called once `latest` durably names newest: keeps the newest `keep` checkpoints up to it and
  // clears what interrupted saves left behind. Checkpoints newer than newest are never touched.
  void prune(long newest) {
    namespace fs = std::filesystem;
    const std::string newest_name = detail::step_name(newest);
    const auto steps = committed_steps();
    std::size_t kept = 0;
    std::error_code ec;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      if (*it > newest_name) continue;
      if (kept++ < static_cast<std::size_t>(keep_)) continue;
      fs::remove_all(dir_ / *it, ec);
    }
    std::vector<fs::path> leftovers;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const std::string n = e.path().filename().string();
      const auto dot = n.find('.');
      if (dot != std::string::npos && detail::parse_step_name(n.substr(0, dot)) >= 0 &&
          (n.substr(dot) == ".partial" || n.substr(dot) == ".replaced"))
        leftovers.push_back(e.path());
    }
    for (const auto& p : leftovers) fs::remove_all(p, ec);
  }

  std::filesystem::path dir_;
  MPI_Comm comm_;
  int keep_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace sagips::train
