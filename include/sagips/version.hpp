#pragma once
// The version of sagips (kept equal to meson.build's project version by the test `version`), and the
// versions of what a program was built and runs with, for --version and summary.json.
//
//   SAGIPS_VERSION                    "0.1.0"
//   sagips::versions()                {"sagips": "0.1.0", "kokkos": "3.4.1 Serial", "mpi": "Open MPI v4.1.4, ..."}

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <map>
#include <string>

#include "sagips/core/config.hpp"

#define SAGIPS_VERSION "0.1.0"

namespace sagips {

inline std::string version() { return SAGIPS_VERSION; }

// sagips's version, Kokkos' (the version it was built with and the default execution space), the MPI
// library's (its own words, first line) and the MPI standard's. MPI_Get_library_version may be called
// before MPI_Init.
inline std::map<std::string, std::string> versions() {
  std::map<std::string, std::string> v;
  v["sagips"] = SAGIPS_VERSION;
  const int k = KOKKOS_VERSION;
  v["kokkos"] = std::to_string(k / 10000) + "." + std::to_string(k / 100 % 100) + "." + std::to_string(k % 100) + " " +
                ExecSpace::name();
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = "";
  int len = 0;
  MPI_Get_library_version(library, &len);
  std::string lib(library, static_cast<std::size_t>(len > 0 ? len : 0));
  lib = lib.substr(0, lib.find_first_of("\n\r"));
  while (!lib.empty() && (lib.back() == ' ' || lib.back() == ',' || lib.back() == '\0')) lib.pop_back();
  int major = 0, minor = 0;
  MPI_Get_version(&major, &minor);
  v["mpi"] = lib + " (MPI " + std::to_string(major) + "." + std::to_string(minor) + ")";
  return v;
}

}  // namespace sagips
