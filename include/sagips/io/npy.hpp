#pragma once
// Events as NumPy .npy files: 2-D arrays of float32 or float64 in C order, format versions 1.0-3.0.
//
// The reader validates everything before it allocates: the magic string, the version, a header
// length that fits the file, a dictionary with exactly the keys descr, fortran_order and shape,
// a little-endian float dtype, C order, a 2-D shape of sane numbers, and a file size that matches
// rows x columns x item size exactly. Any violation is a sagips::Error naming the file and the cause.

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <regex>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/core/error.hpp"
#include "sagips/core/views.hpp"

namespace sagips::io {

struct NpyHeader {
  std::string descr;  // "<f4" or "<f8"
  long rows = 0, cols = 0;
  std::size_t data_offset = 0;
};

inline NpyHeader read_npy_header(std::istream& in, const std::string& path, std::uint64_t file_size) {
  char magic[8];
  in.read(magic, 8);
  SAGIPS_REQUIRE(in.gcount() == 8 && std::memcmp(magic, "\x93NUMPY", 6) == 0,
                 path << ": not a .npy file (bad magic string)");
  const int major = static_cast<unsigned char>(magic[6]);
  SAGIPS_REQUIRE(major >= 1 && major <= 3, path << ": unsupported .npy format version " << major);
  std::uint64_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    SAGIPS_REQUIRE(in.gcount() == 2, path << ": truncated header");
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    SAGIPS_REQUIRE(in.gcount() == 4, path << ": truncated header");
    header_len = b[0] | (b[1] << 8) | (std::uint64_t(b[2]) << 16) | (std::uint64_t(b[3]) << 24);
  }
  const std::uint64_t prefix = major == 1 ? 10 : 12;
  SAGIPS_REQUIRE(header_len <= 65536 && prefix + header_len <= file_size,
                 path << ": header length " << header_len << " does not fit the file");
  std::string dict(header_len, '\0');
  in.read(dict.data(), static_cast<std::streamsize>(header_len));
  SAGIPS_REQUIRE(static_cast<std::uint64_t>(in.gcount()) == header_len, path << ": truncated header");

  static const std::regex form(
      R"(^\{\s*'descr'\s*:\s*'([^']*)'\s*,\s*'fortran_order'\s*:\s*(True|False)\s*,\s*'shape'\s*:\s*\(([^)]*)\)\s*,?\s*\}\s*$)");
  std::smatch m;
  const std::string trimmed = dict.substr(0, dict.find_last_not_of(" \n\x20") + 1);
  SAGIPS_REQUIRE(std::regex_match(trimmed, m, form),
                 path << ": malformed header (expected {'descr': ..., 'fortran_order': ..., 'shape': (...)})");
  NpyHeader h;
  h.descr = m[1];
  SAGIPS_REQUIRE(h.descr == "<f4" || h.descr == "<f8",
                 path << ": dtype '" << h.descr << "' is not supported (little-endian float32 '<f4' or float64 '<f8')");
  SAGIPS_REQUIRE(m[2] == "False", path << ": Fortran-ordered arrays are not supported (save with C order)");
  static const std::regex two_d(R"(^\s*(\d{1,12})\s*,\s*(\d{1,12})\s*,?\s*$)");
  std::smatch s;
  const std::string shape = m[3];
  SAGIPS_REQUIRE(std::regex_match(shape, s, two_d), path << ": shape (" << shape << ") is not 2-D [events, dimension]");
  h.rows = std::stol(s[1]);
  h.cols = std::stol(s[2]);
  SAGIPS_REQUIRE(h.cols >= 1 && h.cols <= 64, path << ": " << h.cols << " columns per event is not plausible");
  const std::uint64_t item = h.descr == "<f4" ? 4 : 8;
  h.data_offset = prefix + header_len;
  const std::uint64_t bytes = std::uint64_t(h.rows) * std::uint64_t(h.cols) * item;
  SAGIPS_REQUIRE(h.data_offset + bytes == file_size,
                 path << ": shape (" << h.rows << ", " << h.cols << ") needs " << bytes << " data bytes, the file has "
                      << (file_size - h.data_offset) << (file_size - h.data_offset < bytes ? " (truncated)" : " (trailing bytes)"));
  return h;
}

// Reads a 2-D float32/float64 array as T [rows, cols] on the host.
template <class T>
HostMatrix<T> read_npy(const std::string& path) {
  static_assert(std::is_floating_point_v<T>, "read_npy<T>: T must be float or double");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  SAGIPS_REQUIRE(in, path << ": cannot open");
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  const NpyHeader h = read_npy_header(in, path, size);
  HostMatrix<T> out("sagips::io::npy", h.rows, h.cols);
  const std::size_t n = std::size_t(h.rows) * std::size_t(h.cols);
  auto read_as = [&](auto tag) {
    using S = decltype(tag);
    std::vector<S> buf(n);
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n * sizeof(S)));
    SAGIPS_REQUIRE(static_cast<std::size_t>(in.gcount()) == n * sizeof(S), path << ": truncated data");
    for (std::size_t k = 0; k < n; ++k) out.data()[k] = static_cast<T>(buf[k]);
  };
  if (h.descr == "<f4")
    read_as(float{});
  else
    read_as(double{});
  return out;
}

// Writes [rows, cols] as a version 1.0 .npy of T (float32 or float64), C order.
template <class T>
void write_npy(const std::string& path, HostMatrix<const T> data) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "write_npy: float or double");
  std::string dict = "{'descr': '" + std::string(std::is_same_v<T, float> ? "<f4" : "<f8") +
                     "', 'fortran_order': False, 'shape': (" + std::to_string(data.extent(0)) + ", " +
                     std::to_string(data.extent(1)) + "), }";
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  SAGIPS_REQUIRE(out, path << ": cannot open for writing");
  const unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(dict.size() & 0xff),
                                  static_cast<unsigned char>(dict.size() >> 8)};
  out.write(reinterpret_cast<const char*>(head), 10);
  out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  for (std::size_t i = 0; i < data.extent(0); ++i)
    out.write(reinterpret_cast<const char*>(&data(i, 0)), static_cast<std::streamsize>(data.extent(1) * sizeof(T)));
  out.flush();
  SAGIPS_REQUIRE(out.good(), path << ": write failed");
}

}  // namespace sagips::io
