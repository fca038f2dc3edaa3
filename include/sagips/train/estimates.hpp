#pragma once
// What the trainer reports about the generator: the mean and spread of the physics parameters over
// a sample of it, residuals against a known truth, and an ensemble's mean and spread over its
// members' estimates (the answer of a run: model_estimates()).

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "sagips/core/views.hpp"
#include "sagips/train/result.hpp"

namespace sagips::train {

// Mean and spread (sample standard deviation) of each column.
struct ParameterStats {
  std::vector<double> mean, std;
};

// Mean and sample standard deviation of each of p columns over m rows, row i column j being at(i, j).
template <class At>
ParameterStats stats_over_rows(int m, int p, At&& at) {
  ParameterStats s;
  s.mean.assign(p, 0.0);
  s.std.assign(p, 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < p; ++j) s.mean[j] += at(i, j) / m;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < p; ++j) s.std[j] += (at(i, j) - s.mean[j]) * (at(i, j) - s.mean[j]) / std::max(1, m - 1);
  for (auto& v : s.std) v = std::sqrt(v);
  return s;
}

template <class T>
ParameterStats column_stats(const HostMatrix<T>& h) {
  return stats_over_rows(static_cast<int>(h.extent(0)), static_cast<int>(h.extent(1)),
                         [&](int i, int j) { return h(i, j); });
}

// (estimate - truth) / truth, per parameter.
template <std::size_t P>
std::vector<double> residuals(const std::vector<double>& estimate, const std::array<double, P>& truth) {
  std::vector<double> r(P);
  for (std::size_t j = 0; j < P; ++j) r[j] = (estimate[j] - truth[j]) / truth[j];
  return r;
}

// An ensemble's members are the groups of `group_size` consecutive ranks; `rank_means` holds every
// rank's P estimates in rank order, and each member is represented by its first rank.
inline ParameterStats ensemble_stats(const std::vector<double>& rank_means, int ranks, int group_size, int P) {
  return stats_over_rows(ranks / group_size, P, [&](int k, int j) {
    return rank_means[static_cast<std::size_t>(k * group_size * P + j)];
  });
}

// The run's answer, into r.member_estimates, r.members and r.parameters: every training rank's
// estimate (all_means[q * P + j]) with the model it belongs to (member_of[q]); each model's estimate
// is its first rank's. Several models: the answer is their mean and sigma their spread; one: the
// answer is this rank's generator mean (`mine`), without a sigma. truth may be empty.
inline void model_estimates(TrainingResult& r, const ParameterStats& mine, const std::vector<double>& all_means,
                            const std::vector<int>& member_of, const std::vector<std::string>& names,
                            const std::vector<double>& truth) {
  const int P = static_cast<int>(names.size());
  std::vector<int> seen;
  for (std::size_t q = 0; q < member_of.size(); ++q) {
    if (std::find(seen.begin(), seen.end(), member_of[q]) != seen.end()) continue;
    seen.push_back(member_of[q]);
    r.member_estimates.emplace_back(all_means.begin() + static_cast<long>(q) * P,
                                    all_means.begin() + static_cast<long>(q + 1) * P);
  }
  r.members = static_cast<int>(r.member_estimates.size());
  const ParameterStats ens = stats_over_rows(r.members, P, [&](int k, int j) { return r.member_estimates[k][j]; });
  for (int j = 0; j < P; ++j) {
    ParameterResult p;
    p.name = names[j];
    p.generator_mean = mine.mean[j];
    p.generator_spread = mine.std[j];
    p.estimate = r.members > 1 ? ens.mean[j] : mine.mean[j];
    if (r.members > 1) p.sigma = ens.std[j];
    if (!truth.empty()) p.truth = truth[j];
    r.parameters.push_back(p);
  }
}

// The generator sample as CSV, one parameter per column.
template <class T, class Names>
std::string samples_csv(const HostMatrix<T>& h, const Names& names) {
  std::ostringstream csv;
  const int p = static_cast<int>(h.extent(1));
  for (int j = 0; j < p; ++j) csv << (j ? "," : "") << names[j];
  csv << "\n";
  for (std::size_t i = 0; i < h.extent(0); ++i) {
    for (int j = 0; j < p; ++j) csv << (j ? "," : "") << h(i, j);
    csv << "\n";
  }
  return csv.str();
}

}  // namespace sagips::train
