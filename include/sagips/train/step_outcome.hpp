#pragma once
// What a training step leaves behind and agrees on, beside the step itself (step.hpp): the ranks'
// verdicts on it (one small collective per step, overlapped with the step's other work), the outcome
// the report reads, and the loss sums it leaves in device memory without waiting for them.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <string>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/loss/losses.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::train {

// The ranks' verdicts on a step, gathered beside the exchange (one small collective per step,
// overlapped with the discriminator's real half): 0 all is well, 1 the generator's gradient is not
// finite, 2 the pipeline refused the step's parameters.
enum class Verdict : int { ok = 0, nonfinite_gradient = 1, pipeline_failed = 2 };

class FinitenessVote {
 public:
  void start(Verdict mine, MPI_Comm workers) {
    comm_ = workers;
    mine_ = static_cast<int>(mine);
    int n = 1;
    MPI_Comm_size(comm_, &n);
    all_.assign(static_cast<std::size_t>(n), 0);
    MPI_Iallgather(&mine_, 1, MPI_INT, all_.data(), 1, MPI_INT, comm_, &req_);
  }
  // The ranks (of workers) with the given verdict.
  std::vector<int> finish(long step) {
    watchdog::wait(comm_, &req_, 1, "the finiteness vote of step " + std::to_string(step));
    return ranks(Verdict::nonfinite_gradient);
  }
  std::vector<int> ranks(Verdict v) const {
    std::vector<int> out;
    for (std::size_t r = 0; r < all_.size(); ++r)
      if (all_[r] == static_cast<int>(v)) out.push_back(static_cast<int>(r));
    return out;
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Request req_ = MPI_REQUEST_NULL;
  int mine_ = 0;
  std::vector<int> all_;
};

// What a step leaves for the report.
struct StepOutcome {
  // {L_D x events, L_G x events} of this rank, in device memory: read only when a metrics row is
  // written (train/report.hpp), so that no step waits for a loss value.
  Kokkos::View<double*, MemSpace> losses;
  long events = 0;                        // fake events this rank simulated
  std::vector<int> nonfinite_ranks;       // not empty: no update was applied on any rank
  std::vector<int> failed_ranks;          // not empty: a pipeline refused the step (no update applied)
  std::string problem;                    // this rank's pipeline's reason, when it refused
};

namespace detail {
// losses = {n L_D(fake) + n L_D(real), n L_G}, in double as the host would form them, without waiting.
// (A free function: nvcc refuses a device lambda in a private member function.)
template <class T>
void step_loss_sums(Kokkos::View<double*, MemSpace> losses, loss::DeviceValue<T> g, loss::DeviceValue<T> d_fake,
                    loss::DeviceValue<T> d_real, int n) {
  Kokkos::parallel_for(
      "sagips::train::step_losses", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(int) {
        losses(0) = static_cast<double>(static_cast<T>(n) * d_fake());
        losses(0) += static_cast<double>(static_cast<T>(n) * d_real());
        losses(1) = static_cast<double>(static_cast<T>(n) * g());
      });
}
// losses = {0, n L}: a distance's step has no discriminator loss.
template <class T>
void distance_loss_sums(Kokkos::View<double*, MemSpace> losses, loss::DeviceValue<T> value, int n) {
  Kokkos::parallel_for(
      "sagips::train::distance_losses", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(int) {
        losses(0) = 0;
        losses(1) = static_cast<double>(static_cast<T>(n) * value());
      });
}
}  // namespace detail

}  // namespace sagips::train
