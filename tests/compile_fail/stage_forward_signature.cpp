// Must not compile: the stage's forward forgets the weights and the random numbers, and returns
// nothing (the pipeline needs the new count).
#include <sagips/sim.hpp>

struct Shift {
  double offset = 0.01;
  template <class T, int D>
  class Impl {
   public:
    static constexpr bool weighted = false;
    Impl(const Shift& s, const sagips::sim::Box<D>&) : offset_(static_cast<T>(s.offset)) {}
    void forward(sagips::Matrix<T> events, int count) {
      const T offset = offset_;
      Kokkos::parallel_for(
          "shift", count, KOKKOS_LAMBDA(int i) { events(i, 0) += offset; });
    }
    void vjp(sagips::Matrix<T>, sagips::Vector<T>, int, int) {}

   private:
    T offset_;
  };
};

int main() {
  sagips::sim::Pipeline<sagips::sim::Beta1D, sagips::sim::InverseCdf1D<32>, Shift> pipe;
  sagips::Matrix<float> p("p", 1, 2);
  (void)pipe.forward(p, 10, {1, 0, 0});
  return 0;
}
