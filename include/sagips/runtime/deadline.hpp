#pragma once
// sagips::Deadline: a timer that needs no MPI, for the calls the stall watchdog cannot watch because
// MPI is not (or no longer) there to carry its notices: MPI_Init and MPI_Finalize. While a Deadline
// lives, a thread of its own waits; if the Deadline is still alive after `seconds`, the thread prints
//
//   [sagips watchdog] rank 3: MPI_Init has not returned after 600 s: <why>; exiting
//
// (the rank as the launcher's environment names it, since MPI cannot be asked) and ends the process
// with exit code 124, the watchdog's, so that the launcher ends the job instead of leaving every
// other rank to wait for ever. seconds <= 0: no timer.
//
//   { sagips::Deadline watch(600, "MPI_Init", "a rank of this job did not start"); MPI_Init(...); }

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace sagips {

class Deadline {
 public:
  Deadline(double seconds, std::string call, std::string why) {
    if (!(seconds > 0)) return;
    thread_ = std::thread([this, seconds, call = std::move(call), why = std::move(why)] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (done_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return finished_; })) return;
      std::fprintf(stderr, "[sagips watchdog] rank %s: %s has not returned after %g s: %s; exiting\n",
                   launcher_rank().c_str(), call.c_str(), seconds, why.c_str());
      std::fflush(stderr);
      std::_Exit(124);
    });
  }
  ~Deadline() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
    }
    done_.notify_all();
    thread_.join();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // This process's rank as the launcher set it in the environment (OpenMPI, MPICH/Hydra, Slurm, PMIx),
  // or "?".
  static std::string launcher_rank() {
    for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
      if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return v;
    return "?";
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace sagips
