#pragma once
// Stop requests by signal. A batch scheduler ends a job with SIGTERM (then SIGKILL after a grace
// period), Slurm's `--signal=USR1@T` warns ahead with SIGUSR1, a terminal sends SIGINT, a closed
// session SIGHUP. While a StopRequests object lives, these four only record that a stop was asked
// for; the trainer looks at the record between steps, agrees with the other ranks, saves a checkpoint
// and ends the job with exit code signals::exit_code (75, sysexits' EX_TEMPFAIL: "try again later",
// here with --resume). A second SIGINT (Ctrl-C pressed again) ends the process at once. Outside its
// lifetime the signals do what they did before.
//
// A SIGHUP or SIGINT that is ignored when the first StopRequests is made stays ignored: `nohup`
// ignores SIGHUP, and a shell without job control starts `cmd &` with SIGINT ignored; both mean "do
// not stop on this". SIGTERM and SIGUSR1 are a scheduler's explicit requests and are always recorded.
//
//   sagips::signals::StopRequests guard;           // from here on the four signals are recorded
//   if (int s = sagips::signals::requested()) ...  // 0, or the first signal received
//
// Under OpenMPI's mpirun a SIGTERM or SIGINT to mpirun reaches every rank as SIGTERM, followed by
// SIGKILL after odls_base_sigkill_timeout seconds (1 by default; docs/training.md says how to raise
// it for long steps). SIGUSR1 is forwarded by mpirun as it is.
//
// Nothing here needs MPI or Kokkos. The handlers only store to a lock-free atomic.

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>

namespace sagips::signals {

// The exit code of a job that stopped on request after saving its state.
constexpr int exit_code = 75;

namespace detail {
inline std::atomic<int>& first_signal() {
  static std::atomic<int> s{0};
  return s;
}
inline int& guards() {
  static int n = 0;
  return n;
}
inline void record(int sig) {
  int none = 0;
  if (first_signal().compare_exchange_strong(none, sig) || sig != SIGINT) return;
  // A second Ctrl-C: the user wants out now (the default action, through the default handler).
  std::signal(SIGINT, SIG_DFL);
  std::raise(SIGINT);
}
constexpr int caught[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
// An ignored SIGHUP (nohup) or SIGINT (a background job of a shell) stays ignored.
constexpr bool may_stay_ignored(int sig) { return sig == SIGHUP || sig == SIGINT; }
inline struct sigaction (&previous())[4] {
  static struct sigaction p[4];
  return p;
}
}  // namespace detail

// The first stop signal received while a StopRequests lived (0: none).
inline int requested() { return detail::first_signal().load(); }

// "SIGTERM" for SIGTERM.
inline std::string name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    default: return "signal " + std::to_string(sig);
  }
}

// Records the four stop signals while it lives (nested objects share one installation; the last one
// to go restores the handlers that were there before, and forgets a recorded signal).
class StopRequests {
 public:
  StopRequests() {
    if (detail::guards()++ > 0) return;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = &detail::record;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // a system call interrupted by the signal continues
    for (int i = 0; i < 4; ++i) {
      const int sig = detail::caught[i];
      sigaction(sig, nullptr, &detail::previous()[i]);
      if (detail::may_stay_ignored(sig) && detail::previous()[i].sa_handler == SIG_IGN) continue;
      sigaction(sig, &sa, nullptr);
    }
  }
  ~StopRequests() {
    if (--detail::guards() > 0) return;
    for (int i = 0; i < 4; ++i) sigaction(detail::caught[i], &detail::previous()[i], nullptr);
    detail::first_signal().store(0);
  }
  StopRequests(const StopRequests&) = delete;
  StopRequests& operator=(const StopRequests&) = delete;
};

}  // namespace sagips::signals
