// The main job (examples/05_proxy2d) with a batch-normalised discriminator: every hidden layer of the
// 2 -> 4 x 128 -> 1 LeakyReLU discriminator normalised (nn/batch_norm.hpp), everything else as
// there. For the measurement of whether batch normalisation helps the discriminator:
//
//   benchmarks/objectives/compare.py --objectives gan --out bn-out
//       --program build/benchmarks/batch_norm/proxy2d_bn
// beside the same command without --program (the plain discriminator).
#include <sagips/sagips.hpp>

namespace sim = sagips::sim;
template <int G>
using ProxyPipeline = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<G>, sim::GaussianSmearing>;
using Generator = sagips::train::DefaultGenerator<ProxyPipeline<128>>;
using Discriminator = sagips::nn::Mlp<2, 1, sagips::nn::Hidden<128, 128, 128, 128>, sagips::nn::LeakyRelu,
                                      sagips::nn::Identity, float, sagips::nn::BatchNorm>;

int main(int argc, char** argv) {
  sagips::App<ProxyPipeline<128>, Generator, Discriminator> app(
      "proxy2d_bn: the 2-D proxy main job with a batch-normalised discriminator");
  const double resolution = 0.01;
  app.defaults().steps = 2500;
  app.defaults().param_samples = 16;
  app.real_data_pipeline([&] { return ProxyPipeline<256>(sim::Proxy2D{}, {}, sim::GaussianSmearing{resolution}); });
  return app.run(argc, argv, [&] { return ProxyPipeline<128>(sim::Proxy2D{}, {}, sim::GaussianSmearing{resolution}); });
}
