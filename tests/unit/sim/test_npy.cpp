// .npy files: round trip, and a clear refusal of every malformed file, without large allocations.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <sagips/io.hpp>
#include <string>
#include <vector>

namespace {
std::string tmp(const char* name) { return std::string("/tmp/sagips-test-") + std::to_string(getpid()) + "-" + name; }

// A .npy file with the given header dict (padded as NumPy pads it) and data bytes.
void write_file(const std::string& path, const std::string& dict, const std::string& data, int major = 1,
                bool pad = true) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string d = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  if (pad) d.append((64 - (prefix + d.size() + 1) % 64) % 64, ' ');
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
  out << data;
}

void write_raw(const std::string& path, const std::string& dict, std::size_t data_bytes, int major = 1) {
  write_file(path, dict, std::string(data_bytes, '\0'), major);
}

// The values as float32 or float64 bytes in the given byte order.
template <class S>
std::string encode(const std::vector<double>& values, bool big_endian) {
  std::string out;
  for (double v : values) {
    const S s = static_cast<S>(v);
    unsigned char b[sizeof(S)];
    std::memcpy(b, &s, sizeof(S));
    const std::uint16_t probe = 1;
    const bool host_big = *reinterpret_cast<const unsigned char*>(&probe) == 0;
    for (std::size_t k = 0; k < sizeof(S); ++k) out += static_cast<char>(b[host_big == big_endian ? k : sizeof(S) - 1 - k]);
  }
  return out;
}

const std::vector<double> some_values = {1.5, -2.25, 3.0e10, 0.1, -0.0, 7.0};

// Reads path as double and checks it holds some_values as [rows, cols].
void check_values(const std::string& path, std::size_t rows, std::size_t cols, bool as_float32) {
  const auto m = sagips::io::read_npy<double>(path);
  REQUIRE(m.extent(0) == rows);
  REQUIRE(m.extent(1) == cols);
  for (std::size_t k = 0; k < rows * cols; ++k)
    CHECK(m.data()[k] == (as_float32 ? double(static_cast<float>(some_values[k])) : some_values[k]));
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
  write_raw(path, "{'descr': '>i8', 'fortran_order': False, 'shape': (10, 2), }", 160);
  refused("dtype '>i8' is not supported");
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

// A backtracking std::regex recursed once per character of the header and overflowed the stack
// (SIGSEGV on every rank) at ~28 KB of whitespace, below the 64 KiB the reader allows.
TEST_CASE("long headers are read without recursion: 30,000 spaces inside the dict or as padding") {
  const std::string path = tmp("long.npy");
  const std::string data = encode<double>(some_values, false);
  write_file(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), " + std::string(30000, ' ') + "}", data);
  check_values(path, 3, 2, false);
  write_file(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }" + std::string(30000, ' '), data);
  check_values(path, 3, 2, false);
  write_file(path, "{'descr':" + std::string(30000, '\n') + "'<f8', 'fortran_order': False, 'shape': (3, 2)}", data);
  check_values(path, 3, 2, false);
  // The largest header sagips reads (version 2.0: 4-byte length), and one byte more.
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
  write_file(path, dict + std::string(65535 - dict.size(), ' '), data, 2, false);
  check_values(path, 3, 2, false);
  write_file(path, dict + std::string(65536 - dict.size(), ' '), data, 2, false);
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<double>(path), doctest::Contains("is over the 64 KiB"), sagips::Error);
  std::remove(path.c_str());
}

TEST_CASE("headers as NumPy writes or accepts them: key order, quotes, commas, whitespace, Python 2 longs") {
  const std::string path = tmp("forms.npy");
  const std::string data = encode<float>(some_values, false);
  for (const char* dict : {
           "{'shape': (3, 2), 'fortran_order': False, 'descr': '<f4'}",
           "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 2)}",
           "{'fortran_order':False,'descr':\"<f4\",'shape':(3,2,),}",
           "  {\t'descr' : '<f4' ,\n 'fortran_order' : False ,\r\n 'shape' : ( 3 , 2 ) , }",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }",
       }) {
    CAPTURE(dict);
    write_file(path, dict, data);
    check_values(path, 3, 2, true);
  }
  std::remove(path.c_str());
}

TEST_CASE("every spelling of float32/float64 is read, big-endian data byte-swapped") {
  const std::string path = tmp("dtypes.npy");
  auto read_with = [&](const std::string& descr, bool f32, bool big) {
    CAPTURE(descr);
    write_file(path, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (3, 2), }",
               f32 ? encode<float>(some_values, big) : encode<double>(some_values, big));
    check_values(path, 3, 2, f32);
  };
  for (const char* d : {"<f4", "f4", "=f4", "|f4", "float32", "single", "f", "<f", "=f"}) read_with(d, true, false);
  for (const char* d : {"<f8", "f8", "=f8", "|f8", "float64", "double", "float", "float_", "d", "<d"})
    read_with(d, false, false);
  for (const char* d : {">f4", ">f"}) read_with(d, true, true);
  for (const char* d : {">f8", ">d"}) read_with(d, false, true);
  // Big-endian float64 read as float, and the 1-D case.
  write_file(path, "{'descr': '>f8', 'fortran_order': False, 'shape': (6,), }", encode<double>(some_values, true));
  const auto m = sagips::io::read_npy<float>(path);
  REQUIRE(m.extent(0) == 6);
  REQUIRE(m.extent(1) == 1);
  for (std::size_t k = 0; k < 6; ++k) CHECK(m(k, 0) == static_cast<float>(some_values[k]));
  std::remove(path.c_str());
}

TEST_CASE("a 1-D shape (N,) is N events of dimension 1") {
  const std::string path = tmp("oned.npy");
  write_file(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", encode<double>(some_values, false));
  check_values(path, 6, 1, false);
  write_raw(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }", 0);
  CHECK(sagips::io::read_npy<double>(path).extent(0) == 0);
  write_raw(path, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", 40);
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<double>(path), doctest::Contains("shape (6,) needs 48 data bytes, the file has 40 (truncated)"),
                       sagips::Error);
  std::remove(path.c_str());
}

TEST_CASE("malformed dicts are refused with the cause named") {
  const std::string path = tmp("dict.npy");
  auto refused = [&](const std::string& dict, const std::string& expected) {
    CAPTURE(dict);
    write_raw(path, dict, 16);
    CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(path), doctest::Contains(expected.c_str()), sagips::Error);
    CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(path), doctest::Contains(path.c_str()), sagips::Error);
  };
  const std::string f = "'fortran_order': False";
  refused("{'descr': '<f4', 'descr': '<f4', " + f + ", 'shape': (2, 2)}", "key 'descr' appears twice");
  refused("{'descr': '<f4', " + f + ", 'shape': (2, 2), 'shape': (2, 2)}", "key 'shape' appears twice");
  refused("{'descr': '<f4', " + f + ", 'shape': (2, 2), 'units': 'mm'}", "unknown key 'units'");
  refused("{'descr': '<f4', " + f + "}", "no 'shape' key");
  refused("{}", "no 'descr' key");
  refused("", "expected '{' opening the header dict");
  refused("{'descr': '<f4', " + f + ", 'shape': [2, 2]}", "'shape' must be a tuple");
  refused("{'descr': '<f4', " + f + ", 'shape': (4)}", "is a number, not a tuple");
  refused("{'descr': '<f4', " + f + ", 'shape': ()}", "shape () is not 2-D");
  refused("{'descr': '<f4', " + f + ", 'shape': (-4, 1)}", "negative dimension");
  refused("{'descr': '<f4', " + f + ", 'shape': (04, 1)}", "leading zeros");
  refused("{'descr': '<f4', " + f + ", 'shape': (99999999999999999999, 1)}", "larger than 10^18");
  refused("{'descr': '<f4', " + f + ", 'shape': (4, 0)}", "0 columns per event is not plausible");
  refused("{'descr': '<f4', " + f + ", 'shape': (4,, 1)}", "expected a dimension");
  refused("{'descr': '<f4', " + f + ", 'shape': (4, 1) 'x'}", "expected ',' or '}' after the value of 'shape'");
  refused("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2)}", "'fortran_order' must be True or False, found '0'");
  refused("{'descr': [('a', '<f4')], " + f + ", 'shape': (2, 2)}", "structured (record) dtypes are not supported");
  refused("{'descr': '<\\x66\\x34', " + f + ", 'shape': (2, 2)}", "escape sequences");
  refused("{'descr': '<f4, " + f + ", 'shape': (2, 2)}", "expected ',' or '}' after the value of 'descr', found 'f'");
  refused("{'descr': '<f4', " + f + ", 'shape': (2, 2)} # comment", "unexpected text after the closing '}'");
  refused("{'descr': '<f2', " + f + ", 'shape': (2, 2)}", "dtype '<f2' is not supported");
  refused("{'descr': 'float32 ', " + f + ", 'shape': (2, 2)}", "dtype 'float32 ' is not supported");
  refused("{'descr': '<f4', " + f + ", 'shape': (2, 2), 'x\x01\xff': 1}", "unknown key 'x\\x01\\xff'");
  std::remove(path.c_str());
}

TEST_CASE("version and header length outside what is read") {
  const std::string path = tmp("version.npy");
  write_raw(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 16, 4);
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(path), doctest::Contains("unsupported .npy format version 4.0"),
                       sagips::Error);
  {  // NumPy refuses minor versions other than 0 too
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x01\x00\x00", 10);
  }
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(path), doctest::Contains("unsupported .npy format version 1.1"),
                       sagips::Error);
  {
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x02\x00\x00\x00", 10);
  }
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(path), doctest::Contains("truncated header"), sagips::Error);
  std::remove(path.c_str());
}

TEST_CASE("a directory, a device, a FIFO and a missing file are refused, promptly, naming the path") {
  const std::string dir = tmp("dir.npy");
  REQUIRE(mkdir(dir.c_str(), 0700) == 0);
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(dir), doctest::Contains((dir + ": is a directory").c_str()),
                       sagips::Error);
  rmdir(dir.c_str());
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>("/dev/null"),
                       doctest::Contains("/dev/null: is a character device"), sagips::Error);
  CHECK_THROWS_WITH_AS(sagips::io::read_npy<float>(tmp("missing.npy")),
                       doctest::Contains("cannot open: No such file or directory"), sagips::Error);

  // A FIFO with no writer: a blocking open() would wait forever. The read runs on a thread; if it is
  // still waiting after 10 s the test fails, and opens the FIFO for writing so the thread can end.
  const std::string fifo = tmp("fifo.npy");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto reading = std::async(std::launch::async, [&] { sagips::io::read_npy<float>(fifo); });
  const bool prompt = reading.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  CHECK_MESSAGE(prompt, "read_npy blocked on a FIFO");
  if (!prompt) {
    const int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) close(fd);
  }
  CHECK_THROWS_WITH_AS(reading.get(), doctest::Contains((fifo + ": is a FIFO (named pipe)").c_str()), sagips::Error);
  std::remove(fifo.c_str());
}
