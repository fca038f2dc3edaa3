#pragma once
// Error feedback for wire compression (Config::compression bf16 or fp16): the residual e, one value
// per gradient element, in the memory the strategy works in. Before a strategy sends buf, compress()
// replaces buf with Q(buf + e), 16-bit values exact on the wire from then on, and sets
// e = (buf + e) - Q(buf + e); the strategy adds into e the rounding error of every further value it
// rounds for the wire (a ring's partial sums; it is handed residual() once). What one step does not
// send, the next one does, so the error of the sum over steps stays bounded (docs/exchange.md, "Wire
// compression"). The residual is training state: save()/load() put it in a checkpoint.
//
// A value whose Q(buf + e) exceeds the format's largest value divided by the rank count (fp16:
// 65504 / N, so that no sum of N values on the wire overflows) makes the whole buffer count as not
// finite: compress() zeroes buf, leaves e as it was, and returns false.

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/compression.hpp"
#include "sagips/exchange/config.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/serialize.hpp"

namespace sagips::exchange {

template <class T, class Space>
class ErrorFeedback {
 public:
  ErrorFeedback() = default;  // no compression: nothing to keep
  ErrorFeedback(Compression compression, std::size_t n, int ranks) : compression_(compression), n_(n), ranks_(ranks) {
    if (compression_ != Compression::none) residual_ = Kokkos::View<T*, Space>("sagips::exchange::residual", n_);
  }

  bool active() const { return compression_ != Compression::none; }
  const Kokkos::View<T*, Space>& residual_view() const { return residual_; }

  // Error feedback before the strategy sends buf; false: a value beyond the format's range.
  bool compress(const Kokkos::View<T*, Space>& buf, std::int64_t step) {
    if (!active()) return true;
    const T limit = static_cast<T>(max_finite(compression_) / ranks_);
    if (Codec<T, Space>::feed_back(compression_, buf, residual_, limit) <= limit) return true;
    BufferOps<T, Space>::zero(buf);
    BufferOps<T, Space>::fence();
    std::fprintf(stderr,
                 "sagips exchange: step %lld: a gradient element (after error feedback) is beyond %s's range for %d "
                 "ranks (|x| <= %g, so that no sum on the wire overflows): the gradient counts as not finite\n",
                 static_cast<long long>(step), to_string(compression_), ranks_, static_cast<double>(limit));
    return false;
  }

  // The residual on the host (empty without compression).
  std::vector<T> residual() const {
    if (!active()) return {};
    auto h = Kokkos::create_mirror(Kokkos::HostSpace(), residual_);
    Kokkos::deep_copy(h, residual_);
    return std::vector<T>(h.data(), h.data() + h.extent(0));
  }

  // A checkpoint's section: the residual (no values without compression).
  void save(BinaryWriter& w) const { w.vector("exchange.residual", residual()); }
  void load(BinaryReader& r) {
    std::vector<T> saved;
    r.vector("exchange.residual", saved, n_ + 1);
    const std::size_t expected = active() ? n_ : 0;
    SAGIPS_REQUIRE(saved.size() == expected,
                   "the checkpoint holds an error-feedback residual of "
                       << saved.size() << " values; this run's exchange (compression " << to_string(compression_)
                       << ", " << n_ << " gradient values) keeps " << expected);
    if (!active()) return;
    auto h = Kokkos::create_mirror(Kokkos::HostSpace(), residual_);
    for (std::size_t i = 0; i < saved.size(); ++i) h(i) = saved[i];
    Kokkos::deep_copy(residual_, h);
  }

 private:
  Compression compression_ = Compression::none;
  std::size_t n_ = 0;
  int ranks_ = 1;
  Kokkos::View<T*, Space> residual_;
};

}  // namespace sagips::exchange
