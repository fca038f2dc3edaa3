#pragma once
// Helpers of the durable-output tests: a fresh folder shared by all ranks, and control of the
// fault-injection library (tests/support/fault_inject.cpp) that meson preloads into these tests.
#include <dlfcn.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mpi_test.hpp"

namespace durable_test {

namespace fs = std::filesystem;

// A folder shared by all ranks, fresh for each test.
inline fs::path shared_tmp(const std::string& name) {
  char buf[256] = {0};
  if (sagips::testing::rank() == 0) {
    const fs::path p = fs::temp_directory_path() / ("sagips-durable-" + name + "-" + std::to_string(getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    std::snprintf(buf, sizeof buf, "%s", p.c_str());
  }
  MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, sagips::testing::comm());
  return buf;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

inline void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Arms a fault in this process (see fault_inject.cpp): calls of kind op ("write", "fsync",
// "rename") on files whose path contains `path` fail with `error` once `after` bytes (write) or
// calls (the others) went through; `times` failures later the fault clears (0: never). The tests
// that need it fail (not skip) when the library is not preloaded.
inline void arm_fault(const char* op, const std::string& path, long long after = 0, long long times = 0,
                      const char* error = "ENOSPC") {
  using Arm = int (*)(const char*, const char*, long long, long long, const char*);
  const auto arm = reinterpret_cast<Arm>(dlsym(RTLD_DEFAULT, "sagips_fault_arm"));
  const bool preloaded = arm != nullptr;
  REQUIRE_MESSAGE(preloaded, "run under LD_PRELOAD=<build>/tests/libsagips_fault_inject.so (meson test does)");
  REQUIRE(arm(op, path.c_str(), after, times, error) == 0);
}
inline void disarm_fault() {
  using Arm = int (*)(const char*, const char*, long long, long long, const char*);
  const auto arm = reinterpret_cast<Arm>(dlsym(RTLD_DEFAULT, "sagips_fault_arm"));
  if (arm) arm("write", "", 0, 0, "ENOSPC");
}
// Failures injected in this process since the last arming.
inline long long faults_injected() {
  using Count = long long (*)();
  const auto count = reinterpret_cast<Count>(dlsym(RTLD_DEFAULT, "sagips_fault_count"));
  return count ? count() : -1;
}

}  // namespace durable_test
