// .npy files: round trip, and a clear refusal of every malformed file, without large allocations.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sagips/io.hpp>
#include <string>
#include <unistd.h>

namespace {
std::string tmp(const char* name) { return std::string("/tmp/sagips-test-") + std::to_string(getpid()) + "-" + name; }

void write_raw(const std::string& path, const std::string& dict, std::size_t data_bytes, int major = 1) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string d = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  d.append((64 - (prefix + d.size() + 1) % 64) % 64, ' ');
  d += '\n';
  out.write("\x93NUMPY", 6);
  out.put(static_cast<char>(major));
  out.put(0);
  if (major == 1) {
    out.put(static_cast<char>(d.size() & 0xff));
    out.put(static_cast<char>(d.size() >> 8));
  } else {
    for (int k = 0; k < 4; ++k) out.put(static_cast<char>((d.size() >> (8 * k)) & 0xff));
  }
  out << d;
  out << std::string(data_bytes, '\0');
}
}  // namespace

TEST_CASE_TEMPLATE("write then read gives the same events, converting between float and double", T, float, double) {
  sagips::HostMatrix<T> m("m", 5, 3);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) m(i, j) = static_cast<T>(0.25 * i - 0.5 * j + 0.125);
  const std::string path = tmp("roundtrip.npy");
  sagips::io::write_npy<T>(path, m);
  const auto a = sagips::io::read_npy<T>(path);
  const auto b = sagips::io::read_npy<double>(path);
  REQUIRE(a.extent(0) == 5);
  REQUIRE(a.extent(1) == 3);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) {
      CHECK(a(i, j) == m(i, j));
      CHECK(b(i, j) == double(m(i, j)));
    }
  std::remove(path.c_str());
}

TEST_CASE("version 2.0 headers are read too") {
  const std::string path = tmp("v2.npy");
  write_raw(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", 32, 2);
  CHECK(sagips::io::read_npy<double>(path).extent(0) == 2);
  std::remove(path.c_str());
}

TEST_CASE("malformed files are refused with the cause named") {
  const std::string path = tmp("bad.npy");
  auto refused = [&](const std::string& expected) {
    CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(path), doctest::Contains(expected.c_str()), sagips::Error);
  };
  {
    std::ofstream(path, std::ios::binary) << "PK\x03\x04 not numpy at all";
    refused("bad magic string");
  }
  write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 2), }", 40);
  refused("(truncated)");
  write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 2), }", 88);
  refused("(trailing bytes)");
  write_raw(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (10, 2), }", 80);
  refused("dtype '<i4' is not supported");
  write_raw(path, "{'descr': '>f8', 'fortran_order': False, 'shape': (10, 2), }", 160);
  refused("dtype '>f8' is not supported");
  write_raw(path, "{'descr': '<f4', 'fortran_order': True, 'shape': (10, 2), }", 80);
  refused("Fortran-ordered arrays are not supported");
  write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 2, 2), }", 160);
  refused("is not 2-D");
  // An absurd shape must fail on the size check, before any allocation.
  write_raw(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999, 2), }", 16);
  refused("needs 15999999999984 data bytes");
  write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 100000), }", 16);
  refused("columns per event is not plausible");
  write_raw(path, "{'descr': '<f4', 'shape': (2, 2), }", 16);
  refused("malformed header");
  {
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00\xff\xff", 10);
  }
  refused("does not fit the file");
  refused("");
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(tmp("missing.npy")), doctest::Contains("cannot open"), sagips::Error);
  std::remove(path.c_str());
}
