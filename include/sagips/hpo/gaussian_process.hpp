#pragma once
// The model-based search: a Gaussian process over the unit cube of the search space and expected
// improvement (Jones, Schonlau and Welch 1998; Snoek, Larochelle and Adams 2012), small and on Eigen.
//
//   kernel   Matern 5/2 with one length scale l, k(r) = (1 + sqrt5 r/l + 5 r^2/(3 l^2)) exp(-sqrt5 r/l);
//            the scores standardised (mean 0, variance 1), a nugget for noisy scores;
//   l        the one of a grid (0.05 ... 2) with the largest marginal likelihood;
//   EI(x)    = (best - mu) Phi(z) + sigma phi(z), z = (best - mu) / sigma, for a score to minimise;
//   proposal the best of `candidates` uniform points and as many perturbations of the best points seen;
//   batches  pending trials enter the model at the current best score ("constant liar", Ginsbourger et
//            al. 2010), so a batch of proposals spreads out instead of repeating one point.

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sagips/core/random.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::hpo {

class GaussianProcess {
 public:
  // x: points in [0, 1]^d (rows), y: their scores. Chooses the length scale by marginal likelihood.
  GaussianProcess(std::vector<std::vector<double>> x, std::vector<double> y, double nugget = 1e-6)
      : x_(std::move(x)), nugget_(nugget) {
    SAGIPS_REQUIRE(!x_.empty() && x_.size() == y.size(), "gaussian process: " << x_.size() << " points and "
                                                                              << y.size() << " scores");
    const double n = static_cast<double>(y.size());
    double mean = 0, var = 0;
    for (double v : y) mean += v / n;
    for (double v : y) var += (v - mean) * (v - mean) / n;
    mean_ = mean;
    scale_ = var > 0 ? std::sqrt(var) : 1.0;
    y_ = Eigen::VectorXd(static_cast<Eigen::Index>(y.size()));
    for (std::size_t i = 0; i < y.size(); ++i) y_(static_cast<Eigen::Index>(i)) = (y[i] - mean_) / scale_;
    double best = -1e300;
    for (double l : {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0}) {
      const double ll = fit(l);
      if (ll > best) {
        best = ll;
        length_ = l;
      }
    }
    fit(length_);
  }

  double length_scale() const { return length_; }

  // The posterior mean and standard deviation of the score at u.
  void predict(const std::vector<double>& u, double& mu, double& sigma) const {
    const auto n = static_cast<Eigen::Index>(x_.size());
    Eigen::VectorXd k(n);
    for (Eigen::Index i = 0; i < n; ++i) k(i) = kernel(u, x_[static_cast<std::size_t>(i)], length_);
    mu = mean_ + scale_ * k.dot(alpha_);
    const Eigen::VectorXd v = chol_.matrixL().solve(k);
    const double var = std::max(0.0, 1.0 + nugget_ - v.squaredNorm());
    sigma = scale_ * std::sqrt(var);
  }

  // Expected improvement over `best` (lower scores are better).
  static double expected_improvement(double mu, double sigma, double best) {
    if (sigma <= 1e-12) return std::max(0.0, best - mu);
    const double z = (best - mu) / sigma;
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    return (best - mu) * cdf + sigma * phi;
  }

  // The point of [0, 1]^d with the largest expected improvement among `candidates` uniform points
  // (stream key, counters from `first`) and perturbations of the five best points seen.
  std::vector<double> propose(std::uint64_t key, std::uint64_t first, int candidates = 2000) const {
    const std::size_t d = x_[0].size();
    double best = 1e300;
    for (Eigen::Index i = 0; i < y_.size(); ++i) best = std::min(best, mean_ + scale_ * y_(i));
    std::vector<std::size_t> order(x_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return y_(static_cast<Eigen::Index>(a)) < y_(static_cast<Eigen::Index>(b));
    });
    const random::CounterRng rng(key);
    std::vector<double> chosen, u(d);
    double chosen_ei = -1;
    for (int c = 0; c < 2 * candidates; ++c) {
      const bool local = c >= candidates;
      const std::vector<double>& around = x_[order[static_cast<std::size_t>(c) % std::min<std::size_t>(5, order.size())]];
      for (std::size_t k = 0; k < d; ++k) {
        double v[4];
        rng.uniform4(first + static_cast<std::uint64_t>(c), v, static_cast<std::uint32_t>(k));
        u[k] = local ? std::clamp(around[k] + 0.1 * (2 * v[0] - 1), 0.0, 1.0) : v[0];
      }
      double mu = 0, sigma = 0;
      predict(u, mu, sigma);
      const double ei = expected_improvement(mu, sigma, best);
      if (ei > chosen_ei) {
        chosen_ei = ei;
        chosen = u;
      }
    }
    return chosen;
  }

 private:
  static double kernel(const std::vector<double>& a, const std::vector<double>& b, double l) {
    double r2 = 0;
    for (std::size_t k = 0; k < a.size(); ++k) r2 += (a[k] - b[k]) * (a[k] - b[k]);
    const double s = std::sqrt(5.0 * r2) / l;
    return (1 + s + s * s / 3) * std::exp(-s);
  }
  // Factorises K + nugget I for length scale l; returns the log marginal likelihood (up to a constant).
  double fit(double l) {
    const auto n = static_cast<Eigen::Index>(x_.size());
    Eigen::MatrixXd k(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < n; ++j)
        k(i, j) = kernel(x_[static_cast<std::size_t>(i)], x_[static_cast<std::size_t>(j)], l) + (i == j ? nugget_ : 0);
    chol_.compute(k);
    alpha_ = chol_.solve(y_);
    double logdet = 0;
    for (Eigen::Index i = 0; i < n; ++i) logdet += 2 * std::log(chol_.matrixL()(i, i));
    return -0.5 * y_.dot(alpha_) - 0.5 * logdet;
  }

  std::vector<std::vector<double>> x_;
  Eigen::VectorXd y_, alpha_;
  Eigen::LLT<Eigen::MatrixXd> chol_;
  double mean_ = 0, scale_ = 1, length_ = 0.3, nugget_ = 1e-6;
};

}  // namespace sagips::hpo
