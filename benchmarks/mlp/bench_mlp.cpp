// bench_mlp: forward + backward of the SAGIPS discriminator (2 -> 4 x 128 LeakyReLU -> 1, float) on
// N events, against plain Eigen sgemm calls of exactly the same shapes measured in the same run.
//
// Beside it, the same network batch-normalised (fwd+bwd, and its ratio to the plain one's).
//
// FLOPs counted: the matrix products only, 2 N in out per product; forward 1 per layer, backward 2
// per layer (dW = dz^T x and dx = dz W; the input gradient of the first layer included, as the
// generator step needs it). Bias and activation passes are not counted (they are memory-bound).
//
//   bench_mlp [--events 10000,100000] [--repeats 20] [--json out.json] [--quick]
#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <sagips/nn.hpp>
#include <sagips/sagips.hpp>

#include "bench.hpp"

namespace nn = sagips::nn;
using Disc = nn::Mlp<2, 1, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu>;
// The same network with every hidden layer batch-normalised (nn/batch_norm.hpp), on one rank: the
// normalisation's own cost (its column sums, normalise and backward passes; no row blocks).
using DiscBN = nn::Mlp<2, 1, nn::Hidden<128, 128, 128, 128>, nn::LeakyRelu, nn::Identity, float, nn::BatchNorm>;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"bench_mlp: discriminator forward + backward vs plain sgemm of the same shapes"};
    std::vector<int> sizes = {10000, 100000};
    int repeats = 20;
    app.add_option("--events", sizes, "batch sizes")->delimiter(',')->capture_default_str();
    app.add_option("--repeats", repeats, "timed repeats per size")->capture_default_str();
    int row_block = Disc().row_block();
    app.add_option("--row-block", row_block, "rows per block through all layers (0: the whole batch at once)")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    sagips::bench::CommonOptions common;
    if (auto stop = sagips::bench::parse(app, common, argc, argv, env.is_root())) return *stop;
    const std::string& json_path = common.json_path;
    const bool quick = common.quick;
    if (quick) {
      sizes = {512};
      repeats = 3;
    }
    constexpr int L = Disc::num_layers;
    nlohmann::json out = {{"name", "bench_mlp"}, {"machine", sagips::bench::machine_info()},
                          {"network", "2 -> 4x128 LeakyReLU -> 1, float"}};
    sagips::bench::Table table({"events", "fwd ms", "bwd ms", "fwd+bwd ms", "GFLOP/s", "sgemm GFLOP/s", "ratio", "BN fwd+bwd ms", "BN / plain"});
    for (int n : sizes) {
      Disc net;
      net.set_row_block(row_block);
      net.initialize(1);
      auto ctx = net.make_context(n);
      sagips::Matrix<float> x("x", n, 2), dy("dy", n, 1), dx("dx", n, 2);
      Kokkos::deep_copy(x, 0.3f);
      Kokkos::parallel_for(
          n, KOKKOS_LAMBDA(int i) {
            x(i, 0) = 0.001f * (i % 997);
            x(i, 1) = 0.002f * (i % 499);
            dy(i, 0) = 1.0f / n;
          });
      double flops = 0;
      for (int l = 0; l < L; ++l) flops += 3.0 * 2.0 * n * Disc::ins[l] * Disc::outs[l];
      const auto fwd = sagips::bench::time_it([&] { net.forward(ctx, x); }, 2, repeats);
      const auto bwd = sagips::bench::time_it([&] { net.backward(ctx, dy, dx, nn::ParamGrad::overwrite); }, 2, repeats);
      const auto both = sagips::bench::time_it(
          [&] {
            net.forward(ctx, x);
            net.backward(ctx, dy, dx, nn::ParamGrad::overwrite);
          },
          2, repeats);

      // The same products with plain Eigen, on matrices of the same shapes.
      std::vector<RowMat> a(L + 1), w(L), dw(L), g(L + 1);
      for (int l = 0; l <= L; ++l) {
        const int width = l == 0 ? Disc::ins[0] : Disc::outs[l - 1];
        a[l] = RowMat::Random(n, width);
        g[l] = RowMat::Random(n, width);
      }
      for (int l = 0; l < L; ++l) {
        w[l] = RowMat::Random(Disc::outs[l], Disc::ins[l]);
        dw[l] = RowMat::Zero(Disc::outs[l], Disc::ins[l]);
      }
      const auto gemm = sagips::bench::time_it(
          [&] {
            for (int l = 0; l < L; ++l) a[l + 1].noalias() = a[l] * w[l].transpose();
            for (int l = L - 1; l >= 0; --l) {
              dw[l].noalias() = g[l + 1].transpose() * a[l];
              g[l].noalias() = g[l + 1] * w[l];
            }
          },
          2, repeats);
      DiscBN bn;
      bn.initialize(1);
      auto bn_ctx = bn.make_context(n);
      const auto normed = sagips::bench::time_it(
          [&] {
            bn.forward(bn_ctx, x);
            bn.backward(bn_ctx, dy, dx, nn::ParamGrad::overwrite);
          },
          2, repeats);
      const double rate = flops / both.median / 1e9, ref = flops / gemm.median / 1e9;
      table.add({std::to_string(n), sagips::bench::fmt("%.3f", fwd.median * 1e3), sagips::bench::fmt("%.3f", bwd.median * 1e3),
                 sagips::bench::fmt("%.3f", both.median * 1e3), sagips::bench::fmt("%.1f", rate),
                 sagips::bench::fmt("%.1f", ref), sagips::bench::fmt("%.2f", rate / ref),
                 sagips::bench::fmt("%.3f", normed.median * 1e3), sagips::bench::fmt("%.2f", normed.median / both.median)});
      out["results"].push_back({{"events", n},
                                {"flops", flops},
                                {"forward", sagips::bench::to_json(fwd)},
                                {"backward", sagips::bench::to_json(bwd)},
                                {"forward_backward", sagips::bench::to_json(both)},
                                {"sgemm_same_shapes", sagips::bench::to_json(gemm)},
                                {"gflops", rate},
                                {"sgemm_gflops", ref},
                                {"ratio_to_sgemm", rate / ref},
                                {"batch_norm_forward_backward", sagips::bench::to_json(normed)},
                                {"batch_norm_ratio", normed.median / both.median}});
    }
    if (env.is_root()) {
      std::printf("bench_mlp on %s (%s), float\n", sagips::Environment::execution_space().c_str(),
                  out["machine"]["cpu"].get<std::string>().c_str());
      table.print();
      sagips::bench::write_json(json_path, out);
    }
    return 0;
  });
}
