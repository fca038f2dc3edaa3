#pragma once
// A network fitted by least squares to a fixed sample spread over ranks, as an objective for
// optim::lbfgs (or for any optimizer: the gradient is the global one once summed over the ranks).
//
//   optim::LeastSquares<Net> share(net, x, y, global_rows);   // this rank's rows x [n, in], y [n, out]
//   auto r = optim::lbfgs(share, share.parameters(), comm);    // every rank the same steps
//   share.set_parameters(r.x);                                 // the network holds the fit
//
// Its value is this rank's share of the mean squared error over the *global* sample,
//   sum over my rows and outputs of (net(x_i) - y_i)^2 / global_rows,
// so the shares of any split add to the same loss and gradient (loss integrity: 1 rank or 5 ranks
// holding the same rows take the same steps). The residual is a Kokkos kernel: the network, the
// sample and the reduction stay on the device; only the flat parameter and gradient vectors cross
// to the host (L-BFGS is host-side Eigen), once per evaluation.

#include <Kokkos_Core.hpp>

#include "sagips/core/config.hpp"
#include "sagips/core/eigen.hpp"
#include "sagips/core/views.hpp"
#include "sagips/nn/contract.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::optim {

template <class Net>
class LeastSquares {
  static_assert(nn::check_network<Net>(), "");

 public:
  using T = typename Net::value_type;

  // The network is used, not copied: it holds the parameters of the last evaluation.
  LeastSquares(Net& net, ConstMatrix<T> x, ConstMatrix<T> y, long global_rows)
      : net_(net), x_(x), y_(y), global_rows_(global_rows), ctx_(net.make_context(static_cast<int>(x.extent(0)))),
        dy_("sagips::least_squares::dy", x.extent(0), Net::out_width),
        params_host_(Kokkos::create_mirror_view(net.params())),
        grads_host_(Kokkos::create_mirror_view(net.grads())) {
    SAGIPS_REQUIRE(x.extent(0) == y.extent(0) && static_cast<int>(x.extent(1)) == Net::in_width &&
                       static_cast<int>(y.extent(1)) == Net::out_width,
                   "LeastSquares: x is [" << x.extent(0) << ", " << x.extent(1) << "] and y [" << y.extent(0) << ", "
                                          << y.extent(1) << "]; the network maps " << Net::in_width << " to "
                                          << Net::out_width << " columns");
    SAGIPS_REQUIRE(global_rows > 0 && global_rows >= static_cast<long>(x.extent(0)),
                   "LeastSquares: " << global_rows << " global rows for " << x.extent(0) << " on this rank");
  }

  // The network's parameters as a vector (the start of a fit), and back.
  Eigen::VectorXd parameters() const {
    Kokkos::deep_copy(params_host_, net_.params());
    Eigen::VectorXd p(params_host_.extent(0));
    for (int j = 0; j < p.size(); ++j) p[j] = static_cast<double>(params_host_(j));
    return p;
  }
  void set_parameters(const Eigen::VectorXd& p) const {
    SAGIPS_REQUIRE(static_cast<std::size_t>(p.size()) == params_host_.extent(0),
                   "LeastSquares: " << p.size() << " parameters for a network of " << params_host_.extent(0));
    for (int j = 0; j < p.size(); ++j) params_host_(j) = static_cast<T>(p[j]);
    Kokkos::deep_copy(net_.params(), params_host_);
  }

  // This rank's share of the loss at p; its gradient into grad.
  double operator()(const Eigen::VectorXd& p, Eigen::VectorXd& grad) {
    set_parameters(p);
    const auto out = net_.forward(ctx_, x_);
    const auto y = y_;
    const auto dy = dy_;
    const T scale = static_cast<T>(1.0 / static_cast<double>(global_rows_));
    const int cols = Net::out_width;
    double loss = 0;
    Kokkos::parallel_reduce(
        "sagips::least_squares::residual", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(x_.extent(0))),
        KOKKOS_LAMBDA(int i, double& sum) {
          for (int c = 0; c < cols; ++c) {
            const T d = out(i, c) - y(i, c);
            sum += static_cast<double>(d * d * scale);
            dy(i, c) = 2 * d * scale;
          }
        },
        loss);
    net_.backward(ctx_, dy_, Matrix<T>(), nn::ParamGrad::overwrite);
    Kokkos::deep_copy(grads_host_, net_.grads());
    grad.resize(p.size());
    for (int j = 0; j < p.size(); ++j) grad[j] = static_cast<double>(grads_host_(j));
    return loss;
  }

 private:
  Net& net_;
  ConstMatrix<T> x_, y_;
  long global_rows_;
  typename Net::Context ctx_;
  Matrix<T> dy_;
  typename Vector<T>::HostMirror params_host_, grads_host_;
};

}  // namespace sagips::optim
