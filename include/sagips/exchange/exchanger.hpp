#pragma once
// Exchanger<Strategy, T>: a gradient-exchange strategy at work on a buffer of the default memory
// space (the network's flat gradient buffer), and what the trainer talks to:
//
//   sagips::exchange::Exchanger<AsyncRing, float> ex(comm, config, n);   // collective
//   const bool finite = ex.start(grads, step);   // after the generator's backward
//   ex.test();                                   // while the discriminator step runs (never blocks)
//   ex.finish();                                 // grads now hold what this rank applies
//   ... this rank's optimizer step ...
//   ex.after_update(params);                     // a parameter server may replace the weights here
//
// Strategy is one strategy (AsyncRing, ...: fixed at compile time) or a Choice of several (Builtin:
// every built-in strategy), of which Config::strategy names the one to use at run time.
//
// Where the traffic starts from (path()): a strategy that takes device memory (Traits::device_buffers)
// gets the buffer itself when MPI can read device memory (meson found a CUDA-aware MPI and defined
// SAGIPS_MPI_DEVICE_AWARE, and MPIX_Query_cuda_support() says so at run time; SAGIPS_MPI_DEVICE_AWARE=0
// in the environment forces staging). Otherwise the exchanger copies the buffer into one staging
// buffer in host memory (pinned under CUDA), allocated once, and back after finish(). On a host
// backend there is nothing to stage, unless Config::stage_through_host asks for the staged path
// (the tests run every strategy both ways).
//
// A buffer that is not finite is never sent: start() zeroes it (so no peer or master is poisoned)
// and returns false; the trainer decides with the other ranks what to do (trainer.hpp).
//
// Compression (Config::compression bf16 or fp16; only for a strategy that declares `compressible`,
// refused on every rank for the others): the buffer passes through error feedback
// (error_feedback.hpp: its residual lives where the strategy works and is checkpointed) before the
// strategy sends it; a value beyond the 16-bit format's range makes start() return false.
//
// The parts live apart: the choice of a strategy by name (choice.hpp), staging through host memory
// (staging.hpp), error feedback (error_feedback.hpp); this class joins them.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/choice.hpp"
#include "sagips/exchange/compression.hpp"
#include "sagips/exchange/config.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/exchange/error_feedback.hpp"
#include "sagips/exchange/staging.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/serialize.hpp"

namespace sagips::exchange {

template <class Strategy, class T>
class Exchanger {
  using List = typename detail::choice_list<Strategy>::type;
  template <class... S>
  static constexpr bool all_checked(std::tuple<S...>*) {
    return (check_strategy<S, T, Kokkos::HostSpace>() && ...);
  }
  static_assert(all_checked(static_cast<List*>(nullptr)), "");

 public:
  using View = Vector<T>;  // the default memory space

  Exchanger(MPI_Comm comm, const Config& c, std::size_t n) : n_(n), compression_(c.compression) {
    int ranks = 1;
    MPI_Comm_size(comm, &ranks);
    std::string chosen = c.strategy;
    if (std::tuple_size_v<List> == 1) chosen = std::tuple_element_t<0, List>::name;
    const bool found = construct(comm, c, n, chosen, static_cast<List*>(nullptr));
    check_all(comm, found ? refused_ : "unknown exchange strategy '" + c.strategy + "' (choose " +
                                           detail::names_of(static_cast<List*>(nullptr)) + ")",
              "the exchange's set-up");
    // The residual lives where the strategy works.
    if (direct_) {
      feedback_direct_ = ErrorFeedback<T, MemSpace>(compression_, n_, ranks);
      if (feedback_direct_.active()) direct_->error_feedback(feedback_direct_.residual_view());
    } else if (staged_) {
      feedback_staged_ = ErrorFeedback<T, StagingSpace>(compression_, n_, ranks);
      if (feedback_staged_.active()) staged_->error_feedback(feedback_staged_.residual_view());
    }
  }

  // Posts the exchange of grads (n values). A buffer that is not finite (or, compressed, beyond the
  // format's range) is zeroed and false returned.
  bool start(View grads, std::int64_t step) {
    SAGIPS_REQUIRE(grads.extent(0) == n_, "exchange: a buffer of " << grads.extent(0) << " values for an exchanger of "
                                                                    << n_);
    grads_ = grads;
    bool finite = BufferOps<T, MemSpace>::all_finite(grads);
    if (!finite) BufferOps<T, MemSpace>::zero(grads);
    if (direct_) {
      if (finite) finite = feedback_direct_.compress(grads, step);
      direct_->start(grads, step);
    } else {
      stage(staging_, grads);  // MPI reads it next: the copy must be complete
      if (finite) finite = feedback_staged_.compress(staging_, step);
      staged_->start(staging_, step);
    }
    return finite;
  }
  bool test() { return direct_ ? direct_->test() : staged_->test(); }
  void finish() {
    if (direct_) {
      direct_->finish();
    } else {
      staged_->finish();
      Kokkos::deep_copy(ExecSpace(), grads_, staging_);  // the next kernels on ExecSpace see it in order
    }
  }
  void after_update(View params) {
    if (!description_.replaces_params) return;
    if (direct_) {
      direct_->after_update(params);
    } else {
      stage(staging_, params);
      staged_->after_update(staging_);
      Kokkos::deep_copy(ExecSpace(), params, staging_);
    }
  }
  bool is_server() const { return direct_ ? direct_->is_server() : staged_->is_server(); }
  // A parameter-server master: serves until its workers are done. apply(params, grads) is its step.
  void serve(View params, const ServerApply<T, MemSpace>& apply) {
    if (direct_) {
      direct_->serve(params, apply);
      return;
    }
    // The master's weights and the pushed gradients travel through host memory.
    Kokkos::deep_copy(staging_, params);
    View pushed("sagips::exchange::pushed", n_);
    staged_->serve(staging_, [&](Kokkos::View<T*, StagingSpace> p, Kokkos::View<const T*, StagingSpace> g) {
      Kokkos::deep_copy(params, p);
      Kokkos::deep_copy(pushed, g);
      apply(params, pushed);
      Kokkos::deep_copy(p, params);
    });
    Kokkos::deep_copy(params, staging_);
  }
  void worker_done() { direct_ ? direct_->worker_done() : staged_->worker_done(); }
  std::vector<int> contributors(std::int64_t step) const {
    return direct_ ? direct_->contributors(step) : staged_->contributors(step);
  }
  const Stats& stats() const { return direct_ ? direct_->stats() : staged_->stats(); }
  const Description& description() const { return description_; }
  const char* name() const { return description_.name; }
  bool staged() const { return !direct_; }
  // Where the traffic starts from: "host memory", "device memory, handed to a CUDA-aware MPI", "staged
  // through pinned host memory" (a GPU without a CUDA-aware MPI) or "staged through a host buffer"
  // (Config::stage_through_host on a host backend).
  const std::string& path() const { return path_; }
  std::size_t size() const { return n_; }
  Compression compression() const { return compression_; }

  // The error-feedback residual, one value per element (empty without compression).
  std::vector<T> residual() const { return direct_ ? feedback_direct_.residual() : feedback_staged_.residual(); }
  // This rank's exchange state in a checkpoint: the residual (no values without compression).
  void save(BinaryWriter& w) const { direct_ ? feedback_direct_.save(w) : feedback_staged_.save(w); }
  void load(BinaryReader& r) {
    if (direct_) feedback_direct_.load(r);
    else feedback_staged_.load(r);
  }

 private:
  template <class S, class... Rest>
  bool construct(MPI_Comm comm, const Config& c, std::size_t n, const std::string& chosen, std::tuple<S, Rest...>*) {
    if (chosen != S::name) return construct(comm, c, n, chosen, static_cast<std::tuple<Rest...>*>(nullptr));
    description_ = Description::of<S>();
    if constexpr (!Traits<S>::compressible) {
      if (c.compression != Compression::none) {
        const std::string can = detail::compressible_names(static_cast<List*>(nullptr));
        refused_ = std::string("--compression ") + to_string(c.compression) + " is refused by --strategy " + S::name +
                   ", whose traffic is not sagips's own two-sided messages (an MPI reduction sums in the type on "
                   "the wire, so 16-bit values could not be summed in full precision; or there is no traffic)" +
                   (can.empty() ? "" : "; the strategies that compress: " + can);
        return true;
      }
    }
    constexpr bool host = std::is_same_v<MemSpace, Kokkos::HostSpace>;
    if constexpr (host || Traits<S>::device_buffers) {
      if (!c.stage_through_host && (host || mpi_device_aware())) {
        direct_ = std::make_unique<detail::Model<S, T, MemSpace>>(comm, c, n);
        path_ = host ? "host memory" : "device memory, handed to a CUDA-aware MPI";
        return true;
      }
    }
    staging_ = Kokkos::View<T*, StagingSpace>("sagips::exchange::staging", n);
    staged_ = std::make_unique<detail::Model<S, T, StagingSpace>>(comm, c, n);
    path_ = host ? "staged through a host buffer" : "staged through pinned host memory";
    return true;
  }
  bool construct(MPI_Comm, const Config&, std::size_t, const std::string&, std::tuple<>*) { return false; }

  std::size_t n_;
  Compression compression_;
  std::string refused_;  // why the chosen strategy cannot run with this configuration (empty: it can)
  std::string path_;
  Description description_;
  std::unique_ptr<detail::AnyImpl<T, MemSpace>> direct_;
  std::unique_ptr<detail::AnyImpl<T, StagingSpace>> staged_;
  Kokkos::View<T*, StagingSpace> staging_;
  View grads_;
  ErrorFeedback<T, MemSpace> feedback_direct_;       // error feedback, where a direct strategy works
  ErrorFeedback<T, StagingSpace> feedback_staged_;   // ... or a staged one
};

}  // namespace sagips::exchange
