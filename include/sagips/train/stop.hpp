#pragma once
// How a run stops before its end, on every rank alike: on request (a signal: runtime/signals.hpp), when
// a pipeline refuses a step's parameters, and when a step's generator gradient is not finite (skipped
// with --skip-nonfinite, up to --max-skipped of the steps); and the words each ends with.
//
// The agreement to stop on request. Each rank looks at
// its own record after every step; the ranks must stop after the same step, so the records travel in
// a small non-blocking reduction started after step s and completed after step s + 1. A signal seen
// by any rank during step s therefore stops every rank after step s + 1, and the reduction never
// makes a rank wait for the others' current step (the asynchronous strategies keep their slack).
//
//   StopAgreement stop(workers);
//   for (long step = first; step <= last; ++step) {
//     train(step);
//     if (int sig = stop.after_step(step, step == last)) { save(step); ...; break; }
//   }

#include <mpi.h>

#include <cstdio>
#include <string>

#include "sagips/options/option.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/signals.hpp"
#include "sagips/runtime/utf8.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/step.hpp"

namespace sagips::train {

class StopAgreement {
 public:
  explicit StopAgreement(MPI_Comm comm) : comm_(comm) {}
  StopAgreement(const StopAgreement&) = delete;
  StopAgreement& operator=(const StopAgreement&) = delete;
  // A collective error unwound the loop on every rank: each has the same reduction in flight, which
  // MPI does not allow to be freed, so it is completed.
  ~StopAgreement() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (pending_ && !finalized) watchdog::wait(comm_, &request_, 1, "the stop agreement, after an error");
  }

  // Called by every rank after each step, in step order. Returns the signal on which the ranks agreed
  // to stop after this step (0: go on). last: no further step follows (nothing new is started; the
  // reduction in flight is completed).
  int after_step(long step, bool last) {
    int agreed = 0;
    if (pending_) {
      watchdog::wait(comm_, &request_, 1, "the stop agreement after step " + std::to_string(step));
      pending_ = false;
      agreed = all_;
    }
    if (agreed != 0 || last) return agreed;
    mine_ = signals::requested();
    MPI_Iallreduce(&mine_, &all_, 1, MPI_INT, MPI_MAX, comm_, &request_);
    pending_ = true;
    return 0;
  }

 private:
  MPI_Comm comm_;
  MPI_Request request_ = MPI_REQUEST_NULL;
  bool pending_ = false;
  int mine_ = 0, all_ = 0;
};

// The line a run stopped on request ends with (run_main prints it once).
inline std::string stopped_message(const TrainerConfig& c, bool has_server, long step, int sig) {
  const std::string m = "interrupted by " + signals::name(sig) + " at step " + std::to_string(step) + "; ";
  if (has_server) return m + "a parameter-server run cannot be continued (--resume is not supported)";
  if (c.checkpoint_every <= 0) return m + "no checkpoint was written (--checkpoint-every 0): it cannot be continued";
  return m + "checkpoint saved in " + utf8::escape_invalid(c.output_dir) + "/checkpoints; continue with --resume";
}

// What to do after a run stopped on an error, given the step of its last checkpoint (0: none).
inline std::string resume_advice(const TrainerConfig& c, long last_checkpoint, bool mention_skip) {
  if (last_checkpoint <= 0) return "no checkpoint was written yet";
  return "the last checkpoint (step " + std::to_string(last_checkpoint) + ", " + utf8::escape_invalid(c.output_dir) +
         "/checkpoints) is intact: continue from it with --resume" +
         (mention_skip ? " --skip-nonfinite to skip such steps," : "") + " or start again with lower learning rates";
}

// After a step that a pipeline refused on some rank (o.failed_ranks): every rank throws the same
// error, each refusing rank's reason and the advice. Collective over the training ranks.
[[noreturn]] inline void stop_refused_step(MPI_Comm workers, const StepOutcome& o, const TrainerConfig& c,
                                           long last_checkpoint) {
  try {
    check_all(workers, o.problem, "the report of a refused step");
  } catch (const CollectiveError& e) {
    throw CollectiveError(std::string(e.what()) + "; the run stopped on every rank (" +
                          resume_advice(c, last_checkpoint, false) + ")");
  }
  throw CollectiveError("a pipeline refused the step, but gave no reason");  // check_all always throws here
}

// After a step whose generator gradient was not finite on some rank (o.nonfinite_ranks), the
// `skipped`-th of this run's `planned` steps: with --skip-nonfinite it is skipped (the reporter says
// so) unless more than --max-skipped of the steps were; otherwise the run stops. Every rank decides
// alike (the verdicts are global).
inline void skip_or_stop(const StepOutcome& o, long step, long skipped, long planned, const TrainerConfig& c,
                         long last_checkpoint, bool reporter) {
  const std::string bad = rank_ranges(o.nonfinite_ranks);
  if (!c.skip_nonfinite)
    throw CollectiveError("non-finite generator gradient at step " + std::to_string(step) + " on rank(s) " + bad +
                          "; the run stopped on every rank (" + resume_advice(c, last_checkpoint, true) + ")");
  if (reporter)
    std::fprintf(stderr, "step %ld skipped on every rank: non-finite generator gradient on rank(s) %s\n", step,
                 bad.c_str());
  if (static_cast<double>(skipped) > c.max_skipped * static_cast<double>(planned))
    throw CollectiveError(std::to_string(skipped) + " of the " + std::to_string(planned) +
                          " steps of this run were skipped for non-finite gradients (the last at step " +
                          std::to_string(step) + ", rank(s) " + bad + "), more than --max-skipped " +
                          options::format_real(c.max_skipped) + " of them: the run stopped on every rank (" +
                          resume_advice(c, last_checkpoint, false) + ")");
}

}  // namespace sagips::train
