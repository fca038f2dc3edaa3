#pragma once
// Events as NumPy .npy files: arrays of float32 or float64 (either byte order) in C order, 2-D
// [events, dimension] or 1-D [events] (dimension 1), format versions 1.0-3.0.
//
// The reader refuses anything but a regular file (a FIFO or device would block or never end), then
// validates the whole header before it allocates (npy_header.hpp: magic, version, header length, the
// dict, dtype, order, shape, and a file size that matches rows x columns x item size exactly). Every
// failure is a sagips::Error naming the file and the cause.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <type_traits>

#include "sagips/core/views.hpp"
#include "sagips/io/npy_header.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::io {

namespace detail {

inline const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "is a socket";
  if (S_ISCHR(mode)) return "is a character device";
  if (S_ISBLK(mode)) return "is a block device";
  return "is not a regular file";
}

// A regular file opened for reading. O_NONBLOCK keeps open() from waiting for a FIFO's writer, so
// the S_ISREG check after it can refuse the FIFO instead of hanging.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    const int open_errno = errno;
    SAGIPS_REQUIRE(fd_ >= 0, path << ": cannot open: " << std::strerror(open_errno));
    struct stat st {};
    const int stat_rc = ::fstat(fd_, &st);
    const int stat_errno = errno;
    if (stat_rc != 0 || !S_ISREG(st.st_mode)) ::close(fd_);
    SAGIPS_REQUIRE(stat_rc == 0, path << ": cannot stat: " << std::strerror(stat_errno));
    SAGIPS_REQUIRE(S_ISREG(st.st_mode), path << ": " << file_kind(st.st_mode) << ", not a .npy file");
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile() { ::close(fd_); }

  std::uint64_t size() const { return size_; }

  // Exactly n bytes from offset; a file that shrank since fstat is reported as truncated.
  std::string read_at(std::uint64_t offset, std::size_t n) const {
    std::string out(n, '\0');
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(offset + done));
      const int read_errno = errno;
      if (got < 0 && read_errno == EINTR) continue;
      SAGIPS_REQUIRE(got >= 0, path_ << ": read failed: " << std::strerror(read_errno));
      SAGIPS_REQUIRE(got > 0, path_ << ": truncated (the file shrank while being read)");
      done += static_cast<std::size_t>(got);
    }
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace detail

// Reads a float32/float64 array as T [rows, cols] on the host; a 1-D array (N,) gives [N, 1].
template <class T>
HostMatrix<T> read_npy(const std::string& path) {
  static_assert(std::is_floating_point_v<T>, "read_npy<T>: T must be float or double");
  const detail::ReadOnlyFile file(path);
  const std::string prefix = file.read_at(0, static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), npy_max_prefix_bytes)));
  const NpyHeaderResult parsed = parse_npy_header(prefix, file.size());
  SAGIPS_REQUIRE(parsed.error.empty(), path << ": " << parsed.error);
  const NpyHeader& h = parsed.header;
  const std::string data = file.read_at(h.data_offset, static_cast<std::size_t>(h.data_bytes()));
  HostMatrix<T> out("sagips::io::npy", h.rows, h.cols);
  const std::string error = decode_npy_data(h, data, out.data());
  SAGIPS_REQUIRE(error.empty(), path << ": " << error);
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
