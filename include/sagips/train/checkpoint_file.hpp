#pragma once
// One rank's checkpoint file: how it is named, what it holds and how it is checked when read. The
// store (checkpoint.hpp) decides where files go and when a checkpoint counts as committed.
//
//   <output>/checkpoints/step-00001000/rank-0000.bin
//
// A rank file (format 3) is a BinaryWriter record (runtime/serialize.hpp) in this order:
//   magic "sagips-checkpoint-3" | fingerprint (the run's resume fingerprint, JSON) | ranks | rank |
//   step | the state the trainer writes | checksum of every byte before it
// so a resume with a different configuration or rank count is refused with the differences named, and
// a file changed on disk is refused instead of resumed from.
//
// Formats: 3 is 2 with the exchange's state in the trainer's state (the error-feedback residual of
// wire compression, exchanger.hpp). A format-2 file is still read: it predates compression, so its
// fingerprint counts as "compression": "none" (a resume with compression on is refused, naming it),
// and a reader that takes (BinaryReader&, int format) is told 2, so it reads no exchange state (the
// residual of an uncompressed exchange is zero). Format 1 (no checksum) is refused.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"
#include "sagips/runtime/serialize.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/fingerprint.hpp"

namespace sagips::train::detail {

// The magic that opens a rank file of the given format (1, 2 or 3).
inline std::string rank_file_magic(int format) { return "sagips-checkpoint-" + std::to_string(format); }

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

// The bytes of one rank's file (format 3): the header, the state write_state(BinaryWriter&) writes,
// and the checksum that closes it.
template <class WriteState>
std::string encode_rank_file(const nlohmann::json& fingerprint, int ranks, int rank, long step,
                             WriteState& write_state) {
  std::ostringstream os;
  BinaryWriter w(os);
  w.string("magic", rank_file_magic(3));
  w.string("fingerprint", fingerprint.dump());
  w.value("ranks", ranks);
  w.value("rank", rank);
  w.value("step", step);
  write_state(w);
  std::string bytes = std::move(os).str();
  bytes += checksum_trailer(files::checksum64(bytes));
  return bytes;
}

// The rank count a file records (its magic and fingerprint skipped, nothing checked); throws on a
// file too short to say.
inline int recorded_ranks(const std::string& file, const std::string& bytes) {
  std::istringstream in(bytes);
  BinaryReader r(in, file);
  std::string m, fp;
  int ranks = 0;
  r.string("magic", m, 64);
  r.string("fingerprint", fp);
  r.value("ranks", ranks);
  return ranks;
}

// Checks the magic and the checksum, then the fingerprint, the rank count (`ranks`, this run's) and the
// rank; then hands the state to read_state; returns the step the file records.
template <class ReadState>
long decode_rank_file(const std::string& file, const std::string& bytes, const nlohmann::json& fingerprint,
                    int ranks_now, int rank_now, ReadState& read_state) {
  std::string m;
  try {
    std::istringstream head(bytes);
    BinaryReader(head, file).string("magic", m, 64);
  } catch (const Error& e) {
    throw Error(file + " is not a sagips checkpoint (" + e.what() + ")");
  }
  SAGIPS_REQUIRE(m != rank_file_magic(1), file << " is a checkpoint of an older sagips (format 1, without a checksum); "
                                        << "this sagips reads formats 2 and 3: resume with the sagips that wrote "
                                        << "it, or start a new run");
  SAGIPS_REQUIRE(m == rank_file_magic(3) || m == rank_file_magic(2), file << " is not a sagips checkpoint");
  const int format = m == rank_file_magic(3) ? 3 : 2;
  const std::size_t trailer = checksum_trailer(0).size();
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
  SAGIPS_REQUIRE(ranks == ranks_now, "the checkpoint in " << folder << " was written by " << ranks
                                                      << " ranks; this run has " << ranks_now);
  SAGIPS_REQUIRE(rank == rank_now, file << " belongs to rank " << rank);
  // The saved record passes through today's fingerprint rules (an option that became operational
  // since it was written does not block the resume).
  const nlohmann::json saved_fp = resume_fingerprint(saved);
  SAGIPS_REQUIRE(saved_fp == fingerprint, "the checkpoint in " << folder << " was written by a different configuration ("
                                                            << describe_differences(saved_fp, fingerprint)
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

}  // namespace sagips::train::detail
