#pragma once
// Checkpoints: every rank saves its own state (its discriminator, its optimizer states, and its
// generator, which may differ from the others' in the asynchronous modes) into one folder per step:
//
//   <output>/checkpoints/step-00001000/rank-0000.bin ...     <output>/checkpoints/latest  ("step-00001000")
//
// Saving is a commit in three durable steps (core/files.hpp: write, check, fsync, rename, fsync the
// folder), each started only when the one before succeeded on every rank:
//   1. every rank writes its file into step-XXXXXXXX.partial/;
//   2. rank 0 renames the folder to step-XXXXXXXX;
//   3. rank 0 replaces `latest`.
// Only then are checkpoints beyond the newest `keep` removed. A failure anywhere (a full disk) raises
// the same error on every rank, naming the file and the cause, and leaves the earlier checkpoints and
// `latest` as they were; a failed .partial folder is removed so that it does not hold the space. A
// crash at any point leaves `latest` naming a complete checkpoint (or absent: no checkpoint yet).
//
// Each rank file (format 3) starts with the run's resume fingerprint, so a resume with a different
// configuration or rank count is refused with the differences named, and ends with a checksum of
// everything before it, so a file changed on disk is refused instead of resumed from.
//
// Formats: 3 is 2 with the exchange's state in the trainer's state (the error-feedback residual of
// wire compression, exchanger.hpp). A format-2 file is still read: it predates compression, so its
// fingerprint counts as "compression": "none" (a resume with compression on is refused, naming it),
// and a reader that takes (BinaryReader&, int format) is told 2, so it reads no exchange state (the
// residual of an uncompressed exchange is zero). Format 1 (no checksum) is refused.

#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sagips/core/error.hpp"
#include "sagips/core/files.hpp"
#include "sagips/core/serialize.hpp"
#include "sagips/core/watchdog.hpp"
#include "sagips/train/config.hpp"

namespace sagips::train {

namespace detail {
inline std::string step_name(long step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%08ld", step);
  return buf;
}
// The step of a folder name "step-00001000" (exactly eight digits), or -1.
inline long parse_step_name(const std::string& name) {
  if (name.size() != 13 || name.rfind("step-", 0) != 0) return -1;
  long step = 0;
  for (std::size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}
inline std::string rank_file(int rank) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "rank-%04d.bin", rank);
  return buf;
}
// "lr_generator: checkpoint 0.0002, this run 0.0001; exchange.group_size: checkpoint 2, this run 4" for
// the keys that differ, nested records named by their path (never a whole record twice).
inline std::string describe_differences(const nlohmann::json& saved, const nlohmann::json& now,
                                        const std::string& prefix = "") {
  std::string out;
  auto add = [&](const std::string& text) { out += (out.empty() || text.empty() ? "" : "; ") + text; };
  auto show = [](const nlohmann::json& v) { return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  if (!saved.is_object() || !now.is_object()) {
    if (saved != now) add((prefix.empty() ? "the record" : prefix) + ": checkpoint " + show(saved) + ", this run " + show(now));
    return out;
  }
  for (auto it = now.begin(); it != now.end(); ++it) {
    const std::string key = prefix + it.key();
    if (!saved.contains(it.key()))
      add(key + ": checkpoint (absent), this run " + show(it.value()));
    else if (saved[it.key()].is_object() && it.value().is_object())
      add(describe_differences(saved[it.key()], it.value(), key + "."));
    else if (saved[it.key()] != it.value())
      add(key + ": checkpoint " + show(saved[it.key()]) + ", this run " + show(it.value()));
  }
  for (auto it = saved.begin(); it != saved.end(); ++it)
    if (!now.contains(it.key())) add(prefix + it.key() + ": checkpoint " + show(it.value()) + ", this run (absent)");
  return out;
}
// The last section of a rank file: the checksum of all bytes before it.
inline std::string checksum_trailer(std::uint64_t sum) {
  std::ostringstream os;
  BinaryWriter(os).value("checksum", sum);
  return os.str();
}
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
      std::ostringstream os;
      BinaryWriter w(os);
      w.string("magic", magic());
      w.string("fingerprint", fingerprint.dump());
      w.value("ranks", size_);
      w.value("rank", rank_);
      w.value("step", step);
      write_state(w);
      std::string bytes = std::move(os).str();
      bytes += detail::checksum_trailer(files::checksum64(bytes));
      files::write_file_durably(partial / detail::rank_file(rank_), bytes);
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
      step = read_rank_file(file.string(), *bytes, fingerprint, read_state);
      SAGIPS_REQUIRE(step == detail::parse_step_name(name),
                     file.string() << " holds step " << step << ", not the step its folder is named after");
    } catch (const std::exception& e) {
      error = e.what();
    }
    check_all(comm_, error, "the checkpoint agreement");
    return step;
  }

 private:
  static std::string magic() { return "sagips-checkpoint-3"; }
  static std::string format2_magic() { return "sagips-checkpoint-2"; }
  static std::string old_magic() { return "sagips-checkpoint-1"; }

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
        std::istringstream in(*bytes);
        BinaryReader r(in, e.path().string());
        std::string m, fp;
        int ranks = 0;
        r.string("magic", m, 64);
        r.string("fingerprint", fp);
        r.value("ranks", ranks);
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

  // Checks the magic and the checksum, then the fingerprint, rank count and rank; then the state.
  template <class ReadState>
  long read_rank_file(const std::string& file, const std::string& bytes, const nlohmann::json& fingerprint,
                      ReadState& read_state) {
    std::string m;
    try {
      std::istringstream head(bytes);
      BinaryReader(head, file).string("magic", m, 64);
    } catch (const Error& e) {
      throw Error(file + " is not a sagips checkpoint (" + e.what() + ")");
    }
    SAGIPS_REQUIRE(m != old_magic(), file << " is a checkpoint of an older sagips (format 1, without a checksum); "
                                          << "this sagips reads formats 2 and 3: resume with the sagips that wrote "
                                          << "it, or start a new run");
    SAGIPS_REQUIRE(m == magic() || m == format2_magic(), file << " is not a sagips checkpoint");
    const int format = m == magic() ? 3 : 2;
    const std::size_t trailer = detail::checksum_trailer(0).size();
    SAGIPS_REQUIRE(bytes.size() > trailer, file << " is truncated: it ends before its checksum");
    const std::string body = bytes.substr(0, bytes.size() - trailer);
    std::uint64_t stored = 0;
    {
      std::istringstream tail(bytes.substr(bytes.size() - trailer));
      BinaryReader(tail, file).value("checksum", stored);
    }
    const std::uint64_t computed = files::checksum64(body);
    SAGIPS_REQUIRE(stored == computed, file << " is corrupt: its contents do not match its checksum (stored "
                                            << std::hex << stored << ", computed " << computed << ")");

    std::istringstream in(body);
    BinaryReader r(in, file);
    std::string fp;
    r.string("magic", m);
    r.string("fingerprint", fp);
    auto saved = nlohmann::json::parse(fp, nullptr, false);
    SAGIPS_REQUIRE(!saved.is_discarded(), file << ": corrupt configuration record");
    // Format 2 predates wire compression: its runs had none.
    if (format == 2 && saved.is_object() && saved.contains("exchange") && saved["exchange"].is_object() &&
        !saved["exchange"].contains("compression"))
      saved["exchange"]["compression"] = "none";
    int ranks = 0, rank = -1;
    r.value("ranks", ranks);
    r.value("rank", rank);
    const std::string folder = std::filesystem::path(file).parent_path().string();
    SAGIPS_REQUIRE(ranks == size_, "the checkpoint in " << folder << " was written by " << ranks
                                                        << " ranks; this run has " << size_);
    SAGIPS_REQUIRE(rank == rank_, file << " belongs to rank " << rank);
    // The saved record passes through today's fingerprint rules (an option that became operational
    // since it was written does not block the resume).
    const nlohmann::json saved_fp = resume_fingerprint(saved);
    SAGIPS_REQUIRE(saved_fp == fingerprint, "the checkpoint in " << folder << " was written by a different configuration ("
                                                              << detail::describe_differences(saved_fp, fingerprint)
                                                              << ")");
    long step = -1;
    r.value("step", step);
    if constexpr (std::is_invocable_v<ReadState&, BinaryReader&, int>)
      read_state(r, format);
    else
      read_state(r);
    const auto left = static_cast<long long>(body.size()) - static_cast<long long>(in.tellg());
    SAGIPS_REQUIRE(left == 0, file << " holds " << left << " bytes of state that this run does not read");
    return step;
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
