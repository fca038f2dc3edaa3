#pragma once
// What a trainer checks before it builds anything collective, and the settings it derives from the
// configuration and the data: the first problem with a configuration for a trainer of these policies
// (the options' own checks, the names among the policies' choices, what the pipeline and the
// objective cannot do together, the data's shape), the set-up that checks it on every rank and splits
// the ranks into models, and a sample distance's settings.

#include <mpi.h>

#include <string>
#include <vector>

#include "sagips/core/views.hpp"
#include "sagips/exchange/config.hpp"
#include "sagips/loss/losses.hpp"
#include "sagips/nn/batch_norm.hpp"
#include "sagips/objective.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/partition.hpp"

namespace sagips::train {

// "gan" and the names of a choice of distances: what --objective may name.
template <class Objectives>
std::vector<std::string> objective_names() {
  std::vector<std::string> names = Objectives::names();
  names.insert(names.begin(), objective::gan);
  return names;
}

// The first problem (empty: none) with c and x for a trainer of Pipeline with these optimizers,
// objectives and losses, on real data of data.extent(1) columns; generator_normalised: the generator
// has batch-normalised layers.
template <class Pipeline, class Optimizers, class Objectives, class T>
std::string setup_problem(const TrainerConfig& c, const std::vector<std::string>& losses, const exchange::Config& x,
                          HostMatrix<const T> data, bool generator_normalised = false) {
  std::string problem = validate(c, losses, Optimizers::names(), objective_names<Objectives>());
  if (problem.empty() && generator_normalised && c.generator_noise == 0)
    problem = "generator_noise: the generator has batch-normalised layers, and with --generator-noise 0 its "
              "batch is one row repeated (zero variance: every output would be its beta); give it noise "
              "(--generator-noise 1) or drop the BatchNorm";
  if (problem.empty() && Pipeline::weighted && c.objective != objective::gan &&
      !objective::takes_weights<Objectives>(c.objective))
    problem = "objective: " + c.objective + " does not take weighted events, and this pipeline weights them "
              "(choose --objective gan, energy or mmd)";
  if (problem.empty()) problem = exchange::validate(x);
  if (problem.empty() && data.extent(1) != static_cast<std::size_t>(Pipeline::event_dim))
    problem = "the real data have " + std::to_string(data.extent(1)) +
              " columns per event; the pipeline makes events of " + std::to_string(Pipeline::event_dim);
  return problem;
}

// What every rank of a trainer does before anything collective is built (collective over comm): the
// run's watchdog, a fixed loss's name into the configuration, setup_problem checked on every rank,
// then the ranks split into c.models models (partition.hpp), inside which the exchanger is built.
template <class Pipeline, class Generator, class Loss, class Optimizers, class Objectives, class T>
ModelPartition set_up_models(MPI_Comm comm, TrainerConfig& c, const exchange::Config& x, HostMatrix<const T> data) {
  watchdog::set_timeout(x.timeout_seconds);  // one watchdog for every collective of the run
  const auto losses = loss::choice_names<Loss>();
  if (losses.size() == 1) c.loss = losses.front();  // a fixed loss: the configuration says which
  check_all(comm, setup_problem<Pipeline, Optimizers, Objectives>(c, losses, x, data, nn::has_batch_norm_v<Generator>),
            "the trainer's set-up checks");
  return ModelPartition(comm, c.models);
}

// A sample distance's settings; a kernel bandwidth of 0 becomes the median distance between real
// events (the same on every rank: every rank holds the same data), computed only when a distance
// trains the generator (with the discriminator nothing reads it).
template <class T>
objective::Settings objective_settings(const TrainerConfig& c, HostMatrix<const T> data) {
  objective::Settings s;
  s.slices = c.slices;
  if (c.kernel_bandwidth > 0) s.bandwidth = c.kernel_bandwidth;
  else if (c.objective != objective::gan) s.bandwidth = objective::median_distance<T>(data);
  return s;
}

}  // namespace sagips::train
