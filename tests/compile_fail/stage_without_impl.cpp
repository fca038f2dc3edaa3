// Must not compile: a stage is a settings struct with a nested Impl<T, D>; this one has its forward
// written directly in the settings struct.
#include <sagips/sim.hpp>

struct ScaleEnergy {
  double factor = 1.02;
  int forward(sagips::Matrix<float> events, sagips::Vector<float>, int count, sagips::random::CounterRng) {
    (void)events;
    return count;
  }
};

int main() {
  sagips::sim::Pipeline<sagips::sim::Beta1D, sagips::sim::InverseCdf1D<32>, ScaleEnergy> pipe;
  (void)pipe;
  return 0;
}
