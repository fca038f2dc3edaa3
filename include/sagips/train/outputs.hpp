#pragma once
// What a training run writes into its output folder (by one rank, the reporter):
//   metrics.csv   a row every --metrics-every steps (losses, parameter means and spreads, residuals, drift, rate)
//   samples.csv   the final generator samples of the physics parameters
//   summary.json  the final estimate, residuals, speed, ranks, strategy and configuration
// The folder is checked for writability on every rank before training starts, so an unwritable
// folder fails at once with a clear message instead of after hours of training.

#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sagips/core/error.hpp"

namespace sagips::train {

// Collective: the reporter creates the folder and proves it can write there.
inline void prepare_output_dir(MPI_Comm comm, const std::string& dir, bool is_reporter) {
  std::string error;
  if (is_reporter) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path probe = fs::path(dir) / ".sagips-write-probe";
    std::ofstream f(probe);
    if (ec || !f || !(f << "ok") || !f.flush()) {
      error = "cannot write to the output folder '" + dir + "'" + (ec ? ": " + ec.message() : "");
    } else {
      f.close();
      fs::remove(probe, ec);
    }
  }
  check_all(comm, error);
}

// Writes path through a temporary file and a rename, so a reader never sees half a file.
inline void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    SAGIPS_REQUIRE(out, "cannot write " << tmp);
    out << text;
    out.flush();
    SAGIPS_REQUIRE(out.good(), "write to " << tmp << " failed");
  }
  std::filesystem::rename(tmp, path);
}

// metrics.csv. On resume the rows after the checkpoint's step are dropped first, so the file reads
// as if the run had never been interrupted.
class MetricsCsv {
 public:
  MetricsCsv() = default;
  MetricsCsv(const std::string& path, std::vector<std::string> columns, long resume_step) : path_(path) {
    if (resume_step >= 0 && std::filesystem::exists(path)) {
      std::ifstream in(path);
      std::string line, kept;
      bool header = true;
      while (std::getline(in, line)) {
        if (header || std::stol(line.substr(0, line.find(','))) <= resume_step) kept += line + "\n";
        header = false;
      }
      write_text_atomically(path, kept);
      out_.open(path, std::ios::app);
    } else {
      out_.open(path, std::ios::trunc);
      for (std::size_t i = 0; i < columns.size(); ++i) out_ << (i ? "," : "") << columns[i];
      out_ << "\n";
    }
    SAGIPS_REQUIRE(out_, "cannot write " << path);
  }
  void row(const std::vector<double>& values) {
    char buf[40];
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::snprintf(buf, sizeof buf, i == 0 ? "%.0f" : "%.9g", values[i]);
      out_ << (i ? "," : "") << buf;
    }
    out_ << "\n";
    out_.flush();
  }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace sagips::train
