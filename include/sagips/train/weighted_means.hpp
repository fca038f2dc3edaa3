#pragma once
// Weighted fake events (an acceptance that weights, a reweighting sampler): the step's fake losses are
// weighted means normalised by the weight sum of the model's whole step,
//
//   L = sum_i w_i l_i / S,   S = sum_i w_i over every rank of the model,
//   dL/do_i = w_i l'_i / S,   dL/dw_i = (l_i - L) / S,
//
// so that N ranks compute what one rank with the whole batch computes, and a generator cannot lower
// its loss by moving events where the acceptance is low (dividing by the event count instead would
// give it exactly that push: the loss would be the mean acceptance times the weighted mean).
//
// How: the loss kernels run with normalizer 1 (sum_i w_i l_i, w_i l'_i and l_i); one all-reduce of
// three numbers over the model's ranks (this rank's weight sum and its two weighted loss sums) gives S
// and L; then each rank scales its gradients by R / S (R: the model's ranks; the exchange averages
// over them) and shifts dL/dw by L. The all-reduce sits between two parts of the step that may each
// fail on one rank (a pipeline refusing its parameters), so every rank reaches it either way. A discriminator that each rank keeps for itself (without
// --average-discriminator) normalises its fake half by its own rank's weight sum instead.
// The cost: that all-reduce and one device-to-host read of the sums per step, for weighted pipelines only.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <string>

#include "sagips/core/views.hpp"
#include "sagips/loss.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::train {

namespace detail {
// (Free functions: nvcc refuses a device lambda in a private member function.)
template <class T>
double weight_sum(ConstVector<T> w) {
  double s = 0;
  Kokkos::parallel_reduce(
      "sagips::train::weight_sum", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(w.extent(0))),
      KOKKOS_LAMBDA(int i, double& acc) { acc += static_cast<double>(w(i)); }, s);
  return s;
}
// m *= f, value *= f.
template <class T>
void scale_gradient(Matrix<T> m, loss::DeviceValue<T> value, T f) {
  Kokkos::parallel_for(
      "sagips::train::scale_by_weights", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(m.extent(0))),
      KOKKOS_LAMBDA(int i) {
        m(i, 0) *= f;
        if (i == 0) value() *= f;
      });
}
// d_w = (d_w - shift) f.
template <class T>
void shift_and_scale(Vector<T> d_w, T shift, T f) {
  Kokkos::parallel_for(
      "sagips::train::weight_gradient", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(d_w.extent(0))),
      KOKKOS_LAMBDA(int i) { d_w(i) = (d_w(i) - shift) * f; });
}
template <class T>
double host_value(loss::DeviceValue<T> v) {
  T h{};
  Kokkos::deep_copy(h, v);
  return static_cast<double>(h);
}
}  // namespace detail

template <class T>
class WeightedMeans {
 public:
  struct Sums {
    double w = 0, g = 0, d = 0;  // the weight sum, the generator's and the discriminator's weighted loss sums
  };

  WeightedMeans() = default;
  // model: the ranks whose generator gradients are averaged (the model's training ranks).
  explicit WeightedMeans(MPI_Comm model) : model_(model) {
    if (model != MPI_COMM_NULL) MPI_Comm_size(model, &ranks_);
  }

  // This rank's sums, after the loss kernels ran with normalizer 1 (g or d may be empty).
  static Sums local(ConstVector<T> w, loss::DeviceValue<T> g, loss::DeviceValue<T> d) {
    Sums s;
    s.w = detail::weight_sum(w);
    if (g.data()) s.g = detail::host_value(g);
    if (d.data()) s.d = detail::host_value(d);
    return s;
  }
  // The model's sums: collective over the model's ranks, so every rank calls it, one whose pipeline
  // refused the step with nothing ({}).
  Sums over_model(Sums mine) const {
    double v[3] = {mine.w, mine.g, mine.d};
    mpi::allreduce(MPI_IN_PLACE, v, 3, MPI_DOUBLE, MPI_SUM, model_, "the step's weight sums");
    return {v[0], v[1], v[2]};
  }

  // The problem with the model's weight sum (empty: none). Every rank of the model sees the same sum.
  static std::string problem(const Sums& all, long step) {
    if (all.w > 0) return "";
    return "the weighted fake events of step " + std::to_string(step) + " have total weight " +
           std::to_string(all.w) + " over the model's ranks: the pipeline's weights vanish (an acceptance of "
           "zero wherever the generator puts its events?) or are not finite";
  }

  // The generator's gradients (d_out_g, d_w and its value g) normalised by the model's weight sum.
  void normalise_generator(const Sums& all, loss::DeviceValue<T> g, Matrix<T> d_out_g, Vector<T> d_w) const {
    const T f = static_cast<T>(ranks_ / all.w);
    detail::shift_and_scale(d_w, static_cast<T>(all.g / all.w), f);
    detail::scale_gradient(d_out_g, g, f);
  }
  // The discriminator's fake half: by the model's weight sum when it is shared (averaged over the
  // model's ranks), else by this rank's own.
  void normalise_discriminator(const Sums& mine, const Sums& all, bool shared, loss::DeviceValue<T> d,
                               Matrix<T> d_out_d) const {
    const double f = shared ? ranks_ / all.w : (mine.w > 0 ? 1 / mine.w : 0.0);
    detail::scale_gradient(d_out_d, d, static_cast<T>(f));
  }

 private:
  MPI_Comm model_ = MPI_COMM_NULL;
  int ranks_ = 1;
};

}  // namespace sagips::train
