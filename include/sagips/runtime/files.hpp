#pragma once
// Files that survive a full disk, a crash and a power cut. Everything a training run writes goes
// through these few POSIX-level helpers, because a C++ stream reports a failed write late or not at
// all (its buffer is flushed in a destructor that cannot throw) and never says why:
//
//   write_file_durably(path, bytes)   whole files (checkpoints, `latest`, samples.csv, summary.json):
//                                     write <path>.tmp, check every byte, fsync it, rename it over
//                                     path, fsync the folder. A reader sees the old file or the new
//                                     one, never a mix, and once it returns the new one is on disk.
//   AppendFile                        append-only logs (metrics.csv): each append is written whole
//                                     and synced, or the file is cut back to where it was and the
//                                     append throws.
//   read_file / read_file_if_present  whole-file reads that tell a missing file from an unreadable one.
//   checksum64(bytes)                 a 64-bit hash to detect a file changed after it was written.
//
// Every failure throws sagips::Error naming the file and the cause from errno
// ("cannot write out/metrics.csv: No space left on device").

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sagips/runtime/error.hpp"

namespace sagips::files {

// "No space left on device" for ENOSPC.
inline std::string describe_errno(int err) { return std::generic_category().message(err); }

namespace detail {
[[noreturn]] inline void fail(const std::string& what, int err) { throw Error(what + ": " + describe_errno(err)); }

// Writes all of bytes at the file offset, retrying short writes and interruptions; false with errno
// set when the system refuses (a short write followed by ENOSPC is how a filling disk shows).
inline bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (w == 0) {  // no progress and no error: treat as a full device rather than spin
      errno = ENOSPC;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

inline int open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do fd = ::open(path, flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

inline std::filesystem::path parent_or_dot(const std::filesystem::path& p) {
  return p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
}
}  // namespace detail

// Makes the folder's entries (files created, renamed or removed in it) durable. Filesystems that
// cannot sync a folder say EINVAL; there is nothing more to do on those.
inline void sync_directory(const std::filesystem::path& dir) {
  const int fd = detail::open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) detail::fail("cannot open folder " + dir.string() + " to sync it", errno);
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    detail::fail("cannot sync folder " + dir.string(), err);
  }
  ::close(fd);
}

// create_directories, plus a sync of each new folder's parent so that the folders outlive a crash.
inline void create_directories_durably(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty() && !fs::exists(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create folder " + dir.string() + ": " + ec.message());
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) sync_directory(detail::parent_or_dot(*it));
}

// rename(2), then a sync of the destination's folder (and the source's, when it differs).
inline void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    detail::fail("cannot rename " + from.string() + " to " + to.string(), errno);
  sync_directory(detail::parent_or_dot(to));
  if (detail::parent_or_dot(from) != detail::parent_or_dot(to)) sync_directory(detail::parent_or_dot(from));
}

// Replaces path with bytes, atomically and durably (see the top of this file). On failure path is
// untouched, the temporary file is removed (it would hold the space a full disk needs back) and
// the error names path and the cause.
inline void write_file_durably(const std::filesystem::path& path, std::string_view bytes) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = detail::open_retrying(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) detail::fail("cannot write " + path.string() + " (creating " + tmp + ")", errno);
  std::string failure;
  int err = 0;
  if (!detail::write_all(fd, bytes.data(), bytes.size())) {
    err = errno;
    failure = "cannot write " + path.string();
  } else if (::fsync(fd) != 0) {
    err = errno;
    failure = "cannot write " + path.string() + ": fsync failed";
  }
  // close() is where some filesystems (NFS) report a failed write.
  if (::close(fd) != 0 && failure.empty() && errno != EINTR) {
    err = errno;
    failure = "cannot write " + path.string() + ": close failed";
  }
  if (failure.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    failure = "cannot write " + path.string() + ": renaming " + tmp + " failed";
  }
  if (!failure.empty()) {
    ::unlink(tmp.c_str());
    detail::fail(failure, err);
  }
  sync_directory(detail::parent_or_dot(path));
}

// The whole file; nullopt when it does not exist. Any other failure (a folder in its place, no
// permission, an I/O error) throws, so an unreadable file is never mistaken for an absent one.
inline std::optional<std::string> read_file_if_present(const std::filesystem::path& path) {
  const int fd = detail::open_retrying(path.c_str(), O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    detail::fail("cannot read " + path.string(), errno);
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      detail::fail("cannot read " + path.string(), err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

inline std::string read_file(const std::filesystem::path& path) {
  auto text = read_file_if_present(path);
  if (!text) detail::fail("cannot read " + path.string(), ENOENT);
  return std::move(*text);
}

// An append-only file. append() writes its text whole and syncs it, so a row that append() accepted
// survives a crash; when the system refuses, the file is cut back to its length before the call (no
// half row is left for a later reader) and append() throws.
class AppendFile {
 public:
  AppendFile() = default;
  explicit AppendFile(std::string path) : path_(std::move(path)) {
    fd_ = detail::open_retrying(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd_ < 0) detail::fail("cannot open " + path_ + " for writing", errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      close_quietly();
      detail::fail("cannot open " + path_ + " for writing", err);
    }
    size_ = st.st_size;
  }
  AppendFile(AppendFile&& o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)), size_(o.size_) {}
  AppendFile& operator=(AppendFile&& o) noexcept {
    if (this != &o) {
      close_quietly();
      path_ = std::move(o.path_);
      fd_ = std::exchange(o.fd_, -1);
      size_ = o.size_;
    }
    return *this;
  }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() { close_quietly(); }

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  void append(std::string_view text) {
    SAGIPS_REQUIRE(is_open(), "cannot write " << (path_.empty() ? std::string("a file") : path_)
                                              << ": it is not open");
    if (!detail::write_all(fd_, text.data(), text.size())) {
      const int err = errno;
      [[maybe_unused]] const int cut = ::ftruncate(fd_, size_);  // best effort: the error below matters
      detail::fail("cannot write " + path_, err);
    }
    if (::fdatasync(fd_) != 0) {
      const int err = errno;
      [[maybe_unused]] const int cut = ::ftruncate(fd_, size_);
      detail::fail("cannot write " + path_ + ": fdatasync failed", err);
    }
    size_ += static_cast<off_t>(text.size());
  }

 private:
  void close_quietly() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::string path_;
  int fd_ = -1;
  off_t size_ = 0;
};

// A 64-bit hash of bytes, to detect a file changed after it was written (not an adversary): FNV-1a's
// xor-multiply step over 8-byte words, each step followed by an xor-shift so that high bits reach the
// low ones. Every step is a bijection of the state, so any change confined to one word always changes
// the result.
inline std::uint64_t checksum64(std::string_view bytes) {
  constexpr std::uint64_t prime = 0x100000001b3ull;
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](std::uint64_t word) {
    h = (h ^ word) * prime;
    h ^= h >> 32;
  };
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    mix(word);
  }
  for (; i < bytes.size(); ++i) mix(static_cast<unsigned char>(bytes[i]));
  mix(bytes.size());  // so that trailing zero bytes count
  return h;
}

}  // namespace sagips::files
