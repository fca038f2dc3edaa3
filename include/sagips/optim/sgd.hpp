#pragma once
// Stochastic gradient descent with momentum on a flat buffer (PyTorch's convention, no dampening):
//   b <- mu b + g,   theta <- theta - lr b.

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>

#include "sagips/core/config.hpp"
#include "sagips/core/views.hpp"
#include "sagips/optim/contract.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/serialize.hpp"

namespace sagips::optim {

template <class T>
class Sgd {
 public:
  static constexpr const char* name = "sgd";
  struct Config {
    T lr = T(1e-2);
    T momentum = T(0);
  };

  Sgd(std::size_t n, Config c) : c_(c), b_("sagips::sgd::momentum", n) {
    SAGIPS_REQUIRE(c.lr > 0 && c.momentum >= 0 && c.momentum < 1, "Sgd: lr must be positive, momentum in [0, 1)");
  }

  // As the trainer builds it: the learning rate and --momentum from the run's settings.
  Sgd(std::size_t n, const Settings& s) : Sgd(n, Config{static_cast<T>(s.lr), static_cast<T>(s.momentum)}) {}

  void step(Vector<T> params, ConstVector<T> grads) {
    SAGIPS_REQUIRE(params.extent(0) == b_.extent(0) && grads.extent(0) == b_.extent(0),
                   "Sgd: buffers of " << params.extent(0) << " and " << grads.extent(0) << " values for an optimizer of "
                                      << b_.extent(0));
    ++t_;
    const T lr = c_.lr, mu = c_.momentum;
    const bool first = t_ == 1;
    auto b = b_;
    Kokkos::parallel_for(
        "sagips::sgd", Kokkos::RangePolicy<ExecSpace>(0, params.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          const T bi = first ? grads(i) : mu * b(i) + grads(i);
          b(i) = bi;
          params(i) -= lr * bi;
        });
  }

  std::int64_t steps() const { return t_; }
  const Config& config() const { return c_; }
  void set_lr(T lr) { c_.lr = lr; }

  void save(BinaryWriter& w, const std::string& name) const {
    w.value(name + ".t", t_);
    w.view(name + ".momentum", b_);
  }
  void load(BinaryReader& r, const std::string& name) {
    r.value(name + ".t", t_);
    r.view(name + ".momentum", b_);
  }

 private:
  Config c_;
  Vector<T> b_;
  std::int64_t t_ = 0;
};

}  // namespace sagips::optim
