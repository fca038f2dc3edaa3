#pragma once
// GAN losses on the discriminator's output o [N, 1], with per-event weights w (empty: all 1):
//
//   L = sum_i w_i l(o_i, label) / normalizer,   dL/do_i = w_i l'(o_i) / normalizer,   dL/dw_i = l(o_i) / normalizer.
//
// The normalizer is the caller's: the local event count gives a local mean, whose average over ranks
// with equal counts is the global mean. A label says which target the term pushes o towards; the
// generator's loss is the discriminator's "real" loss evaluated on fake events.
//
//   LeastSquares (LSGAN, the SAGIPS default)  real: (o - 1)^2          fake: o^2
//   BceWithLogits (o is a logit)              real: softplus(-o)       fake: softplus(o)   (stable)
//   Wasserstein (critic)                      real: -o                 fake: o
//
// The loss contract (check_loss<L>() states each point that fails as one sentence): a loss is a type with
//   1. static constexpr const char* name: what --loss and summary.json call it (lower-case letters,
//      digits and '-', sagips/core/names.hpp);
//   2. template <class T> T evaluate(ConstMatrix<T> out, Label, ConstVector<T> weights, T normalizer,
//                                    Matrix<T> d_out, Vector<T> d_weights, bool accumulate = false) const
//      (static is fine): the value, and dL/do and dL/dw into d_out and d_weights when they are not empty
//      (added to them with accumulate);
//   3. optional: evaluate_to, the same with the value left in device memory (DeviceValue<T>) instead of
//      returned: loss::evaluate_to() uses it, or falls back to evaluate().
// A pointwise loss, l(o, label) per event, states only l and dl/do and derives from Pointwise<itself>,
// which brings evaluate and evaluate_to (as the built-ins do). Builtin is the run-time choice of the trainer's
// losses by name (--loss). Wasserstein is not among them and the trainer refuses it at compile time:
// a critic needs a Lipschitz constraint (a gradient penalty, weight clipping) that the trainer does
// not impose, and without one it diverges.

#include <Kokkos_Core.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sagips/core/config.hpp"
#include "sagips/core/math.hpp"
#include "sagips/core/names.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::loss {

enum class Label { real, fake };

// Where evaluate_to() leaves L: a scalar in the execution space's memory. The training step evaluates
// its losses into these and reads them only when a metrics row is written, so that a step never
// waits for a loss value (each evaluate() is a reduction into a host scalar: a device synchronisation).
template <class T>
using DeviceValue = Kokkos::View<T, MemSpace>;

namespace detail {
// The shared loop of a pointwise loss (Pointwise::value/derivative), as a functor: the same arithmetic
// whether the value ends on the host (evaluate) or in device memory (evaluate_to).
template <class Pointwise, class T>
struct LossKernel {
  using value_type = T;
  ConstMatrix<T> out;
  ConstVector<T> weights;
  Matrix<T> d_out;
  Vector<T> d_weights;
  T inv;
  bool real, weighted, want_dout, want_dw, accumulate;

  KOKKOS_INLINE_FUNCTION void operator()(int i, T& acc) const {
    const T o = out(i, 0);
    const T w = weighted ? weights(i) : T(1);
    const T l = Pointwise::value(o, real);
    if (want_dout) {
      const T d = w * Pointwise::derivative(o, real) * inv;
      d_out(i, 0) = accumulate ? d_out(i, 0) + d : d;
    }
    if (want_dw) d_weights(i) = accumulate ? d_weights(i) + l * inv : l * inv;
    acc += w * l;
  }
  KOKKOS_INLINE_FUNCTION void final(T& total) const { total *= inv; }
};

// The checked arguments as a kernel.
template <class Pointwise, class T>
LossKernel<Pointwise, T> loss_kernel(ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer,
                                     Matrix<T> d_out, Vector<T> d_weights, bool accumulate) {
  const int n = static_cast<int>(out.extent(0));
  SAGIPS_REQUIRE(out.extent(1) == 1, "loss: the discriminator output must be [N, 1], got [" << out.extent(0) << ", "
                                                                                           << out.extent(1) << "]");
  SAGIPS_REQUIRE(weights.extent(0) == 0 || static_cast<int>(weights.extent(0)) == n,
                 "loss: " << weights.extent(0) << " weights for " << n << " events");
  SAGIPS_REQUIRE(d_out.data() == nullptr || static_cast<int>(d_out.extent(0)) == n,
                 "loss: dL/do has " << d_out.extent(0) << " rows for " << n << " events");
  SAGIPS_REQUIRE(d_weights.data() == nullptr || static_cast<int>(d_weights.extent(0)) == n,
                 "loss: dL/dw has " << d_weights.extent(0) << " rows for " << n << " events");
  SAGIPS_REQUIRE(normalizer > T(0), "loss: the normalizer must be positive, got " << normalizer);
  return {out,
          weights,
          d_out,
          d_weights,
          T(1) / normalizer,
          label == Label::real,
          weights.extent(0) > 0,
          d_out.data() != nullptr,
          d_weights.data() != nullptr,
          accumulate};
}

// Value (returned: the host waits for it), dL/do and dL/dw.
template <class Pointwise, class T>
T evaluate(ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer, Matrix<T> d_out,
           Vector<T> d_weights, bool accumulate) {
  T total = 0;
  Kokkos::parallel_reduce("sagips::loss", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(out.extent(0))),
                          loss_kernel<Pointwise, T>(out, label, weights, normalizer, d_out, d_weights, accumulate),
                          total);
  return total;
}

// The same into `value`, in device memory: nothing waits for it.
template <class Pointwise, class T>
void evaluate_to(DeviceValue<T> value, ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer,
                 Matrix<T> d_out, Vector<T> d_weights, bool accumulate) {
  Kokkos::parallel_reduce("sagips::loss", Kokkos::RangePolicy<ExecSpace>(0, static_cast<int>(out.extent(0))),
                          loss_kernel<Pointwise, T>(out, label, weights, normalizer, d_out, d_weights, accumulate),
                          value);
}
}  // namespace detail

// A pointwise loss: Derived states, as static KOKKOS_INLINE_FUNCTION templates on T,
//   T value(T o, bool real)        l(o) for the label (real: true)
//   T derivative(T o, bool real)   dl/do
// and gets evaluate/evaluate_to (the weights, the normalizer, both gradients, the value on the host or
// in device memory) from this base:
//
//   struct PseudoHuber : sagips::loss::Pointwise<PseudoHuber> {
//     static constexpr const char* name = "pseudo-huber";
//     template <class T> KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
//       const T e = real ? o - T(1) : o;
//       return sagips::math::sqrt(T(1) + e * e) - T(1);
//     }
//     template <class T> KOKKOS_INLINE_FUNCTION static T derivative(T o, bool real) {
//       const T e = real ? o - T(1) : o;
//       return e / sagips::math::sqrt(T(1) + e * e);
//     }
//   };
template <class Derived>
struct Pointwise {
  template <class T>
  static T evaluate(ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer, Matrix<T> d_out,
                    Vector<T> d_weights, bool accumulate = false) {
    return detail::evaluate<Derived, T>(out, label, weights, normalizer, d_out, d_weights, accumulate);
  }
  template <class T>
  static void evaluate_to(DeviceValue<T> value, ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer,
                          Matrix<T> d_out, Vector<T> d_weights, bool accumulate = false) {
    detail::evaluate_to<Derived, T>(value, out, label, weights, normalizer, d_out, d_weights, accumulate);
  }
};

struct LeastSquares : Pointwise<LeastSquares> {
  static constexpr const char* name = "least-squares";
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
    const T e = real ? o - T(1) : o;
    return e * e;
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T o, bool real) {
    return T(2) * (real ? o - T(1) : o);
  }
};

struct BceWithLogits : Pointwise<BceWithLogits> {
  static constexpr const char* name = "bce";
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
    return math::softplus(real ? -o : o);
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T o, bool real) {
    return real ? math::sigmoid(o) - T(1) : math::sigmoid(o);
  }
};

// The critic's loss of a Wasserstein GAN. It needs a Lipschitz constraint on the critic, which this
// loss does not impose (clip the discriminator's weights or add a gradient penalty yourself).
struct Wasserstein : Pointwise<Wasserstein> {
  static constexpr const char* name = "wasserstein";
  static constexpr bool needs_lipschitz_critic = true;
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
    return real ? -o : o;
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T, bool real) {
    return real ? T(-1) : T(1);
  }
};

// Several losses, one chosen at run time by name.
template <class... Losses>
class Choice {
 public:
  explicit Choice(const std::string& name) {
    const char* names[] = {Losses::name...};
    for (std::size_t i = 0; i < sizeof...(Losses); ++i)
      if (name == names[i]) index_ = static_cast<int>(i);
    if (index_ < 0) {
      std::string all;
      for (std::size_t i = 0; i < sizeof...(Losses); ++i) all += (i ? ", " : "") + std::string(names[i]);
      throw Error("unknown loss '" + name + "' (choose " + all + ")");
    }
  }
  const char* chosen() const {
    const char* names[] = {Losses::name...};
    return names[index_];
  }
  template <class T>
  T evaluate(ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer, Matrix<T> d_out,
             Vector<T> d_weights, bool accumulate = false) const {
    T value = 0;
    int i = 0;
    auto one = [&](auto* tag) {
      using L = std::remove_pointer_t<decltype(tag)>;
      if (i++ == index_) value = L::template evaluate<T>(out, label, weights, normalizer, d_out, d_weights, accumulate);
    };
    (one(static_cast<Losses*>(nullptr)), ...);
    return value;
  }
  template <class T>
  void evaluate_to(DeviceValue<T> value, ConstMatrix<T> out, Label label, ConstVector<T> weights, T normalizer,
                   Matrix<T> d_out, Vector<T> d_weights, bool accumulate = false) const {
    int i = 0;
    auto one = [&](auto* tag) {
      using L = std::remove_pointer_t<decltype(tag)>;
      if (i++ == index_) evaluate_to_of<L>(value, out, label, weights, normalizer, d_out, d_weights, accumulate);
    };
    (one(static_cast<Losses*>(nullptr)), ...);
  }

 private:
  template <class L, class T>
  static void evaluate_to_of(DeviceValue<T> value, ConstMatrix<T> out, Label label, ConstVector<T> weights,
                             T normalizer, Matrix<T> d_out, Vector<T> d_weights, bool accumulate);
  int index_ = -1;
};

using Builtin = Choice<LeastSquares, BceWithLogits>;

// The names a loss type answers to: a Choice's alternatives, or the one loss's name.
template <class L>
struct names_of {
  static std::vector<std::string> get() { return {L::name}; }
};
template <class... L>
struct names_of<Choice<L...>> {
  static std::vector<std::string> get() { return {L::name...}; }
};
template <class L>
std::vector<std::string> choice_names() {
  return names_of<L>::get();
}

namespace detail {
// T from the value only (the views convert: subviews, const).
template <class T>
struct same {
  using type = T;
};
template <class T>
using same_t = typename same<T>::type;

template <class L, class T, class = void>
struct has_evaluate_to : std::false_type {};
template <class L, class T>
struct has_evaluate_to<L, T, std::void_t<decltype(std::declval<const L&>().template evaluate_to<T>(
                                 DeviceValue<T>(), ConstMatrix<T>(), Label::real, ConstVector<T>(), T(1), Matrix<T>(),
                                 Vector<T>()))>> : std::true_type {};
}  // namespace detail

// L into `value` (device memory): the loss's own evaluate_to where it has one (the built-in losses),
// else its evaluate(), whose value is then copied there (a loss of your own needs only evaluate()).
template <class L, class T>
void evaluate_to(const L& loss, DeviceValue<T> value, ConstMatrix<detail::same_t<T>> out, Label label,
                 ConstVector<detail::same_t<T>> weights, detail::same_t<T> normalizer,
                 Matrix<detail::same_t<T>> d_out, Vector<detail::same_t<T>> d_weights, bool accumulate = false) {
  if constexpr (detail::has_evaluate_to<L, T>::value)
    loss.template evaluate_to<T>(value, out, label, weights, normalizer, d_out, d_weights, accumulate);
  else
    Kokkos::deep_copy(ExecSpace(), value,
                      loss.template evaluate<T>(out, label, weights, normalizer, d_out, d_weights, accumulate));
}

template <class... Losses>
template <class L, class T>
void Choice<Losses...>::evaluate_to_of(DeviceValue<T> value, ConstMatrix<T> out, Label label, ConstVector<T> weights,
                                       T normalizer, Matrix<T> d_out, Vector<T> d_weights, bool accumulate) {
  loss::evaluate_to(L{}, value, out, label, weights, normalizer, d_out, d_weights, accumulate);
}

namespace detail {
template <class L, class = void>
struct has_evaluate : std::false_type {};
template <class L>
struct has_evaluate<L, std::void_t<decltype(std::declval<const L&>().template evaluate<float>(
                           ConstMatrix<float>(), Label::real, ConstVector<float>(), 1.0f, Matrix<float>(),
                           Vector<float>()))>> : std::true_type {};
template <class L, class = void>
struct lipschitz : std::false_type {};
template <class L>
struct lipschitz<L, std::void_t<decltype(L::needs_lipschitz_critic)>> : std::bool_constant<L::needs_lipschitz_critic> {};
}  // namespace detail

namespace detail {
template <class L>
struct is_choice : std::false_type {};
template <class... L>
struct is_choice<Choice<L...>> : std::true_type {};
}  // namespace detail

template <class L>
constexpr bool check_loss();
namespace detail {
template <class L>
struct check_each {
  static constexpr bool value = true;
};
template <class... L>
struct check_each<Choice<L...>> {
  static constexpr bool value = (check_loss<L>() && ...);
};
}  // namespace detail

// The loss contract, one sentence per requirement (the trainer calls it); a Choice: each of its losses.
// (True when it compiles: a point that fails stops the compilation with its sentence.)
template <class L>
constexpr bool check_loss() {
  if constexpr (detail::is_choice<L>::value) {
    return detail::check_each<L>::value;
  } else {
    static_assert(has_static_name_v<L>,
                  "loss: the type needs `static constexpr const char* name` (what --loss calls it)");
    static_assert(!has_static_name_v<L> || well_named_v<L>,
                  "loss: its name must be lower-case letters, digits and '-'");
    static_assert(detail::has_evaluate<L>::value,
                  "loss: the type needs `template <class T> T evaluate(ConstMatrix<T> out, Label, ConstVector<T> "
                  "weights, T normalizer, Matrix<T> d_out, Vector<T> d_weights, bool accumulate = false) const`");
    static_assert(!detail::lipschitz<L>::value,
                  "loss: a Wasserstein critic needs a Lipschitz constraint (gradient penalty or weight clipping) "
                  "that the trainer does not impose; use least squares or BCE");
    return true;
  }
}

}  // namespace sagips::loss
