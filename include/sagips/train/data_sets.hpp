#pragma once
// Several data sets in one fit: the ranks of each model carved into one group per data set.
//
// A global fit shares its physics parameters between data sets that each have their own pipeline
// (theory variant, kinematics, detector) and their own real events. Here every rank trains the same
// generator (its outputs: sim::Joint's parameter vector, shared parameters and each data set's
// nuisances); a rank of group k runs data set k's pipeline on data set k's events, with a
// discriminator (or sample distance) of its own group: the discriminators' average
// (--average-discriminator), the real events' shards and the weighted events' normalisation stay
// inside the group. The generator's gradients are exchanged over the whole model, by its strategy,
// after each rank's gradient is weighted so that their average is
//
//   sum_k w_k g_k / sum_k w_k,   g_k = the mean gradient of data set k's ranks,
//
// whatever the groups' sizes: w_k is data set k's share of the combined loss, by default its number
// of real events (a likelihood's sum over all events weighs each data set so). The trainer does this
// when it is given a member (Trainer's last constructor argument):
//
//   train::DataSetPlan plan(world, cfg.models, {2, 1, 1});          // per model: 2 ranks, 1, 1
//   switch (plan.index()) { case 0: run<PipelineA>(plan.member()); ... }   // each rank its data set
//
// A data set given 0 ranks is not in this run (a fit of the others alone). Sizes may also follow each
// data set's cost (ranks_by_cost). With one data set the plan changes nothing.

#include <mpi.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/train/partition.hpp"

namespace sagips::train {

// This rank's data set in a multi-data-set run.
struct DataSetMember {
  int index = 0;      // the data set this rank trains on
  int count = 1;      // data sets in the plan (those with 0 ranks included)
  double weight = 0;  // its share of the combined loss (0: in proportion to its real events)
};

// The first problem with a plan for models of `model_ranks` ranks each; empty: none.
inline std::string data_set_problem(int model_ranks, const std::vector<int>& ranks, const std::vector<double>& weights) {
  if (ranks.empty()) return "data sets: the plan names no data set";
  long sum = 0;
  for (std::size_t k = 0; k < ranks.size(); ++k) {
    if (ranks[k] < 0)
      return "data sets: data set " + std::to_string(k) + " is given " + std::to_string(ranks[k]) + " ranks";
    sum += ranks[k];
  }
  if (sum != model_ranks)
    return "data sets: the plan's " + std::to_string(sum) + " ranks per model do not fit the " +
           std::to_string(model_ranks) + " ranks of each model (the groups' sizes must add up to them)";
  if (!weights.empty()) {
    if (weights.size() != ranks.size())
      return "data sets: " + std::to_string(weights.size()) + " weights for " + std::to_string(ranks.size()) +
             " data sets";
    for (std::size_t k = 0; k < weights.size(); ++k)
      if (!(weights[k] > 0 && std::isfinite(weights[k])))
        return "data sets: data set " + std::to_string(k) + "'s weight " + std::to_string(weights[k]) +
               " is not a positive number";
  }
  return "";
}

// Group sizes in proportion to each data set's cost per step (its events times its time per event),
// at least one rank each, adding up to `ranks` (largest remainders). Refused when ranks < data sets.
inline std::vector<int> ranks_by_cost(int ranks, const std::vector<double>& cost) {
  const int n = static_cast<int>(cost.size());
  SAGIPS_REQUIRE(n >= 1 && ranks >= n, "data sets: " << ranks << " ranks cannot give each of " << n
                                                     << " data sets one");
  double total = 0;
  for (double c : cost) {
    SAGIPS_REQUIRE(c > 0 && std::isfinite(c), "data sets: a cost of " << c << " (costs must be positive)");
    total += c;
  }
  std::vector<int> out(n, 1);
  std::vector<double> share(n);
  const int spare = ranks - n;
  int given = 0;
  for (int k = 0; k < n; ++k) {
    share[k] = spare * cost[k] / total;
    out[k] += static_cast<int>(std::floor(share[k]));
    given += static_cast<int>(std::floor(share[k]));
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return share[a] - std::floor(share[a]) > share[b] - std::floor(share[b]);
  });
  for (int i = 0; given < spare; ++i, ++given) ++out[order[i]];
  return out;
}

// Collective over comm (every rank of the run): the first problem with the members the ranks bring to
// a trainer; empty: none. Every rank must name the same number of data sets, the ranks of a data set
// within a model the same weight, and a run of several data sets has no parameter server (its masters
// train no data set).
inline std::string data_set_agreement(MPI_Comm comm, int model, const DataSetMember& m, bool server) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  const double mine[5] = {double(model), double(m.count), double(m.index), m.weight, server ? 1.0 : 0.0};
  std::vector<double> all(5 * static_cast<std::size_t>(size));
  mpi::allgather(mine, 5, MPI_DOUBLE, all.data(), 5, MPI_DOUBLE, comm, "the comparison of the ranks' data sets");
  std::map<std::pair<double, double>, int> first_of;  // (model, data set) -> its first rank
  for (int r = 0; r < size; ++r) {
    const double* a = &all[5 * static_cast<std::size_t>(r)];
    if (a[1] != all[1])
      return "data sets: rank " + std::to_string(r) + " names " + std::to_string(int(a[1])) + " data sets, rank 0 " +
             std::to_string(int(all[1]));
    if (a[1] < 1 || a[2] < 0 || a[2] >= a[1])
      return "data sets: rank " + std::to_string(r) + " trains data set " + std::to_string(int(a[2])) + " of " +
             std::to_string(int(a[1]));
    if (a[1] > 1 && a[4] != 0)
      return "data sets: a run of several data sets cannot use the parameter server (its masters train no data set)";
    if (!(a[3] >= 0 && std::isfinite(a[3])))
      return "data sets: rank " + std::to_string(r) + " gives its data set the weight " + std::to_string(a[3]);
    if ((all[3] == 0) != (a[3] == 0))
      return "data sets: some ranks give their data set a weight and others 0 (by its events): give all or none";
    const int q = first_of.emplace(std::make_pair(a[0], a[2]), r).first->second;
    if (all[5 * static_cast<std::size_t>(q) + 3] != a[3])
      return "data sets: ranks " + std::to_string(q) + " and " + std::to_string(r) + " give data set " +
             std::to_string(int(a[2])) + " different weights";
  }
  return "";
}

// A data set's rank's weight in the generator's exchange: R w_k / (R_k sum_j w_j) for a model of R
// training ranks and data set k of R_k ranks with share w_k (the plan's weight, else its real events),
// so that the exchange's average over the model's ranks is sum_k w_k g_k / sum_k w_k. record: the data
// set's place in the run, for the run's configuration.
struct DataSetShare {
  double gradient_weight = 1;
  nlohmann::json record;
};

// Collective over model (the model's training ranks); group: this rank's data set's ranks in it.
inline DataSetShare data_set_share(const Comm& model, const Comm& group, const DataSetMember& m, double events) {
  const int k = m.index, n = m.count;
  std::vector<double> sums(2 * static_cast<std::size_t>(n), 0.0);  // [shares..., ranks...]
  if (group.rank() == 0) sums[k] = m.weight > 0 ? m.weight : events;
  sums[n + k] = 1;
  mpi::allreduce(MPI_IN_PLACE, sums.data(), 2 * n, MPI_DOUBLE, MPI_SUM, model, "the data sets' weights");
  double total = 0;
  for (int j = 0; j < n; ++j) total += sums[j];
  DataSetShare s;
  s.gradient_weight = model.size() * sums[k] / (sums[n + k] * total);
  s.record = {{"index", k}, {"count", n}, {"share", sums[k] / total}, {"ranks", static_cast<int>(sums[n + k])},
              {"gradient_weight", s.gradient_weight}};
  return s;
}

class DataSetPlan {
 public:
  // Collective over comm (the run's ranks). models: the run's models (TrainerConfig::models; 0: one per
  // rank); ranks[k]: data set k's ranks in each model, consecutive in k order; weights: the data sets'
  // shares of the loss (empty: in proportion to their real events). A plan that does not fit is
  // refused on every rank.
  DataSetPlan(MPI_Comm comm, int models, std::vector<int> ranks, std::vector<double> weights = {})
      : ranks_(std::move(ranks)), weights_(std::move(weights)) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    std::string problem = partition_problem(size, models);
    if (problem.empty()) {
      const int per_model = size / (models == 0 ? size : models);
      problem = data_set_problem(per_model, ranks_, weights_);
      if (problem.empty()) {
        int local = rank % per_model, k = 0;
        while (local >= ranks_[k]) local -= ranks_[k++];
        member_.index = k;
      }
    }
    check_all(comm, problem, "the split of the ranks into data sets");
    member_.count = static_cast<int>(ranks_.size());
    member_.weight = weights_.empty() ? 0.0 : weights_[member_.index];
  }

  const DataSetMember& member() const { return member_; }
  int index() const { return member_.index; }
  const std::vector<int>& ranks() const { return ranks_; }

 private:
  std::vector<int> ranks_;
  std::vector<double> weights_;
  DataSetMember member_;
};

}  // namespace sagips::train
