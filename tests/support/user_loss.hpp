#pragma once
// A user's pointwise loss, written from docs/training.md with public names only (the loss base of
// sagips/loss/losses.hpp: only l and dl/do), shared by the tests that check it (unit nn: its
// gradients against finite differences) and use it (mpi trainer: chosen by name through a policy
// bundle). The installed-consumer project keeps its own copy: it sees the installed headers only.
#include <sagips/loss.hpp>

namespace user {

struct PseudoHuber : sagips::loss::Pointwise<PseudoHuber> {
  static constexpr const char* name = "pseudo-huber";
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
    const T e = real ? o - T(1) : o;
    return sagips::math::sqrt(T(1) + e * e) - T(1);
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T o, bool real) {
    const T e = real ? o - T(1) : o;
    return e / sagips::math::sqrt(T(1) + e * e);
  }
};
static_assert(sagips::loss::check_loss<PseudoHuber>());
static_assert(sagips::loss::check_loss<sagips::loss::Choice<sagips::loss::LeastSquares, PseudoHuber>>());

}  // namespace user
