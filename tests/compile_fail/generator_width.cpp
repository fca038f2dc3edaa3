// Must not compile: the generator outputs 4 values, the 2-D proxy has 5 parameters.
#include <sagips/sagips.hpp>

using Pipe = sagips::sim::Pipeline<sagips::sim::Proxy2D, sagips::sim::InverseCdf2D<32>>;
using Gen = sagips::nn::Mlp<10, 4, sagips::nn::Hidden<16>, sagips::nn::LeakyRelu, sagips::nn::Sigmoid>;
template class sagips::Trainer<Pipe, Gen>;

int main() { return 0; }
