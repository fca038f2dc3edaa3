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
// refused on every rank for the others): the exchanger keeps a residual e, one value per gradient
// element, and hands the strategy Q(g + e) (16-bit values, exact on the wire from then on), setting
// e = (g + e) - Q(g + e); the strategy adds into e the rounding error of every further value it
// rounds for the wire (a ring's partial sums). What one step does not send, the next one does, so the
// error of the sum over steps stays bounded (docs/exchange.md, "Wire compression"). The residual is
// training state: save()/load() put it in a checkpoint. A gradient whose Q(g + e) exceeds the 16-bit
// format's largest value divided by the rank count (fp16: 65504 / N, so that no sum of N values on
// the wire overflows) counts as not finite: start() zeroes it, leaves e as it was, and returns false.

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
    MPI_Comm_size(comm, &ranks_);
    std::string chosen = c.strategy;
    if (std::tuple_size_v<List> == 1) chosen = std::tuple_element_t<0, List>::name;
    const bool found = construct(comm, c, n, chosen, static_cast<List*>(nullptr));
    check_all(comm, found ? refused_ : "unknown exchange strategy '" + c.strategy + "' (choose " +
                                           detail::names_of(static_cast<List*>(nullptr)) + ")",
              "the exchange's set-up");
    if (compression_ != Compression::none) {  // the residual lives where the strategy works
      if (direct_) {
        residual_direct_ = Kokkos::View<T*, MemSpace>("sagips::exchange::residual", n_);
        direct_->error_feedback(residual_direct_);
      } else {
        residual_staged_ = Kokkos::View<T*, StagingSpace>("sagips::exchange::residual", n_);
        staged_->error_feedback(residual_staged_);
      }
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
      if (finite) finite = compress(grads, residual_direct_, step);
      direct_->start(grads, step);
    } else {
      stage(staging_, grads);  // MPI reads it next: the copy must be complete
      if (finite) finite = compress(staging_, residual_staged_, step);
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
  std::vector<T> residual() const {
    std::vector<T> out;
    auto copy = [&](const auto& v) {
      if (v.extent(0) == 0) return;
      auto h = Kokkos::create_mirror(Kokkos::HostSpace(), v);
      Kokkos::deep_copy(h, v);
      out.assign(h.data(), h.data() + h.extent(0));
    };
    copy(residual_direct_);
    copy(residual_staged_);
    return out;
  }
  // This rank's exchange state in a checkpoint: the residual (no values without compression).
  void save(BinaryWriter& w) const { w.vector("exchange.residual", residual()); }
  void load(BinaryReader& r) {
    std::vector<T> saved;
    r.vector("exchange.residual", saved, n_ + 1);
    const std::size_t expected = compression_ == Compression::none ? 0 : n_;
    SAGIPS_REQUIRE(saved.size() == expected,
                   "the checkpoint holds an error-feedback residual of "
                       << saved.size() << " values; this run's exchange (compression " << to_string(compression_)
                       << ", " << n_ << " gradient values) keeps " << expected);
    auto restore = [&](const auto& v) {
      if (v.extent(0) == 0) return;
      auto h = Kokkos::create_mirror(Kokkos::HostSpace(), v);
      for (std::size_t i = 0; i < saved.size(); ++i) h(i) = saved[i];
      Kokkos::deep_copy(v, h);
    };
    restore(residual_direct_);
    restore(residual_staged_);
  }

 private:
  // Error feedback before the strategy sends buf (see the top of this file); false: beyond the range.
  template <class Space>
  bool compress(const Kokkos::View<T*, Space>& buf, const Kokkos::View<T*, Space>& residual, std::int64_t step) {
    if (compression_ == Compression::none) return true;
    const T limit = static_cast<T>(max_finite(compression_) / ranks_);
    if (Codec<T, Space>::feed_back(compression_, buf, residual, limit) <= limit) return true;
    BufferOps<T, Space>::zero(buf);
    BufferOps<T, Space>::fence();
    std::fprintf(stderr,
                 "sagips exchange: step %lld: a gradient element (after error feedback) is beyond %s's range for %d "
                 "ranks (|x| <= %g, so that no sum on the wire overflows): the gradient counts as not finite\n",
                 static_cast<long long>(step), to_string(compression_), ranks_, static_cast<double>(limit));
    return false;
  }

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
  int ranks_ = 1;
  std::string refused_;  // why the chosen strategy cannot run with this configuration (empty: it can)
  std::string path_;
  Description description_;
  std::unique_ptr<detail::AnyImpl<T, MemSpace>> direct_;
  std::unique_ptr<detail::AnyImpl<T, StagingSpace>> staged_;
  Kokkos::View<T*, StagingSpace> staging_;
  View grads_;
  Kokkos::View<T*, MemSpace> residual_direct_;       // error feedback, where a direct strategy works
  Kokkos::View<T*, StagingSpace> residual_staged_;   // ... or a staged one
};

}  // namespace sagips::exchange
