#pragma once
// Adam on a flat parameter buffer, PyTorch's formulation with bias correction:
//   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,  t <- t + 1,
//   theta <- theta - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// SAGIPS's defaults: b1 = 0.5, b2 = 0.999. The state (t, m, v) saves and restores exactly.

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <string>

#include "sagips/core/config.hpp"
#include "sagips/core/math.hpp"
#include "sagips/core/views.hpp"
#include "sagips/optim/contract.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/serialize.hpp"

namespace sagips::optim {

template <class T>
class Adam {
 public:
  static constexpr const char* name = "adam";
  struct Config {
    T lr = T(1e-4);
    T beta1 = T(0.5);
    T beta2 = T(0.999);
    T eps = T(1e-8);
  };

  Adam(std::size_t n, Config c) : c_(c), m_("sagips::adam::m", n), v_("sagips::adam::v", n) {
    SAGIPS_REQUIRE(c.lr > 0 && c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1 && c.eps > 0,
                   "Adam: lr must be positive, betas in [0, 1), eps positive");
  }

  // As the trainer builds it: the learning rate and --beta1/--beta2 from the run's settings.
  Adam(std::size_t n, const Settings& s) : Adam(n, from_settings(s)) {}

  void step(Vector<T> params, ConstVector<T> grads) {
    SAGIPS_REQUIRE(params.extent(0) == m_.extent(0) && grads.extent(0) == m_.extent(0),
                   "Adam: buffers of " << params.extent(0) << " and " << grads.extent(0) << " values for an optimizer of "
                                       << m_.extent(0));
    ++t_;
    const double bc1 = 1 - std::pow(double(c_.beta1), double(t_));
    const double bc2 = 1 - std::pow(double(c_.beta2), double(t_));
    const T step_size = static_cast<T>(double(c_.lr) / bc1);
    const T inv_sqrt_bc2 = static_cast<T>(1 / std::sqrt(bc2));
    const T b1 = c_.beta1, b2 = c_.beta2, eps = c_.eps;
    auto m = m_;
    auto v = v_;
    Kokkos::parallel_for(
        "sagips::adam", Kokkos::RangePolicy<ExecSpace>(0, params.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          const T g = grads(i);
          const T mi = b1 * m(i) + (T(1) - b1) * g;
          const T vi = b2 * v(i) + (T(1) - b2) * g * g;
          m(i) = mi;
          v(i) = vi;
          params(i) -= step_size * mi / (math::sqrt(vi) * inv_sqrt_bc2 + eps);
        });
  }

  std::int64_t steps() const { return t_; }
  const Config& config() const { return c_; }
  void set_lr(T lr) { c_.lr = lr; }
  Vector<T> first_moment() const { return m_; }
  Vector<T> second_moment() const { return v_; }

  void save(BinaryWriter& w, const std::string& name) const {
    w.value(name + ".t", t_);
    w.view(name + ".m", m_);
    w.view(name + ".v", v_);
  }
  void load(BinaryReader& r, const std::string& name) {
    r.value(name + ".t", t_);
    r.view(name + ".m", m_);
    r.view(name + ".v", v_);
  }

 private:
  static Config from_settings(const Settings& s) {
    Config c;
    c.lr = static_cast<T>(s.lr);
    c.beta1 = static_cast<T>(s.beta1);
    c.beta2 = static_cast<T>(s.beta2);
    return c;
  }
  Config c_;
  Vector<T> m_, v_;
  std::int64_t t_ = 0;
};

}  // namespace sagips::optim
