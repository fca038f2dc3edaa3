// Fault injection for tests: loaded with LD_PRELOAD, it makes chosen file operations fail the way a
// full (or failing) disk does, so that the tests exercise the real error paths of real programs.
//
// It stands in front of the C library's write, pwrite, writev, fsync, fdatasync, rename and
// renameat, and passes every call through unchanged unless a fault is armed and the call touches a
// file whose path contains the armed substring (for writes and syncs, the path the descriptor has
// now, from /proc/self/fd). Arming, from the environment when the library is loaded:
//
//   SAGIPS_FAULT_PATH=<substring>   the files to fail (unset or empty: nothing is failed)
//   SAGIPS_FAULT_OP=write           write (default): write/pwrite/writev; fsync: fsync/fdatasync;
//                                   rename: rename/renameat (either name matching)
//   SAGIPS_FAULT_AFTER=<n>          for write, the bytes that still fit (a write across the limit is
//                                   cut short there, as on a filling disk); otherwise the calls that
//                                   still succeed. Default 0.
//   SAGIPS_FAULT_TIMES=<n>          the fault clears after n failed calls (a transient fault);
//                                   default 0: it never clears
//   SAGIPS_FAULT_ERRNO=ENOSPC       the error: ENOSPC (default), EDQUOT, EIO, EROFS, EFBIG or a number
//
// or at run time from a test in the same process, through dlsym(RTLD_DEFAULT, ...):
//   int sagips_fault_arm(const char* op, const char* path, long long after, long long times,
//                        const char* error);   // path null or "": disarm. 0, or -1 for a bad op/error
//   long long sagips_fault_count();            // failures injected since the last arming

// Both pwrite and pwrite64 are defined below: without this, the build's _FILE_OFFSET_BITS=64 would
// turn the first into a second definition of pwrite64. A compiler driver that includes system headers
// before this line (nvcc does) keeps the 64-bit names: then `pwrite` already means pwrite64 and is
// defined once, below, under that name (see SAGIPS_PWRITE_IS_PWRITE64).
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#if defined(__USE_FILE_OFFSET64)
#define SAGIPS_PWRITE_IS_PWRITE64 1
#endif

namespace {

enum class Op { none, write, fsync, rename };

struct Fault {
  std::mutex m;
  Op op = Op::none;
  std::string path;
  long long after = 0, times = 0, used = 0, failures = 0;
  int error = ENOSPC;
};

Fault& fault() {
  static Fault f;
  return f;
}

template <class F>
F real(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (!p) std::abort();  // no C library function to pass calls to: nothing sensible is left to do
  return reinterpret_cast<F>(p);
}

int parse_error(const char* s) {
  if (!s || !*s) return ENOSPC;
  const struct {
    const char* name;
    int value;
  } known[] = {{"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EIO", EIO}, {"EROFS", EROFS}, {"EFBIG", EFBIG}};
  for (const auto& k : known)
    if (std::strcmp(s, k.name) == 0) return k.value;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  return end && *end == '\0' && v > 0 ? static_cast<int>(v) : -1;
}

Op parse_op(const char* s) {
  if (!s || !*s || std::strcmp(s, "write") == 0) return Op::write;
  if (std::strcmp(s, "fsync") == 0) return Op::fsync;
  if (std::strcmp(s, "rename") == 0) return Op::rename;
  return Op::none;
}

int arm(const char* op, const char* path, long long after, long long times, const char* error) {
  Fault& f = fault();
  std::lock_guard<std::mutex> lock(f.m);
  f.op = Op::none;
  f.used = f.failures = 0;
  if (!path || !*path) return 0;
  const Op o = parse_op(op);
  const int e = parse_error(error);
  if (o == Op::none || e < 0) return -1;
  f.op = o;
  f.path = path;
  f.after = after;
  f.times = times;
  f.error = e;
  return 0;
}

__attribute__((constructor)) void arm_from_environment() {
  auto number = [](const char* name) {
    const char* v = std::getenv(name);
    return v ? std::atoll(v) : 0LL;
  };
  if (arm(std::getenv("SAGIPS_FAULT_OP"), std::getenv("SAGIPS_FAULT_PATH"), number("SAGIPS_FAULT_AFTER"),
          number("SAGIPS_FAULT_TIMES"), std::getenv("SAGIPS_FAULT_ERRNO")) != 0) {
    static const char msg[] = "fault_inject: bad SAGIPS_FAULT_OP or SAGIPS_FAULT_ERRNO\n";
    [[maybe_unused]] auto ignored = real<ssize_t (*)(int, const void*, size_t)>("write")(2, msg, sizeof msg - 1);
    std::abort();
  }
}

bool fd_matches(int fd, const std::string& needle) {
  char link[64], target[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  return std::strstr(target, needle.c_str()) != nullptr;
}

// How much of a call of `size` units may go through: `size` (all of it, or not a call we fail),
// fewer (cut short at the limit) or 0 (fail it, errno set).
long long allowed(Op op, long long size, const char* name1, const char* name2 = nullptr, int fd = -1) {
  Fault& f = fault();
  std::lock_guard<std::mutex> lock(f.m);
  if (f.op != op || (f.times > 0 && f.failures >= f.times)) return size;
  const bool match = fd >= 0 ? fd_matches(fd, f.path)
                             : (name1 && std::strstr(name1, f.path.c_str())) ||
                                   (name2 && std::strstr(name2, f.path.c_str()));
  if (!match) return size;
  const long long room = f.after - f.used;
  if (room >= size) {
    f.used += size;
    return size;
  }
  if (room > 0) {
    f.used += room;
    return room;
  }
  ++f.failures;
  errno = f.error;
  return 0;
}

using WriteFn = ssize_t (*)(int, const void*, size_t);
using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using WritevFn = ssize_t (*)(int, const struct iovec*, int);
using SyncFn = int (*)(int);
using RenameFn = int (*)(const char*, const char*);
using RenameatFn = int (*)(int, const char*, int, const char*);

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int sagips_fault_arm(const char* op, const char* path, long long after,
                                                            long long times, const char* error) {
  return arm(op, path, after, times, error);
}

__attribute__((visibility("default"))) long long sagips_fault_count() {
  std::lock_guard<std::mutex> lock(fault().m);
  return fault().failures;
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void* buf, size_t n) {
  static const auto next = real<WriteFn>("write");
  if (n == 0) return next(fd, buf, n);
  const long long ok = allowed(Op::write, static_cast<long long>(n), nullptr, nullptr, fd);
  return ok == 0 ? -1 : next(fd, buf, static_cast<size_t>(ok));
}

#ifndef SAGIPS_PWRITE_IS_PWRITE64
__attribute__((visibility("default"))) ssize_t pwrite(int fd, const void* buf, size_t n, off_t at) {
  static const auto next = real<PwriteFn>("pwrite");
  if (n == 0) return next(fd, buf, n, at);
  const long long ok = allowed(Op::write, static_cast<long long>(n), nullptr, nullptr, fd);
  return ok == 0 ? -1 : next(fd, buf, static_cast<size_t>(ok), at);
}
#endif

__attribute__((visibility("default"))) ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t at) {
  static const auto next = real<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  if (n == 0) return next(fd, buf, n, at);
  const long long ok = allowed(Op::write, static_cast<long long>(n), nullptr, nullptr, fd);
  return ok == 0 ? -1 : next(fd, buf, static_cast<size_t>(ok), at);
}

__attribute__((visibility("default"))) ssize_t writev(int fd, const struct iovec* iov, int count) {
  static const auto next = real<WritevFn>("writev");
  long long total = 0;
  for (int i = 0; i < count; ++i) total += static_cast<long long>(iov[i].iov_len);
  if (total == 0) return next(fd, iov, count);
  long long ok = allowed(Op::write, total, nullptr, nullptr, fd);
  if (ok == 0) return -1;
  if (ok == total) return next(fd, iov, count);
  std::vector<struct iovec> cut;  // the first `ok` bytes only
  for (int i = 0; i < count && ok > 0; ++i) {
    struct iovec part = iov[i];
    if (static_cast<long long>(part.iov_len) > ok) part.iov_len = static_cast<size_t>(ok);
    ok -= static_cast<long long>(part.iov_len);
    cut.push_back(part);
  }
  return next(fd, cut.data(), static_cast<int>(cut.size()));
}

__attribute__((visibility("default"))) int fsync(int fd) {
  static const auto next = real<SyncFn>("fsync");
  return allowed(Op::fsync, 1, nullptr, nullptr, fd) == 0 ? -1 : next(fd);
}

__attribute__((visibility("default"))) int fdatasync(int fd) {
  static const auto next = real<SyncFn>("fdatasync");
  return allowed(Op::fsync, 1, nullptr, nullptr, fd) == 0 ? -1 : next(fd);
}

__attribute__((visibility("default"))) int rename(const char* from, const char* to) noexcept {
  static const auto next = real<RenameFn>("rename");
  return allowed(Op::rename, 1, from, to) == 0 ? -1 : next(from, to);
}

__attribute__((visibility("default"))) int renameat(int dfrom, const char* from, int dto, const char* to) noexcept {
  static const auto next = real<RenameatFn>("renameat");
  return allowed(Op::rename, 1, from, to) == 0 ? -1 : next(dfrom, from, dto, to);
}

}  // extern "C"
