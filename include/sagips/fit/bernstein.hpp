#pragma once
// A flexible density for fits with many parameters: a Bernstein polynomial of degree n on [lo, hi],
//
//   p(x | theta) = sum_k w_k b_k(t) / Z,   t = (x - lo) / (hi - lo),   b_k(t) = C(n, k) t^k (1 - t)^(n - k),
//   w_0 = 1, w_k = exp(theta_k) (k = 1..n),   Z = (hi - lo) / (n + 1) * sum_k w_k,
//
// positive for every theta (each b_k integrates to 1/(n+1) over [0, 1], so Z is exact), with
// n parameters (w_0 = 1 removes the scale, which the normalisation cancels). Any smooth positive
// shape on an interval is close to one of these for n large enough; parton densities' x-shapes are
// often parametrised this way.
//
// BernsteinNll is its unbinned negative log-likelihood over events spread across the ranks of a
// communicator, with the interface of fit::UnbinnedNll (P, Vec, evaluate, events), so fit::minimize
// (Newton) and fit::minimize_lbfgs both take it. Its value and gradient are analytic, O(n) per event
// (the basis at each event is computed once when it fits in 1 GiB), and one all-reduce of n + 2
// numbers per evaluation makes them global.
//   -ln L = -sum_i ln(sum_k w_k b_k(t_i)) + N ln(sum_k w_k) + N ln((hi - lo) / (n + 1))
//   d(-ln L)/d theta_k = -w_k sum_i b_k(t_i) / f_i + N w_k / sum_j w_j
//
// bernstein_sample draws exact events: k with probability w_k / sum w, then t ~ Beta(k + 1, n - k + 1)
// (b_k is that Beta density divided by n + 1).

#include <mpi.h>

#include "sagips/core/eigen.hpp"
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::fit {

template <int Degree>
class BernsteinNll {
  static_assert(Degree >= 1 && Degree <= 200, "BernsteinNll: the degree must be in [1, 200]");

 public:
  static constexpr int P = Degree;  // theta_1..theta_n
  using Vec = Eigen::Matrix<double, P, 1>;

  // events: this rank's events, all inside [lo, hi] (checked on every rank).
  BernsteinNll(std::vector<double> events, double lo, double hi, MPI_Comm comm = MPI_COMM_SELF)
      : events_(std::move(events)), lo_(lo), hi_(hi), comm_(comm) {
    SAGIPS_REQUIRE(lo < hi, "BernsteinNll: the interval [" << lo << ", " << hi << "] is empty");
    std::string problem;
    for (std::size_t i = 0; i < events_.size() && problem.empty(); ++i)
      if (!(events_[i] >= lo && events_[i] <= hi)) {
        std::ostringstream os;
        os << "BernsteinNll: event " << i << " is " << events_[i] << ", outside [" << lo << ", " << hi << "]";
        problem = os.str();
      }
    check_all(comm_, problem, "the Bernstein likelihood's event check");
    // The basis at every event, once, when it fits in 1 GiB: an evaluation is then two matrix-vector
    // products (B w, and B^T (1 / f)) and N logarithms.
    if (events_.size() * (Degree + 1) * sizeof(double) <= (std::size_t(1) << 30)) {
      basis_.resize(static_cast<Eigen::Index>(events_.size()), Degree + 1);
      for (std::size_t i = 0; i < events_.size(); ++i) {
        const auto b = basis((events_[i] - lo_) / (hi_ - lo_));
        for (int k = 0; k <= Degree; ++k) basis_(static_cast<Eigen::Index>(i), k) = b[k];
      }
    }
    long local = static_cast<long>(events_.size());
    mpi::allreduce(&local, &global_events_, 1, MPI_LONG, MPI_SUM, comm_, "the Bernstein likelihood's event count");
  }

  long events() const { return global_events_; }

  // b_0..b_n at t in [0, 1].
  static std::array<double, Degree + 1> basis(double t) {
    std::array<double, Degree + 1> b{};
    // t^k and (1 - t)^(n - k) by running products; C(n, k) by the multiplicative rule.
    std::array<double, Degree + 1> up{}, down{};
    up[0] = down[Degree] = 1;
    for (int k = 1; k <= Degree; ++k) up[k] = up[k - 1] * t;
    for (int k = Degree - 1; k >= 0; --k) down[k] = down[k + 1] * (1 - t);
    double c = 1;
    for (int k = 0; k <= Degree; ++k) {
      b[k] = c * up[k] * down[k];
      c = c * (Degree - k) / (k + 1);
    }
    return b;
  }

  // The normalised density at x.
  double density(const Vec& theta, double x) const {
    const auto b = basis((x - lo_) / (hi_ - lo_));
    double f = b[0], s = 1;
    for (int k = 1; k <= Degree; ++k) {
      const double w = std::exp(theta[k - 1]);
      f += w * b[k];
      s += w;
    }
    return f / (s * (hi_ - lo_) / (Degree + 1));
  }

  // -ln L(theta); its gradient into *grad when grad is not null. Collective over the communicator.
  double evaluate(const Vec& theta, Vec* grad = nullptr) const {
    std::array<double, Degree + 1> w{};
    w[0] = 1;
    double s = 1;
    for (int k = 1; k <= Degree; ++k) s += (w[k] = std::exp(theta[k - 1]));
    // Local sums: [sum ln f_i, sum_i b_k / f_i for k = 1..n, count of non-positive f_i].
    std::array<double, Degree + 2> acc{};
    const double width = hi_ - lo_;
    if (basis_.rows() > 0) {
      const Eigen::Map<const Eigen::Matrix<double, Degree + 1, 1>> wv(w.data());
      const Eigen::VectorXd f = basis_ * wv;
      Eigen::VectorXd inv(f.size());
      for (Eigen::Index i = 0; i < f.size(); ++i) {
        if (!(f[i] > 0)) {  // only where every weight underflowed
          acc[Degree + 1] += 1;
          inv[i] = 0;
          continue;
        }
        acc[0] += std::log(f[i]);
        inv[i] = 1 / f[i];
      }
      const Eigen::Matrix<double, Degree + 1, 1> bt = basis_.transpose() * inv;
      for (int k = 1; k <= Degree; ++k) acc[k] = bt[k];
    } else {
      for (double x : events_) {
        const auto b = basis((x - lo_) / width);
        double f = 0;
        for (int k = 0; k <= Degree; ++k) f += w[k] * b[k];
        if (!(f > 0)) {
          acc[Degree + 1] += 1;
          continue;
        }
        acc[0] += std::log(f);
        const double inv = 1 / f;
        for (int k = 1; k <= Degree; ++k) acc[k] += b[k] * inv;
      }
    }
    std::array<double, Degree + 2> sum{};
    mpi::allreduce(acc.data(), sum.data(), Degree + 2, MPI_DOUBLE, MPI_SUM, comm_, "the Bernstein likelihood's sums");
    if (sum[Degree + 1] > 0) {
      if (grad) grad->setZero();
      return std::numeric_limits<double>::infinity();
    }
    const double N = static_cast<double>(global_events_);
    if (grad)
      for (int k = 1; k <= Degree; ++k) (*grad)[k - 1] = -w[k] * sum[k] + N * w[k] / s;
    return -sum[0] + N * std::log(s) + N * std::log(width / (Degree + 1));
  }

 private:
  std::vector<double> events_;
  double lo_, hi_;
  MPI_Comm comm_;
  long global_events_ = 0;
  Eigen::MatrixXd basis_;  // [events, n + 1] when precomputed, else empty
};

// n events of the Bernstein density with these parameters, exactly (deterministic for a seed).
template <int Degree>
std::vector<double> bernstein_sample(const typename BernsteinNll<Degree>::Vec& theta, long n, double lo, double hi,
                                     std::uint64_t seed) {
  SAGIPS_REQUIRE(n >= 0 && lo < hi, "bernstein_sample: " << n << " events on [" << lo << ", " << hi << "]");
  std::vector<double> w(Degree + 1, 1.0);
  for (int k = 1; k <= Degree; ++k) w[k] = std::exp(theta[k - 1]);
  std::mt19937_64 rng(seed);
  std::discrete_distribution<int> pick(w.begin(), w.end());
  std::vector<double> out(static_cast<std::size_t>(n));
  for (auto& x : out) {
    const int k = pick(rng);
    std::gamma_distribution<double> a(k + 1.0), b(Degree - k + 1.0);
    const double ga = a(rng), gb = b(rng);
    x = lo + (hi - lo) * ga / (ga + gb);
  }
  return out;
}

}  // namespace sagips::fit
