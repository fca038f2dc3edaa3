// Must not compile: the density is written for double only, so neither float nor the dual numbers
// that carry the parameter derivatives can be passed to it.
#include <cmath>
#include <sagips/sim.hpp>

struct Lifetime {
  static constexpr int num_params = 1;
  static constexpr int dim = 1;
  double operator()(const double* p, const double* x) const { return std::exp(-x[0] / p[0]); }
  static sagips::sim::Box<1> domain() { return {{0.0}, {10.0}}; }
};

int main() {
  sagips::sim::Pipeline<Lifetime, sagips::sim::InverseCdf1D<32>> pipe;
  sagips::Matrix<float> p("p", 1, 1);
  (void)pipe.forward(p, 10, {1, 0, 0});
  return 0;
}
