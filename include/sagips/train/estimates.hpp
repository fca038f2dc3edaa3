#pragma once
// What the trainer reports about the generator: the mean and spread of the physics parameters over
// a sample of it, residuals against a known truth, and an ensemble's mean and spread over its
// members' estimates.

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "sagips/core/views.hpp"

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
