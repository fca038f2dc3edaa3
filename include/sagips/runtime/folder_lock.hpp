#pragma once
// One run per output folder. Two jobs writing into the same folder (a requeued job while the old one
// still runs, a copied job script) would destroy each other's results: the second one's metrics.csv
// replaces the file the first still appends to, its summary.json overwrites the first's. A run holds
// a lock on <folder>/.sagips-lock, an advisory record lock of the whole file (fcntl, which NFS and
// Lustre with -o flock pass between nodes), for as long as it writes there; the file says who holds
// it (host, process, user, start time, program), so that a second run is refused naming the holder:
//
//   cannot use the output folder 'out': another run holds it (host node17, pid 4242, user ana, since
//   2026-12-06 04:31:07 UTC, proxy2d); wait for it to end, or give another --output
//
// The lock goes with the process that holds it, however it ends (a crash or kill -9 included), so
// nothing stale is left to clean up; the file itself stays. Within one process the lock is counted:
// acquiring a folder this process holds already succeeds (App takes it before loading the data, its
// trainer again when it starts writing). Where the filesystem has no record locks (ENOLCK, ENOSYS,
// EOPNOTSUPP), the run goes on unlocked and says so once.

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"
#include "sagips/runtime/utf8.hpp"

namespace sagips::files {

// The folder is held by another run (the message names it).
class FolderInUse : public Error {
 public:
  using Error::Error;
};

class FolderLock {
 public:
  FolderLock() = default;
  FolderLock(FolderLock&& o) noexcept : key_(std::exchange(o.key_, std::string())) {}
  FolderLock& operator=(FolderLock&& o) noexcept {
    if (this != &o) {
      release();
      key_ = std::exchange(o.key_, std::string());
    }
    return *this;
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  ~FolderLock() { release(); }

  // Locks `folder` (which must exist) for this process, or throws FolderInUse naming the holder.
  static FolderLock acquire(const std::filesystem::path& folder) {
    std::error_code ec;
    const std::string key = std::filesystem::weakly_canonical(folder, ec).string();
    auto& held = registry();
    if (auto it = held.find(key); it != held.end()) {
      ++it->second.count;
      return FolderLock(key);
    }
    const std::filesystem::path file = folder / ".sagips-lock";
    const int fd = detail::open_retrying(file.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0) detail::fail("cannot open the lock file " + file.string(), errno);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;  // the whole file
    if (::fcntl(fd, F_SETLK, &fl) != 0) {
      const int err = errno;
      if (err == EACCES || err == EAGAIN) {
        const std::string holder = read_holder(fd);
        ::close(fd);
        throw FolderInUse("cannot use the output folder '" + utf8::escape_invalid(folder.string()) + "': another run holds it (" +
                    (holder.empty() ? std::string("its lock file says nothing more") : holder) +
                    "); wait for it to end, or give another --output");
      }
      if (err != ENOLCK && err != ENOSYS && err != EOPNOTSUPP && err != EINVAL) {
        ::close(fd);
        detail::fail("cannot lock " + file.string(), err);
      }
      std::fprintf(stderr,
                   "warning: the filesystem of %s has no record locks (%s): nothing stops a second run from "
                   "writing into the same folder\n",
                   folder.c_str(), describe_errno(err).c_str());
    }
    const std::string who = describe_self() + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, who.data(), who.size(), 0) != static_cast<ssize_t>(who.size())) {
      // The lock holds without its description; a refused run then says less. Not worth failing for.
    }
    held.emplace(key, Held{fd, 1});
    return FolderLock(key);
  }

  bool held() const { return !key_.empty(); }

  void release() {
    if (key_.empty()) return;
    auto& held = registry();
    auto it = held.find(key_);
    if (it != held.end() && --it->second.count == 0) {
      ::close(it->second.fd);  // closing releases the lock (the file stays, describing the last holder)
      held.erase(it);
    }
    key_.clear();
  }

 private:
  struct Held {
    int fd;
    int count;
  };
  explicit FolderLock(std::string key) : key_(std::move(key)) {}

  // This process's locks. A child made by fork() inherits the map but not the locks (record locks
  // belong to a process): there it starts empty, leaving the parent's descriptors alone.
  static std::map<std::string, Held>& registry() {
    static std::map<std::string, Held> held;
    static pid_t owner = ::getpid();
    if (owner != ::getpid()) {
      held.clear();
      owner = ::getpid();
    }
    return held;
  }

  // "host node17, pid 4242, user ana, since 2026-12-06 04:31:07 UTC, proxy2d"
  static std::string describe_self() {
    std::string program;
    if (const auto text = read_file_if_present("/proc/self/comm")) program = *text;  // Linux: the executable's name
    while (!program.empty() && (program.back() == '\n' || program.back() == '\r')) program.pop_back();
    char host[256] = "?";
    if (::gethostname(host, sizeof host) != 0) std::snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    const struct passwd* pw = ::getpwuid(::geteuid());
    char when[64] = "?";
    const std::time_t now = std::time(nullptr);
    struct tm utc {};
    if (::gmtime_r(&now, &utc) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
    return "host " + std::string(host) + ", pid " + std::to_string(::getpid()) + ", user " +
           (pw != nullptr ? std::string(pw->pw_name) : std::to_string(::geteuid())) + ", since " + when +
           (program.empty() ? std::string() : ", " + program);
  }

  static std::string read_holder(int fd) {
    char buf[512];
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    for (char& c : s)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return s;
  }

  std::string key_;
};

}  // namespace sagips::files
