// Must not compile: a discriminator of the user's own that has every member of a network but not
// backward_split, the one sweep back that the trainer's fake batch needs.
#include <sagips/sagips.hpp>

using Base = sagips::nn::Mlp<2, 1, sagips::nn::Hidden<8>, sagips::nn::LeakyRelu>;

struct NoSplit {
  using value_type = float;
  static constexpr int in_width = 2, out_width = 1;
  static constexpr std::size_t num_params = Base::num_params;
  using Context = Base::Context;
  void initialize(std::uint64_t seed) { net.initialize(seed); }
  sagips::Vector<float> params() const { return net.params(); }
  sagips::Vector<float> grads() const { return net.grads(); }
  Context make_context(int batch) const { return net.make_context(batch); }
  sagips::ConstMatrix<float> forward(Context& c, sagips::ConstMatrix<float> x) const { return net.forward(c, x); }
  void backward(Context& c, sagips::ConstMatrix<float> dy, sagips::Matrix<float> dx, sagips::nn::ParamGrad m) const {
    net.backward(c, dy, dx, m);
  }
  Base net;
};

using Pipe = sagips::sim::Pipeline<sagips::sim::Proxy2D, sagips::sim::InverseCdf2D<16>>;

int main() {
  static_assert(sagips::nn::is_network_v<NoSplit>, "the rest of the contract is there");
  return sizeof(sagips::Trainer<Pipe, sagips::train::DefaultGenerator<Pipe>, NoSplit>) > 0 ? 0 : 1;
}
