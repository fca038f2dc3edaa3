// Example 3: a detector stage of your own. The theory of example 2 (a decay's angular distribution),
// seen through a detector whose acceptance falls towards cos(theta) = -1: it keeps an event with
// probability (3 + x) / 4. The stage drops events with the public Compactor (it records where each
// kept event came from, so the gradients go back to their rows), and --check compares its
// vector-Jacobian product and the theory's gradient with finite differences before training.
//
//   mpirun -np 4 detector_stage [--check]
#include <sagips/sagips.hpp>
#include <sagips/testing/gradients.hpp>

namespace sim = sagips::sim;

struct Angular {  // 1 + a cos(theta) + b cos^2(theta), as in example 2
  static constexpr int num_params = 2, dim = 1;
  template <class S, class X>
  KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
    return X(1) + p[0] * x[0] + p[1] * x[0] * x[0];
  }
  static sim::Box<1> domain() { return {{-1.0}, {1.0}}; }
  static std::array<double, 2> truth() { return {0.4, 0.6}; }
  static std::array<double, 2> lower_bounds() { return {-0.8, 0.2}; }
  static std::array<double, 2> upper_bounds() { return {0.8, 1.2}; }
  static std::array<const char*, 2> names() { return {"a", "b"}; }
};

// The stage: settings (here: none), and an Impl for each scalar type and event dimension.
struct ForwardAcceptance {
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;  // it drops events; it does not weight them
    Impl(const ForwardAcceptance&, const sim::Box<D>&) {}
    int forward(sagips::Matrix<T> events, sagips::Vector<T> weights, int count, sagips::random::CounterRng rng) {
      return keep_.keep_if(events, weights, count, KOKKOS_LAMBDA(int i) {
        return rng.uniform<T>(static_cast<std::uint64_t>(i)) < (T(3) + events(i, 0)) / T(4);
      });
    }
    void vjp(sagips::Matrix<T> d_events, sagips::Vector<T> d_weights, int before, int after) {
      keep_.scatter_back(d_events, d_weights, before, after);
    }

   private:
    sim::Compactor<T> keep_;
  };
};

using Pipeline = sim::Pipeline<Angular, sim::InverseCdf1D<64>, ForwardAcceptance, sim::GaussianSmearing>;

// run() is five steps (parse, load, train, fit, report); this program calls them itself, to check
// the derivatives between the command line and the data. A program with its own training loop would
// replace app.train with its loop of trainer.train_step(step).
int main(int argc, char** argv) {
  using App = sagips::App<Pipeline>;
  App app("detector_stage: example 2's theory through a detector stage of your own");
  bool check = false;
  app.cli().add_flag("--check", check, "check the stage's and the theory's derivatives first");
  app.defaults().steps = 1500;
  app.defaults().output_dir = "stage-out";
  app.data_defaults().generated = 200000;
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    if (const auto code = app.parse(env, argc, argv)) return *code;
    if (check) {
      const auto stage = sagips::testing::check_stage_vjp<Angular>(ForwardAcceptance{});
      const auto theory = sagips::testing::check_theory_gradient(Angular{}, Angular::truth());
      const bool ok = stage && theory;
      sagips::check_all(env.comm(), ok ? "" : "derivative checks failed:\n" + stage.report() + "\n" + theory.report(),
                        "the derivative checks");
    }
    const Pipeline pipeline(Angular{}, {}, {}, sim::GaussianSmearing{0.01});
    const auto data = app.load(env, pipeline);  // generated from the truth (or --data FILE)
    App::Trainer trainer(env.comm(), app.config(), app.exchange_config(), pipeline, data);
    app.train(env, trainer);
    app.fit(env, pipeline, data);  // on the generated events before the detector: the fit does not fold it in
    return app.report(trainer);
  });
}
