// The host runtime a long run relies on: stop signals recorded (not fatal) while a StopRequests lives,
// a Deadline that ends a hung process with 124 and says why, a folder lock that refuses a second
// process naming the holder, text made valid UTF-8 for JSON without losing what it names, and the
// versions a program reports.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <sagips/runtime/deadline.hpp>
#include <sagips/runtime/folder_lock.hpp>
#include <sagips/runtime/serialize.hpp>
#include <sagips/runtime/signals.hpp>
#include <sagips/runtime/utf8.hpp>
#include <sagips/version.hpp>
#include <sstream>
#include <string>

namespace {
namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("sagips-runtime-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Runs f in a child process (which touches no MPI) and returns its exit status; its stderr in *err.
template <class F>
int in_child(F&& f, std::string* err = nullptr) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    ::dup2(pipe_fds[1], 2);
    int code = 99;  // an exception: the child must never go back into the test runner
    try {
      code = f();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s", e.what());
    } catch (...) {
    }
    std::_Exit(code);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (err) *err = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

// A launcher may start the tests with some of these signals ignored (ignoring is inherited): each
// signal case starts from the default actions.
static void default_stop_signals() {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) std::signal(sig, SIG_DFL);
}

TEST_CASE("core/signals: the four stop signals are recorded while a StopRequests lives, not after") {
  default_stop_signals();
  CHECK(sagips::signals::requested() == 0);
  {
    sagips::signals::StopRequests outer;
    {
      sagips::signals::StopRequests inner;  // nested: one installation
      std::raise(SIGHUP);
      CHECK(sagips::signals::requested() == SIGHUP);
      std::raise(SIGTERM);
      CHECK(sagips::signals::requested() == SIGHUP);  // the first one is kept
    }
    CHECK(sagips::signals::requested() == SIGHUP);  // the outer guard still lives
  }
  CHECK(sagips::signals::requested() == 0);
  // Afterwards the default action is back: SIGUSR1 ends a child process.
  CHECK(in_child([] {
          std::raise(SIGUSR1);
          return 0;
        }) == 128 + SIGUSR1);
  // Ctrl-C twice: the first is a stop request, the second ends the process at once.
  CHECK(in_child([] {
          sagips::signals::StopRequests guard;
          std::raise(SIGINT);
          if (sagips::signals::requested() != SIGINT) return 1;
          std::raise(SIGINT);
          return 2;
        }) == 128 + SIGINT);
  CHECK(sagips::signals::name(SIGINT) == "SIGINT");
  CHECK(sagips::signals::exit_code == 75);
}

TEST_CASE("core/signals: an ignored SIGHUP (nohup) or SIGINT stays ignored; SIGTERM and SIGUSR1 are recorded anyway") {
  default_stop_signals();
  CHECK(in_child([] {
          std::signal(SIGHUP, SIG_IGN);
          std::signal(SIGINT, SIG_IGN);
          {
            sagips::signals::StopRequests guard;
            std::raise(SIGHUP);
            std::raise(SIGINT);
            if (sagips::signals::requested() != 0) return 1;
          }
          struct sigaction now;
          sigaction(SIGHUP, nullptr, &now);
          return now.sa_handler == SIG_IGN ? 0 : 2;  // still ignored afterwards
        }) == 0);
  CHECK(in_child([] {
          std::signal(SIGTERM, SIG_IGN);
          std::signal(SIGUSR1, SIG_IGN);
          sagips::signals::StopRequests guard;
          std::raise(SIGUSR1);
          std::raise(SIGTERM);
          return sagips::signals::requested() == SIGUSR1 ? 0 : 1;
        }) == 0);
}

TEST_CASE("core/deadline: a hung call ends the process with 124 and says which; a finished one costs nothing") {
  std::string err;
  const int code = in_child(
      [] {
        sagips::Deadline watch(0.2, "MPI_Init", "a rank of this job did not start");
        ::sleep(30);  // "hung"
        return 0;
      },
      &err);
  CHECK(code == 124);
  CHECK(contains(err, "[sagips watchdog] rank "));
  CHECK(contains(err, "MPI_Init has not returned after 0.2 s: a rank of this job did not start; exiting"));
  CHECK(in_child([] {
          { sagips::Deadline watch(5, "MPI_Finalize", "unused"); }
          return 7;
        }) == 7);
  { sagips::Deadline off(0, "nothing", "no timer at all"); }
}

TEST_CASE("core/folder_lock: a second process is refused naming the holder; the holding process may lock again") {
  const fs::path dir = scratch("lock");
  {
    auto lock = sagips::files::FolderLock::acquire(dir);
    CHECK(lock.held());
    auto again = sagips::files::FolderLock::acquire(dir);  // the same process: counted
    std::string err;
    const int code = in_child(
        [&] {
          try {
            sagips::files::FolderLock::acquire(dir);
          } catch (const sagips::files::FolderInUse& e) {
            std::fprintf(stderr, "%s", e.what());
            return 3;
          }
          return 0;
        },
        &err);
    CHECK(code == 3);
    CHECK(contains(err, "cannot use the output folder '" + dir.string() + "': another run holds it (host "));
    CHECK(contains(err, "pid " + std::to_string(::getpid()) + ", user "));
    again.release();
    CHECK(in_child([&] { return sagips::files::FolderLock::acquire(dir).held() ? 0 : 1; }) == 99);  // still held
  }
  // Released with the last holder: another process takes it.
  CHECK(in_child([&] { return sagips::files::FolderLock::acquire(dir).held() ? 0 : 1; }) == 0);
  fs::remove_all(dir);
}

TEST_CASE("core/utf8: valid UTF-8 is kept; any other byte becomes \\xNN") {
  CHECK(sagips::utf8::valid("plain/path"));
  CHECK(sagips::utf8::valid("na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(sagips::utf8::valid("out\xff"));
  CHECK_FALSE(sagips::utf8::valid("\xc0\xaf"));          // an overlong '/'
  CHECK_FALSE(sagips::utf8::valid("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(sagips::utf8::valid("\xe2\x82"));          // cut short
  CHECK(sagips::utf8::escape_invalid("out-\xff/x") == "out-\\xff/x");
  CHECK(sagips::utf8::escape_invalid("\xe2\x82\xac\xe2\x82") == "\xe2\x82\xac\\xe2\\x82");
  CHECK(sagips::utf8::escape_invalid("ok") == "ok");
}

TEST_CASE("core/serialize: a section whose name does not match is shown with its bytes escaped") {
  std::ostringstream os;
  sagips::BinaryWriter(os).value(std::string("check\x01sum", 9), 1.0);
  std::istringstream in(os.str());
  double v = 0;
  CHECK_THROWS_WITH_AS(sagips::BinaryReader(in, "f.bin").value("checksum", v),
                       "f.bin: expected section 'checksum', found 'check\\x01sum'", sagips::Error);
}

TEST_CASE("version: sagips's version is the project's; versions() names sagips, Kokkos and MPI") {
  CHECK(std::string(SAGIPS_VERSION) == SAGIPS_PROJECT_VERSION);  // meson.build's, passed by the test's build
  const auto v = sagips::versions();
  CHECK(v.at("sagips") == SAGIPS_VERSION);
  CHECK(contains(v.at("kokkos"), "."));
  CHECK(contains(v.at("mpi"), "(MPI "));
}
