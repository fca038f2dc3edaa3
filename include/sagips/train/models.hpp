#pragma once
// The state one rank trains: the generator and discriminator, their Adam optimizers, and (when asked)
// an exponential moving average of the generator's weights, which is what the estimates read: the
// average of the last few hundred steps' weights jitters far less than the weights themselves.
// This is also exactly what a checkpoint holds for the models (save/load).

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>

#include "sagips/core/serialize.hpp"
#include "sagips/core/views.hpp"
#include "sagips/optim/adam.hpp"
#include "sagips/train/broadcast.hpp"
#include "sagips/train/config.hpp"

namespace sagips::train {

template <class Generator, class Discriminator>
class GanModels {
 public:
  using T = typename Generator::value_type;

  // Deterministic for a seed: every rank of a model builds the same networks.
  GanModels(const TrainerConfig& c, std::uint64_t seed)
      : gen_opt_(Generator::num_params, adam(c.lr_generator, c)),
        disc_opt_(Discriminator::num_params, adam(c.lr_discriminator, c)),
        use_ema_(c.ema > 0) {
    gen_.initialize(seed);
    disc_.initialize(seed + 0x9e3779b97f4a7c15ull);
    if (use_ema_) {
      ema_ = Vector<T>("sagips::train::ema", Generator::num_params);
      Kokkos::deep_copy(ema_, gen_.params());
    }
  }

  Generator& generator() { return gen_; }
  const Generator& generator() const { return gen_; }
  Discriminator& discriminator() { return disc_; }
  const Discriminator& discriminator() const { return disc_; }
  optim::Adam<T>& generator_optimizer() { return gen_opt_; }
  optim::Adam<T>& discriminator_optimizer() { return disc_opt_; }

  // The generator weights the estimates read: the EMA when there is one, else the weights themselves.
  Vector<T> estimate_weights() const { return use_ema_ ? ema_ : gen_.params(); }
  bool has_ema() const { return use_ema_; }

  // ema <- decay ema + (1 - decay) weights, after the generator's optimizer step.
  void update_ema(double decay) {
    if (!use_ema_) return;
    const T b = static_cast<T>(decay);
    auto e = ema_;
    auto w = gen_.params();
    Kokkos::parallel_for(
        "sagips::train::ema", Kokkos::RangePolicy<ExecSpace>(0, e.extent(0)),
        KOKKOS_LAMBDA(std::size_t i) { e(i) = b * e(i) + (T(1) - b) * w(i); });
  }

  // The first rank of comm hands its generator (its optimizer state, its EMA) to the others; the
  // discriminators too when they are averaged (each rank keeps its own otherwise).
  void synchronize(MPI_Comm comm, bool discriminators) {
    broadcast_view(gen_.params(), comm);
    if (use_ema_) broadcast_view(ema_, comm);
    if (discriminators) broadcast_view(disc_.params(), comm);
    broadcast_state(gen_opt_, "generator.adam", comm);
  }

  void save(BinaryWriter& w) const {
    gen_.save(w, "generator");
    disc_.save(w, "discriminator");
    gen_opt_.save(w, "generator.adam");
    disc_opt_.save(w, "discriminator.adam");
    if (use_ema_) w.view("generator.ema", ema_);
  }
  void load(BinaryReader& r) {
    gen_.load(r, "generator");
    disc_.load(r, "discriminator");
    gen_opt_.load(r, "generator.adam");
    disc_opt_.load(r, "discriminator.adam");
    if (use_ema_) r.view("generator.ema", ema_);
  }

 private:
  static typename optim::Adam<T>::Config adam(double lr, const TrainerConfig& c) {
    typename optim::Adam<T>::Config a;
    a.lr = static_cast<T>(lr);
    a.beta1 = static_cast<T>(c.beta1);
    a.beta2 = static_cast<T>(c.beta2);
    return a;
  }

  Generator gen_;
  Discriminator disc_;
  optim::Adam<T> gen_opt_, disc_opt_;
  bool use_ema_;
  Vector<T> ema_;
};

}  // namespace sagips::train
