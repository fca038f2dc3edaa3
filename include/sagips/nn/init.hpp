#pragma once
// Weight initialisation. Deterministic for a given seed and independent of the rank count: element k
// of layer l draws counter k from the stream (seed, "rank" l, Purpose::initialization), so every rank
// that uses the same seed builds the same network.

#include <cmath>
#include <cstdint>

#include "sagips/core/random.hpp"

namespace sagips::nn {

enum class WeightInit {
  kaiming_uniform,  // U(-b, b), b = gain sqrt(3 / fan_in)
  kaiming_normal,   // N(0, gain^2 / fan_in)
  xavier_uniform,   // U(-b, b), b = sqrt(6 / (fan_in + fan_out))
  xavier_normal,    // N(0, 2 / (fan_in + fan_out))
  torch_default,    // PyTorch's nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
};
enum class BiasInit {
  zero,
  normal,           // N(0, bias_std^2)
  fan_in_uniform,   // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's nn.Linear)
};

struct InitConfig {
  WeightInit weights = WeightInit::torch_default;
  BiasInit bias = BiasInit::fan_in_uniform;
  double gain = 1.4142135623730951;  // Kaiming gain (sqrt 2, for ReLU-like activations)
  double bias_std = 0.01;
  double leaky_slope = 0.2;          // LeakyRelu's slope (used by the forward and backward passes)
};

namespace detail {
// A value for weight (or bias) k of layer `layer`.
inline double init_value(const InitConfig& c, std::uint64_t seed, int layer, bool is_bias, std::uint64_t k,
                         int fan_in, int fan_out) {
  const random::CounterRng rng(random::stream_key(seed, static_cast<std::uint64_t>(layer),
                                                  random::Purpose::initialization, is_bias ? 1 : 0));
  double u[4], z[4];
  rng.uniform4(k, u);
  rng.normal4(k, z);
  const double sym = 2 * u[0] - 1;  // U(-1, 1)
  if (is_bias) {
    switch (c.bias) {
      case BiasInit::zero: return 0;
      case BiasInit::normal: return c.bias_std * z[0];
      case BiasInit::fan_in_uniform: return sym / std::sqrt(double(fan_in));
    }
    return 0;
  }
  switch (c.weights) {
    case WeightInit::kaiming_uniform: return sym * c.gain * std::sqrt(3.0 / fan_in);
    case WeightInit::kaiming_normal: return z[0] * c.gain / std::sqrt(double(fan_in));
    case WeightInit::xavier_uniform: return sym * std::sqrt(6.0 / (fan_in + fan_out));
    case WeightInit::xavier_normal: return z[0] * std::sqrt(2.0 / (fan_in + fan_out));
    case WeightInit::torch_default: return sym / std::sqrt(double(fan_in));
  }
  return 0;
}
}  // namespace detail

}  // namespace sagips::nn
