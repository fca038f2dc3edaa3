// Must not compile: a pointwise loss written as a user would, but without its name, given to the trainer.
#include <sagips/loss.hpp>

struct Nameless : sagips::loss::Pointwise<Nameless> {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
    return real ? (o - T(1)) * (o - T(1)) : o * o;
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T o, bool real) {
    return T(2) * (real ? o - T(1) : o);
  }
};

int main() { return sagips::loss::check_loss<Nameless>() ? 0 : 1; }
