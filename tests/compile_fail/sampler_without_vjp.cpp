// Must not compile: a sampler of the user's own that samples but cannot carry gradients back.
#include <sagips/sim.hpp>

struct NoGradient {
  static constexpr bool weighted = false;
  template <class T, class Theory>
  class Impl {
   public:
    Impl(Theory, const NoGradient&) {}
    void forward(sagips::ConstMatrix<T>, int, sagips::random::CounterRng, sagips::Matrix<T>, sagips::Vector<T>, bool) {}
  };
};

int main() {
  sagips::sim::Pipeline<sagips::sim::Beta1D, NoGradient> pipe;
  return pipe.num_params > 0 ? 0 : 1;
}
