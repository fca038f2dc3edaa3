#pragma once
// The passes of a batch-normalised layer (nn/batch_norm.hpp), as Kokkos kernels (host or device) with
// the reductions over ranks on the host between them.
//   batch_norm_forward   z [n, C] -> act(gamma z_hat + beta), in place; z_hat and the statistics kept
//   batch_norm_backward  dL/d(gamma z_hat + beta) [n, C] -> dL/dz, in place; dgamma, dbeta (+)=

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/batch_norm.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::nn::detail {

// What a forward leaves for the backward, per normalised layer (in the network's Context).
template <class T>
struct NormState {
  Matrix<T> zhat;                  // [capacity, C]
  Vector<T> mean_inv_std;          // [2C]: the mean and 1/sqrt(var + eps) the forward used
  Vector<double> sums;             // [2C + 1]: the reductions' scratch
  HostVector<double> sums_host;    // [2C + 1]
  HostVector<T> mean_inv_std_host; // [2C]
  double count = 0;                // rows in the batch (over all ranks when synchronized)
  bool training = true;

  NormState() = default;
  NormState(int capacity, int c)
      : zhat("sagips::nn::bn::zhat", capacity, c),
        mean_inv_std("sagips::nn::bn::mean_inv_std", 2 * c),
        sums("sagips::nn::bn::sums", 2 * c + 1),
        sums_host("sagips::nn::bn::sums_host", 2 * c + 1),
        mean_inv_std_host("sagips::nn::bn::mean_inv_std_host", 2 * c) {}
};

// Column sums of a [n, C] (into s(0..C)) and of a*b (into s(C..2C)); b empty: a*a. One pass over
// the rows (row-major: each row's C values are contiguous), the 2C sums an array reduction in double.
template <class T>
struct ColumnSums {
  using value_type = double[];
  unsigned value_count;
  ConstMatrix<T> a, b;
  int c;
  bool square;
  KOKKOS_INLINE_FUNCTION void operator()(int i, value_type sum) const {
    for (int j = 0; j < c; ++j) {
      const double u = static_cast<double>(a(i, j));
      sum[j] += u;
      sum[c + j] += u * (square ? u : static_cast<double>(b(i, j)));
    }
  }
  KOKKOS_INLINE_FUNCTION void init(value_type sum) const {
    for (unsigned k = 0; k < value_count; ++k) sum[k] = 0;
  }
#if KOKKOS_VERSION < 40000
  KOKKOS_INLINE_FUNCTION void join(volatile value_type dst, const volatile value_type src) const {
#else
  KOKKOS_INLINE_FUNCTION void join(value_type dst, const value_type src) const {
#endif
    for (unsigned k = 0; k < value_count; ++k) dst[k] += src[k];
  }
};

template <class T>
void column_sums(ConstMatrix<T> a, ConstMatrix<T> b, Vector<double> s) {
  const int n = static_cast<int>(a.extent(0)), c = static_cast<int>(a.extent(1));
  const ColumnSums<T> f{static_cast<unsigned>(2 * c), a, b, c, b.data() == nullptr};
  const auto out = Kokkos::subview(s, std::make_pair(0, 2 * c));
  Kokkos::parallel_reduce("sagips::nn::bn::column_sums", Kokkos::RangePolicy<ExecSpace>(0, n), f, out);
}

// Adds the sums over the ranks of comm (when synchronized); the same numbers on every rank after.
inline void reduce_sums(HostVector<double> h, int count, const NormComm& comm, const char* what) {
  if (!comm.synchronized()) return;
  std::vector<double> local(h.data(), h.data() + count);
  mpi::allreduce(local.data(), h.data(), count, MPI_DOUBLE, MPI_SUM, comm.get(), what);
}

// y holds z = x W^T + b [n, C]; leaves act(gamma z_hat + beta) there. running: [2C] mean, var.
template <class Act, class T>
void batch_norm_forward(Matrix<T> y, NormState<T>& s, Vector<T> gamma, Vector<T> beta, HostVector<double> running,
                        const NormComm& comm, const BatchNormConfig& cfg, bool training, T slope) {
  const int n = static_cast<int>(y.extent(0)), c = static_cast<int>(y.extent(1));
  s.training = training;
  if (training) {
    if (n > 0) column_sums<T>(y, ConstMatrix<T>(), s.sums);
    else Kokkos::deep_copy(s.sums, 0.0);
    Kokkos::deep_copy(s.sums_host, s.sums);
    s.sums_host(2 * c) = n;
    reduce_sums(s.sums_host, 2 * c + 1, comm, "batch norm: the forward statistics");
    const double count = s.sums_host(2 * c);
    s.count = count;
    if (count < 2) {
      std::ostringstream os;
      os << "batch norm: a training batch of " << count << " row" << (count == 1 ? "" : "s")
         << (comm.synchronized() ? " over all ranks" : "")
         << "; its statistics need at least 2 (evaluate with set_training(false))";
      if (comm.synchronized()) throw CollectiveError(os.str());
      throw Error(os.str());
    }
    for (int j = 0; j < c; ++j) {
      const double mean = s.sums_host(j) / count;
      const double var = std::max(s.sums_host(c + j) / count - mean * mean, 0.0);
      if (!std::isfinite(mean) || !std::isfinite(var)) {
        std::ostringstream os;
        os << "batch norm: the batch statistics of column " << j << " are not finite (mean " << mean << ", variance "
           << var << ")";
        if (comm.synchronized()) throw CollectiveError(os.str());
        throw Error(os.str());
      }
      s.mean_inv_std_host(j) = static_cast<T>(mean);
      s.mean_inv_std_host(c + j) = static_cast<T>(1 / std::sqrt(var + cfg.eps));
      running(j) = (1 - cfg.momentum) * running(j) + cfg.momentum * mean;
      running(c + j) = (1 - cfg.momentum) * running(c + j) + cfg.momentum * var * count / (count - 1);
    }
  } else {
    s.count = n;
    for (int j = 0; j < c; ++j) {
      s.mean_inv_std_host(j) = static_cast<T>(running(j));
      s.mean_inv_std_host(c + j) = static_cast<T>(1 / std::sqrt(running(c + j) + cfg.eps));
    }
  }
  Kokkos::deep_copy(s.mean_inv_std, s.mean_inv_std_host);
  if (n == 0) return;
  const auto ms = s.mean_inv_std;
  const auto zhat = s.zhat;
  Kokkos::parallel_for(
      "sagips::nn::bn::normalize", Kokkos::RangePolicy<ExecSpace>(0, n * c), KOKKOS_LAMBDA(int k) {
        const int i = k / c, j = k % c;
        const T z = (y(i, j) - ms(j)) * ms(c + j);
        zhat(i, j) = z;
        y(i, j) = Act::apply(gamma(j) * z + beta(j), slope);
      });
}

// dz holds dL/d(gamma z_hat + beta) [n, C]; leaves dL/dz there. dgamma, dbeta written or added to
// (this rank's rows: the exchange of parameter gradients adds the ranks, as for every parameter).
template <class T>
void batch_norm_backward(Matrix<T> dz, NormState<T>& s, Vector<T> gamma, Vector<T> dgamma, Vector<T> dbeta,
                         bool params, bool accumulate, const NormComm& comm) {
  const int n = static_cast<int>(dz.extent(0)), c = static_cast<int>(dz.extent(1));
  const ConstMatrix<T> zhat = Kokkos::subview(s.zhat, std::make_pair(0, n), Kokkos::ALL);
  if (n > 0) column_sums<T>(dz, zhat, s.sums);
  else Kokkos::deep_copy(s.sums, 0.0);
  if (params) {
    const auto sums = s.sums;
    Kokkos::parallel_for(
        "sagips::nn::bn::param_grads", Kokkos::RangePolicy<ExecSpace>(0, c), KOKKOS_LAMBDA(int j) {
          dbeta(j) = static_cast<T>(sums(j)) + (accumulate ? dbeta(j) : T(0));
          dgamma(j) = static_cast<T>(sums(c + j)) + (accumulate ? dgamma(j) : T(0));
        });
  }
  if (s.training) {  // the batch's mean and variance depend on every row: the global sums
    Kokkos::deep_copy(s.sums_host, s.sums);
    reduce_sums(s.sums_host, 2 * c, comm, "batch norm: the backward sums");
    Kokkos::deep_copy(s.sums, s.sums_host);
  }
  if (n == 0) return;
  const auto ms = s.mean_inv_std;
  const auto sums = s.sums;
  const double inv_count = s.training ? 1.0 / s.count : 0.0;
  Kokkos::parallel_for(
      "sagips::nn::bn::backward", Kokkos::RangePolicy<ExecSpace>(0, n * c), KOKKOS_LAMBDA(int k) {
        const int i = k / c, j = k % c;
        const double g = static_cast<double>(dz(i, j)) - inv_count * (sums(j) + static_cast<double>(zhat(i, j)) * sums(c + j));
        dz(i, j) = static_cast<T>(g * static_cast<double>(gamma(j) * ms(c + j)));
      });
}

}  // namespace sagips::nn::detail
