#pragma once
// What a training run writes into its output folder (by one rank, the reporter):
//   metrics.csv   a row every --metrics-every steps (losses, parameter means and spreads, residuals, drift, rate)
//   samples.csv   the final generator samples of the physics parameters
//   summary.json  the final estimate, residuals, speed, ranks, strategy and configuration
// The folder is locked for the run (one run per folder) and checked for writability before training
// starts, so a folder in use or an unwritable one fails at once with a clear message instead of after
// hours of training. Every write goes
// through runtime/files.hpp: it is checked, synced to disk, and a failure throws sagips::Error naming
// the file and the cause ("No space left on device"), never a silently shorter file.

#include <mpi.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"
#include "sagips/runtime/folder_lock.hpp"
#include "sagips/runtime/utf8.hpp"

namespace sagips::train {

// Collective: the folder is created, locked for this run by the communicator's rank 0
// (runtime/folder_lock.hpp: a second run on the same folder is refused, naming the holder), and the
// reporter proves it can write there. The lock is held while the returned object lives (on rank 0;
// the others' is empty).
[[nodiscard]] inline files::FolderLock prepare_output_dir(MPI_Comm comm, const std::string& dir, bool is_reporter) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string error;
  files::FolderLock lock;
  if (rank == 0 || is_reporter) {
    namespace fs = std::filesystem;
    std::error_code ec;
    try {
      if (fs::is_symlink(dir, ec) && !fs::exists(dir, ec))
        throw Error("it is a symbolic link to '" + utf8::escape_invalid(fs::read_symlink(dir, ec).string()) +
                    "', which does not exist: create that folder, or give another --output");
      files::create_directories_durably(dir);
      if (rank == 0) lock = files::FolderLock::acquire(dir);
      if (is_reporter) {
        const fs::path probe = fs::path(dir) / ".sagips-write-probe";
        files::write_file_durably(probe, "ok");
        fs::remove(probe, ec);
      }
    } catch (const files::FolderInUse& e) {
      error = e.what();
    } catch (const std::exception& e) {
      error = "cannot write to the output folder '" + utf8::escape_invalid(dir) + "' (" + e.what() + ")";
    }
  }
  check_all(comm, error, "the preparation of the output folder");
  return lock;
}

// Replaces path with text atomically and durably: a reader never sees half a file, and a failure
// (a full disk) throws naming the file and leaves the earlier file as it was.
inline void write_text_atomically(const std::string& path, const std::string& text) {
  files::write_file_durably(path, text);
}

namespace detail {
// The step at the start of a metrics row ("12,0.69,..."), if the first field is a whole number.
inline bool parse_step(std::string_view line, long& step) {
  const std::string_view field = line.substr(0, line.find(','));
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), step);
  return ec == std::errc() && end == field.data() + field.size() && !field.empty();
}
inline std::size_t field_count(std::string_view line) {
  std::size_t n = 1;
  for (char c : line) n += c == ',';
  return n;
}
inline std::string join_columns(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i];
  return out;
}

// The part of an earlier metrics.csv that a run resumed after resume_step keeps: the header and the
// rows up to that step, as if the run had never been interrupted. Blank lines are skipped; a header
// lost to an earlier failure is written again; an incomplete unterminated last line is the torn row
// of an interrupted write and is dropped. Any other row that does not parse is an error naming the
// file and line, not a guess.
inline std::string kept_metrics(const std::string& path, const std::string& text, const std::string& header,
                                std::size_t columns, long resume_step) {
  std::string kept = header + "\n";
  bool seen_header = false;
  std::size_t pos = 0;
  for (long line_no = 1; pos < text.size(); ++line_no) {
    const std::size_t nl = text.find('\n', pos);
    const bool terminated = nl != std::string::npos;
    std::string_view line(text.data() + pos, (terminated ? nl : text.size()) - pos);
    pos = terminated ? nl + 1 : text.size();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const bool first = !seen_header;
    seen_header = true;
    if (first && line == header) continue;
    long step = 0;
    const bool parses = parse_step(line, step);
    if (!terminated && (!parses || field_count(line) != columns)) continue;  // the torn end of an interrupted row
    if (!parses) {
      SAGIPS_REQUIRE(false, path << " line " << line_no << ": "
                                 << (first ? "unexpected header '" : "not a metrics row: '") << line << "'"
                                 << (first ? " (this run writes '" + header + "')" : std::string()));
    }
    if (step > resume_step) continue;
    SAGIPS_REQUIRE(field_count(line) == columns, path << " line " << line_no << ": " << field_count(line)
                                                      << " fields, the header has " << columns);
    kept.append(line.data(), line.size()).append("\n");
  }
  return kept;
}
}  // namespace detail

// metrics.csv. On resume the rows after the checkpoint's step are dropped first, so the file reads
// as if the run had never been interrupted. row() writes and syncs each row, or throws naming the
// file and the cause; the rows before it stay intact.
class MetricsCsv {
 public:
  MetricsCsv() = default;
  MetricsCsv(const std::string& path, const std::vector<std::string>& columns, long resume_step) {
    const std::string header = detail::join_columns(columns);
    std::string start = header + "\n";
    if (resume_step >= 0) {
      if (const auto earlier = files::read_file_if_present(path))
        start = detail::kept_metrics(path, *earlier, header, columns.size(), resume_step);
    }
    files::write_file_durably(path, start);
    out_ = files::AppendFile(path);
  }

  void row(const std::vector<double>& values) {
    std::string line;
    char buf[40];
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::snprintf(buf, sizeof buf, i == 0 ? "%.0f" : "%.9g", values[i]);
      line += (i ? "," : "");
      line += buf;
    }
    line += "\n";
    out_.append(line);
  }

 private:
  files::AppendFile out_;
};

}  // namespace sagips::train
