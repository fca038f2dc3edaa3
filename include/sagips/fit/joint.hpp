#pragma once
// The combined maximum-likelihood fit of several data sets: the sum of their negative log-likelihoods
// over one parameter vector (sim::Joint's), each data set with its own theory, domain and events.
//
//   using J = sim::Joint<4, A, B>;
//   fit::UnbinnedNll<J::DataSet<0>> a(J::DataSet<0>{}, events_a, ...);
//   fit::UnbinnedNll<J::DataSet<1>> b(J::DataSet<1>{}, events_b, ...);
//   fit::FitResult r = fit::minimize(fit::JointNll(a, b), start, J::lower_bounds(), J::upper_bounds());
//
// -ln L(p) = sum_k -ln L_k(p): each data set's likelihood is normalised over its own domain (its events'
// count is what it is), so the data sets weigh by their events, as independent measurements do.
// Collective like its parts: every rank gets the same value.

#include "sagips/core/eigen.hpp"
#include <limits>
#include <tuple>
#include <type_traits>

namespace sagips::fit {

template <class... Nlls>
class JointNll {
  using First = std::tuple_element_t<0, std::tuple<Nlls...>>;

 public:
  static constexpr int P = First::P;
  static_assert(((Nlls::P == P) && ...), "JointNll: every data set's likelihood must be over the same parameters");
  using Vec = Eigen::Matrix<double, P, 1>;

  explicit JointNll(const Nlls&... parts) : parts_(parts...) {}

  long events() const {
    return std::apply([](const auto&... n) { return (n.events() + ...); }, parts_);
  }

  // -ln L(p) summed over the data sets; its gradient into *grad when grad is not null.
  double evaluate(const Vec& p, Vec* grad = nullptr) const {
    double total = 0;
    if (grad) grad->setZero();
    std::apply(
        [&](const auto&... n) {
          auto add = [&](const auto& part) {
            Vec g;
            total += part.evaluate(p, grad ? &g : nullptr);
            if (grad) *grad += g;
          };
          (add(n), ...);
        },
        parts_);
    if (!(total < std::numeric_limits<double>::infinity())) {
      if (grad) grad->setZero();
      return std::numeric_limits<double>::infinity();
    }
    return total;
  }

 private:
  std::tuple<const Nlls&...> parts_;
};

template <class... Nlls>
JointNll(const Nlls&...) -> JointNll<Nlls...>;

}  // namespace sagips::fit
