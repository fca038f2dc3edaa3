// Must not compile: an activation of the user's own that gives its value but not its derivative.
#include <sagips/nn.hpp>

struct HalfElu {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T a) { return z > T(0) ? z : a * sagips::math::expm1(z); }
};

int main() {
  sagips::nn::Sequential<double, sagips::nn::Dense<2, 3>, HalfElu, sagips::nn::Dense<3, 1>> net;
  return net.num_params > 0 ? 0 : 1;
}
