// Example 4, weighted: the same measured events (make_data.py), the same detector, but the simulation
// keeps every event and gives it the detector's efficiency as a weight, instead of dropping it with
// that probability. Every simulated event then carries information (none is thrown away), and the
// weight is differentiable in the event: its gradient reaches the generator through the weights
// as well as through the events.
//
// A weighting stage makes the training pipeline weighted (Pipeline::weighted), and measured events
// are never weighted, so the real events come from --data, or, without it, from the unweighted
// pipeline of resonance.cpp (real_data_pipeline).
//   python3 make_data.py events.npy && mpirun -np 4 resonance_weighted --data events.npy
#include <sagips/testing/gradients.hpp>

#include "resonance.hpp"

// The stage of your own: w' = w * efficiency(m). Its vector-Jacobian product takes dL/dw' back to the
// event (dL/dm += dL/dw' * w * efficiency'(m), efficiency' = -1/2) and to the weight before it
// (dL/dw = dL/dw' * efficiency(m)). `weighted = true` is what tells the pipeline that events carry weights.
struct EfficiencyWeight {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = true;
    Impl(const EfficiencyWeight&, const sagips::sim::Box<D>&) {}
    int forward(sagips::Matrix<T> ev, sagips::Vector<T> w, int n, sagips::random::CounterRng) {
      if (static_cast<int>(before_.extent(0)) < n) {
        before_ = sagips::Vector<T>("efficiency_weight::before", n);
        factor_ = sagips::Vector<T>("efficiency_weight::factor", n);
      }
      auto before = before_;
      auto factor = factor_;
      Kokkos::parallel_for("efficiency_weight", Kokkos::RangePolicy<sagips::ExecSpace>(0, n), KOKKOS_LAMBDA(int i) {
        before(i) = w(i);
        factor(i) = resonance::efficiency(ev(i, 0));
        w(i) *= factor(i);
      });
      return n;  // every event stays
    }
    void vjp(sagips::Matrix<T> d_ev, sagips::Vector<T> d_w, int, int after) {
      auto before = before_;
      auto factor = factor_;
      Kokkos::parallel_for("efficiency_weight_vjp", Kokkos::RangePolicy<sagips::ExecSpace>(0, after),
                           KOKKOS_LAMBDA(int i) {
                             d_ev(i, 0) += d_w(i) * before(i) * T(-0.5);
                             d_w(i) *= factor(i);
                           });
    }

   private:
    // What the vjp needs from the forward, kept here because later stages rewrite the events in place:
    // the weights before this stage and the efficiency of each event.
    sagips::Vector<T> before_, factor_;
  };
};

using Weighted = sagips::sim::Pipeline<resonance::Resonance, sagips::sim::InverseCdf1D<256>, EfficiencyWeight,
                                       sagips::sim::GaussianSmearing>;
using Dropping = sagips::sim::Pipeline<resonance::Resonance, sagips::sim::InverseCdf1D<256>,
                                       resonance::FallingEfficiency, sagips::sim::GaussianSmearing>;

int main(int argc, char** argv) {
  sagips::App<Weighted> app("resonance_weighted: example 4 with the detector's efficiency as an event weight");
  bool check = false;
  app.cli().add_flag("--check", check, "check the stage's vector-Jacobian product by finite differences first");
  app.defaults().output_dir = "resonance-weighted-out";
  app.real_data_pipeline([] { return Dropping({}, {}, {}, sagips::sim::GaussianSmearing{0.01}); });
  return app.run(argc, argv, [&] {
    if (check) {
      const auto stage = sagips::testing::check_stage_vjp<resonance::Resonance>(EfficiencyWeight{});
      SAGIPS_REQUIRE(stage, "the stage's derivatives disagree with finite differences:\n" << stage);
    }
    return Weighted({}, {}, {}, sagips::sim::GaussianSmearing{0.01});
  });
}
