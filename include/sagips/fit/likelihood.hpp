#pragma once
// The unbinned negative log-likelihood of a theory's parameters given events:
//
//   -ln L(p) = -sum_i ln sigma(x_i; p) + N ln Z(p),     Z(p) = integral of sigma(x; p) over the domain,
//
// with Z from the composite Gauss-Legendre rule of quadrature.hpp. The gradient comes from the same
// Dual numbers the samplers use (no hand-written derivatives). Events may be spread over the ranks
// of a communicator: each rank sums over its own, one all-reduce (under the stall watchdog) combines
// them, and every rank gets the same value, so a minimiser can run in lockstep on all ranks.

#include <mpi.h>

#include "sagips/core/eigen.hpp"
#include <array>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "sagips/autodiff/dual.hpp"
#include "sagips/fit/quadrature.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::fit {

struct LikelihoodOptions {
  int subintervals = 48;         // per dimension, crowded toward the domain's edges
  int nodes_per_interval = 8;    // Gauss-Legendre nodes in each
};

template <class Theory>
class UnbinnedNll {
 public:
  static constexpr int P = Theory::num_params;
  static constexpr int D = Theory::dim;
  using Vec = Eigen::Matrix<double, P, 1>;
  using Dual = autodiff::Dual<double, P>;

  // events: this rank's events, row-major [n, D], all inside [lo, hi] (checked on every rank).
  UnbinnedNll(Theory theory, std::vector<double> events, const std::array<double, D>& lo,
              const std::array<double, D>& hi, MPI_Comm comm = MPI_COMM_SELF, LikelihoodOptions options = {})
      : theory_(theory), events_(std::move(events)), comm_(comm) {
    std::string problem;
    if (events_.size() % D != 0) {
      problem = "the event buffer does not hold whole events of dimension " + std::to_string(D);
    } else {
      for (std::size_t i = 0; i < events_.size() && problem.empty(); ++i) {
        const int d = static_cast<int>(i % D);
        if (!(events_[i] >= lo[d] && events_[i] <= hi[d])) {
          std::ostringstream os;
          os << "event " << i / D << " has coordinate " << d << " = " << events_[i] << ", outside the domain ["
             << lo[d] << ", " << hi[d] << "]";
          problem = os.str();
        }
      }
    }
    check_all(comm_, problem, "the likelihood's event check");
    long local = static_cast<long>(events_.size() / D);
    mpi::allreduce(&local, &global_events_, 1, MPI_LONG, MPI_SUM, comm_, "the likelihood's event count");
    rule_ = box_rule<D>(lo, hi, options.subintervals, options.nodes_per_interval);
  }

  long events() const { return global_events_; }

  // The normalisation Z(p) and its gradient.
  Dual normalisation(const Vec& p) const {
    Dual dp[P];
    for (int j = 0; j < P; ++j) dp[j] = Dual::variable(p[j], j);
    Dual z(0.0);
    for (std::size_t k = 0; k < rule_.size(); ++k) z += rule_.weights[k] * theory_(dp, &rule_.points[k * D]);
    return z;
  }

  // -ln L(p); its gradient into *grad when grad is not null. Collective over the communicator.
  double evaluate(const Vec& p, Vec* grad = nullptr) const {
    Dual dp[P];
    for (int j = 0; j < P; ++j) dp[j] = Dual::variable(p[j], j);
    // Local sums: [sum ln sigma, its gradient, count of non-positive densities].
    std::array<double, P + 2> acc{};
    const std::size_t n = events_.size() / D;
    for (std::size_t i = 0; i < n; ++i) {
      const Dual s = theory_(dp, &events_[i * D]);
      if (!(s.v > 0)) {
        acc[P + 1] += 1;
        continue;
      }
      const double inv = 1.0 / s.v;
      acc[0] += std::log(s.v);
      for (int j = 0; j < P; ++j) acc[1 + j] += s.d[j] * inv;
    }
    std::array<double, P + 2> sum{};
    mpi::allreduce(acc.data(), sum.data(), P + 2, MPI_DOUBLE, MPI_SUM, comm_, "the likelihood reduction of the fit");
    const Dual z = normalisation(p);
    if (sum[P + 1] > 0 || !(z.v > 0)) {
      // The density vanished where events are (or everywhere): the likelihood is zero there.
      if (grad) grad->setZero();
      return std::numeric_limits<double>::infinity();
    }
    const double N = static_cast<double>(global_events_);
    if (grad)
      for (int j = 0; j < P; ++j) (*grad)[j] = -sum[1 + j] + N * z.d[j] / z.v;
    return -sum[0] + N * std::log(z.v);
  }

 private:
  Theory theory_;
  std::vector<double> events_;
  MPI_Comm comm_;
  long global_events_ = 0;
  BoxRule<D> rule_;
};

}  // namespace sagips::fit
