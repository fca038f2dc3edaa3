#pragma once
// The state one rank trains: the generator and discriminator, their optimizers (each chosen by name
// among Optimizers, an optim::Choice: --generator-optimizer, --discriminator-optimizer), and (when asked)
// an exponential moving average of the generator's weights, which is what the estimates read: the
// average of the last few hundred steps' weights jitters far less than the weights themselves.
// This is also exactly what a checkpoint holds for the models (save/load). With --start-spread each
// model's generator is first fitted to a start point of its own (start.hpp).

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>

#include "sagips/core/views.hpp"
#include "sagips/nn/batch_norm.hpp"
#include "sagips/optim/choice.hpp"
#include "sagips/runtime/serialize.hpp"
#include "sagips/train/broadcast.hpp"
#include "sagips/train/config.hpp"
#include "sagips/train/start.hpp"

namespace sagips::train {

template <class Generator, class Discriminator, class Optimizers = optim::Builtin>
class GanModels {
 public:
  using T = typename Generator::value_type;
  using Optimizer = typename Optimizers::template For<T>;

  // Deterministic for a seed: every rank of a model builds the same networks.
  GanModels(const TrainerConfig& c, std::uint64_t seed)
      : gen_opt_(Generator::num_params, c.generator_optimizer, settings(c.lr_generator, c)),
        disc_opt_(Discriminator::num_params, c.discriminator_optimizer, settings(c.lr_discriminator, c)),
        use_ema_(c.ema > 0),
        sync_batch_norm_(c.sync_batch_norm) {
    gen_.initialize(seed);
    if (c.start_spread > 0)
      fit_start(gen_, start_point<Generator::out_width>(seed, c.start_spread), c.generator_noise, seed);
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
  Optimizer& generator_optimizer() { return gen_opt_; }
  Optimizer& discriminator_optimizer() { return disc_opt_; }

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

  // The first rank of comm hands its generator (its optimizer state, its EMA) to the others; the first
  // rank of disc_comm its discriminator to the others of disc_comm when they are averaged (each rank
  // keeps its own otherwise). disc_comm is comm, or in a multi-data-set run the rank's data set's
  // group (data_sets.hpp). With --sync-batch-norm, batch-normalised layers reduce their statistics:
  // the generator's over comm, the discriminator's over disc_comm when it is averaged (statistics of
  // different networks do not mix).
  void synchronize(MPI_Comm comm, MPI_Comm disc_comm, bool discriminators) {
    broadcast_view(gen_.params(), comm);
    if (use_ema_) broadcast_view(ema_, comm);
    if (discriminators) broadcast_view(disc_.params(), disc_comm);
    broadcast_state(gen_opt_, gen_section(), comm);
    if (!sync_batch_norm_) return;
    if constexpr (nn::has_batch_norm_v<Generator>) gen_.set_batch_norm_comm(comm);
    if constexpr (nn::has_batch_norm_v<Discriminator>) {
      if (discriminators) disc_.set_batch_norm_comm(disc_comm);
    }
  }

  void save(BinaryWriter& w) const {
    gen_.save(w, "generator");
    disc_.save(w, "discriminator");
    gen_opt_.save(w, gen_section());
    disc_opt_.save(w, disc_section());
    if (use_ema_) w.view("generator.ema", ema_);
  }
  void load(BinaryReader& r) {
    gen_.load(r, "generator");
    disc_.load(r, "discriminator");
    gen_opt_.load(r, gen_section());
    disc_opt_.load(r, disc_section());
    if (use_ema_) r.view("generator.ema", ema_);
  }

 private:
  static optim::Settings settings(double lr, const TrainerConfig& c) {
    optim::Settings s;
    s.lr = lr;
    s.beta1 = c.beta1;
    s.beta2 = c.beta2;
    s.momentum = c.momentum;
    return s;
  }
  // Checkpoint sections by the optimizer's name ("generator.adam").
  std::string gen_section() const { return std::string("generator.") + gen_opt_.name(); }
  std::string disc_section() const { return std::string("discriminator.") + disc_opt_.name(); }

  Generator gen_;
  Discriminator disc_;
  Optimizer gen_opt_, disc_opt_;
  bool use_ema_;
  bool sync_batch_norm_;
  Vector<T> ema_;
};

}  // namespace sagips::train
