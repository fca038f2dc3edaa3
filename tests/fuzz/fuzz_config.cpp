// libFuzzer target for the config-file reader: the input bytes are the text of a --config FILE,
// read the way a program reads one (both option sets added to a CLI::App, then App::parse with
// --config). Every input must end either in a CLI11 error with a message (a clean refusal) or in a
// configuration that validate() accepts; a crash, any other exception, or an accepted configuration
// that validate() refuses is a finding.
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_config.cpp -o fuzz_config
//   ./fuzz_config -runs=1000000 corpus-copy/     (seeds: tests/fuzz/corpus/config/)
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sagips/exchange/config.hpp>
#include <sagips/options/cli.hpp>
#include <sagips/options/json.hpp>
#include <sagips/train/config.hpp>
#include <sagips/train/fingerprint.hpp>
#include <string>
#include <vector>

namespace {

// App::parse reads the config file by name. Each process keeps one scratch file, in memory where
// possible (/dev/shm: rewriting a file on disk costs milliseconds, ext4 flushes a truncated file on
// close), removed at once and reached through /proc/self/fd, so that no run (killed, or ended by
// libFuzzer's _Exit) leaves it behind.
struct Scratch {
  int fd = -1;
  std::string path;
};

const Scratch& scratch() {
  static const Scratch s = [] {
    const std::string pattern =
        std::string(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/sagips-fuzz-config-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    Scratch made;
    made.fd = ::mkstemp(name.data());
    if (made.fd < 0) {
      std::perror("fuzz_config: mkstemp");
      std::abort();
    }
    ::unlink(name.data());
    made.path = "/proc/self/fd/" + std::to_string(made.fd);
    return made;
  }();
  return s;
}

void write_scratch(const std::uint8_t* data, std::size_t size) {
  const int fd = scratch().fd;
  if (::ftruncate(fd, 0) != 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_scratch(data, size);
  // One app for all inputs (building it costs more than parsing); App::parse starts from a clean
  // slate each time, and the structs go back to their defaults.
  static sagips::train::TrainerConfig cfg;
  static sagips::exchange::Config xcfg;
  static CLI::App app{"fuzz_config"};
  static const bool added = [] {
    sagips::options::add_options(app, cfg);
    sagips::options::add_options(app, xcfg);
    return true;
  }();
  (void)added;
  cfg = {};
  xcfg = {};
  std::vector<std::string> args = {"fuzz_config", "--config", scratch().path};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (std::string(e.what()).empty()) std::abort();  // a refusal must say why
    return 0;
  }
  if (!sagips::train::validate(cfg).empty() || !sagips::exchange::validate(xcfg).empty()) std::abort();
  return 0;
}
