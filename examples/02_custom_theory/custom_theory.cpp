// Example 2: your own theory, in one file. The angular distribution of a decay,
//   dN/dcos(theta) ∝ 1 + a cos(theta) + b cos^2(theta),   cos(theta) in [-1, 1],
// recovered from 2e5 events by the GAN over all ranks, beside the maximum-likelihood fit.
//
//   mpirun -np 4 custom_theory [--steps 1500] [--output custom-out]      (--help for every option)
//
// A theory is a plain struct: its parameter count, event dimension, the (unnormalised) density as one
// call operator templated on the parameter scalar S (float, or a dual number when the sampler and the
// fit differentiate through it) and the coordinate scalar X, and its domain. Written with sagips::math
// functions it runs on CPU and GPU alike. truth() lets the program generate test data and report
// residuals; lower_bounds()/upper_bounds() are the generator's range; names() labels the output.
#include <sagips/sagips.hpp>

struct Angular {
  static constexpr int num_params = 2;  // a, b
  static constexpr int dim = 1;         // cos(theta)
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return X(1) + p[0] * x[0] + p[1] * x[0] * x[0];
  }
  static sagips::sim::Box<1> domain() { return {{-1.0}, {1.0}}; }
  static std::array<double, 2> truth() { return {0.4, 0.6}; }
  // Within these bounds the density stays positive on the whole domain (1 - a^2 / 4b >= 0.2).
  static std::array<double, 2> lower_bounds() { return {-0.8, 0.2}; }
  static std::array<double, 2> upper_bounds() { return {0.8, 1.2}; }
  static std::array<const char*, 2> names() { return {"a", "b"}; }
};

// Events from the density by a differentiable inverse-CDF sampler on a 64-node grid; no detector
// stages (add e.g. sagips::sim::GaussianSmearing after the sampler: example 3).
using Pipeline = sagips::sim::Pipeline<Angular, sagips::sim::InverseCdf1D<64>>;

int main(int argc, char** argv) {
  sagips::App<Pipeline> app("custom_theory: a user-defined 1-D theory (a decay's angular distribution)");
  app.defaults().steps = 1500;
  app.defaults().output_dir = "custom-out";
  app.data_defaults().generated = 200000;
  // The "measured" events are generated from the truth on a fine grid (--data FILE reads a .npy).
  app.real_data_pipeline([] { return sagips::sim::Pipeline<Angular, sagips::sim::InverseCdf1D<1024>>(); });
  return app.run(argc, argv, [] { return Pipeline(); });
}
