#pragma once
// The run's reporting, collective over the training ranks: the loss sums of the steps since the last
// report, reduced to global means (the same curve for any rank count at equal global batch); the
// weight drift between the ranks' generators; a metrics.csv row and the progress line on the
// reporting rank. A failed write stops the run on every rank. The sums since the last row are part of
// a checkpoint (save/load), so a run resumed between two rows writes the rows the uninterrupted run
// would have written.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/exchange/drift.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/serialize.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/estimates.hpp"
#include "sagips/train/outputs.hpp"
#include "sagips/train/progress.hpp"
#include "sagips/train/step.hpp"

namespace sagips::train {

// metrics.csv's columns: step, losses, each parameter's estimate and spread, residuals against the
// truth (when there is one), the drift between the ranks' generators, the rate.
inline std::vector<std::string> metric_columns(const std::vector<std::string>& names, bool has_truth) {
  std::vector<std::string> c = {"step", "loss_d", "loss_g"};
  for (const auto& n : names) c.push_back("mean_" + n);
  for (const auto& n : names) c.push_back("std_" + n);
  if (has_truth)
    for (const auto& n : names) c.push_back("residual_" + n);
  c.insert(c.end(), {"drift", "steps_per_s", "events_per_s"});
  return c;
}

namespace detail {
// sums += losses, on the device. (A free function: nvcc refuses a device lambda in a private member.)
inline void add_loss_sums(Kokkos::View<double*, MemSpace> sums, Kokkos::View<const double*, MemSpace> losses) {
  Kokkos::parallel_for(
      "sagips::train::add_losses", Kokkos::RangePolicy<ExecSpace>(0, 1), KOKKOS_LAMBDA(int) {
        sums(0) += losses(0);
        sums(1) += losses(1);
      });
}
}  // namespace detail

class Reporter {
 public:
  // estimate(step) gives this rank's parameter means and spreads (called on the reporter only);
  // truth is empty when the theory states none.
  // workers: every training rank; model: this rank's model's training ranks.
  Reporter(const TrainerConfig& c, MPI_Comm workers, MPI_Comm model, bool is_reporter, std::vector<std::string> names,
           std::vector<double> truth)
      : cfg_(c), workers_(workers), model_(model), reporter_(is_reporter), names_(std::move(names)), truth_(std::move(truth)),
        progress_(c.steps, c.progress_every) {}

  // Collective. Opens metrics.csv (on resume: keeps the rows up to resume_step).
  void open(long resume_step) {
    collectively(workers_, [&] {
      if (reporter_)
        metrics_ = MetricsCsv(cfg_.output_dir + "/metrics.csv", metric_columns(names_, !truth_.empty()),
                              cfg_.resume ? resume_step : -1);
    }, "the opening of metrics.csv");
  }

  // A step's losses join the sums since the last row, in device memory (nothing waits for them).
  void add(const StepOutcome& o) {
    detail::add_loss_sums(sums_, o.losses);
    events_ += o.events;
  }

  // Collective over the training ranks: the row of `step`. weights: this rank's generator weights
  // (for the drift); rate: steps per second since the last row.
  template <class Weights>
  void report(long step, const Weights& weights, double steps_per_second,
              const std::function<ParameterStats(long)>& estimate) {
    Kokkos::deep_copy(host_sums_, sums_);  // the one read of the losses, once per row
    double local[3] = {host_sums_(0), host_sums_(1), static_cast<double>(events_)};
    double global[3] = {0, 0, 0};
    const std::string what = "the metrics reduction of step " + std::to_string(step);
    mpi::allreduce(local, global, 3, MPI_DOUBLE, MPI_SUM, workers_, what);
    Kokkos::deep_copy(ExecSpace(), sums_, 0.0);
    events_ = 0;
    last_step_ = step;
    const double ld = global[2] > 0 ? global[0] / global[2] : 0, lg = global[2] > 0 ? global[1] / global[2] : 0;
    if (!std::isfinite(ld) || !std::isfinite(lg))
      throw CollectiveError("non-finite loss at step " + std::to_string(step) + " (L_D " + std::to_string(ld) +
                            ", L_G " + std::to_string(lg) + "): lower the learning rates or check the theory");
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), weights);
    // The drift inside each model (independent models are meant to differ), the largest of them.
    double drift = exchange::drift(model_, host.data(), host.extent(0));
    mpi::allreduce(MPI_IN_PLACE, &drift, 1, MPI_DOUBLE, MPI_MAX, workers_, what);
    int n_workers = 1;
    MPI_Comm_size(workers_, &n_workers);
    collectively(workers_, [&] {
      if (!reporter_) return;
      const ParameterStats s = estimate(step);
      std::vector<double> row = {static_cast<double>(step), ld, lg};
      row.insert(row.end(), s.mean.begin(), s.mean.end());
      row.insert(row.end(), s.std.begin(), s.std.end());
      for (std::size_t j = 0; j < truth_.size(); ++j) row.push_back((s.mean[j] - truth_[j]) / truth_[j]);
      row.insert(row.end(), {drift, steps_per_second,
                             steps_per_second * cfg_.param_samples * cfg_.events_per_sample * n_workers});
      metrics_.row(row);
      if (progress_.due(step)) {
        std::vector<const char*> names;
        for (const auto& n : names_) names.push_back(n.c_str());
        progress_.update(step, ld, lg, s.mean, names, steps_per_second);
      }
    }, what);
  }

  long last_step() const { return last_step_; }
  void set_last_step(long step) { last_step_ = step; }

  void save(BinaryWriter& w) const {
    Kokkos::deep_copy(host_sums_, sums_);
    w.value("report.loss_d", host_sums_(0));
    w.value("report.loss_g", host_sums_(1));
    w.value("report.loss_events", events_);
    w.value("report.last_step", last_step_);
  }
  void load(BinaryReader& r) {
    r.value("report.loss_d", host_sums_(0));
    r.value("report.loss_g", host_sums_(1));
    Kokkos::deep_copy(sums_, host_sums_);
    r.value("report.loss_events", events_);
    r.value("report.last_step", last_step_);
  }

 private:
  TrainerConfig cfg_;
  MPI_Comm workers_, model_;
  bool reporter_;
  std::vector<std::string> names_;
  std::vector<double> truth_;
  ProgressLine progress_;
  MetricsCsv metrics_;
  // Sums of (mean loss x events) since the last row, {L_D, L_G}, in device memory (and its mirror).
  Kokkos::View<double*, MemSpace> sums_{"sagips::train::loss_sums", 2};
  typename Kokkos::View<double*, MemSpace>::HostMirror host_sums_ = Kokkos::create_mirror_view(sums_);
  long events_ = 0;
  long last_step_ = 0;
};

}  // namespace sagips::train
