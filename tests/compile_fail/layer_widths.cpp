// Must not compile: the second layer expects 4 inputs, the first gives 3.
#include <sagips/nn.hpp>

int main() {
  using Bad = sagips::nn::Sequential<float, sagips::nn::Dense<2, 3>, sagips::nn::Tanh, sagips::nn::Dense<4, 1>>;
  Bad net;
  return static_cast<int>(net.num_params);
}
