#pragma once
// The objective axis: what the generator's events are compared with the real ones by. The GAN's
// discriminator (train/step.hpp, --objective gan) is one choice; a sample distance is the other kind:
// it compares this rank's fake events (weighted or not) directly with a batch of its real events and
// gives the value and its gradient with respect to the fake events and their weights, which the
// pipeline's vjp carries into the generator. No second network is trained.
//
// The distance contract (check_distance<O>() states each point that fails as one sentence):
//
//   struct MyDistance {
//     static constexpr const char* name = "my-distance";   // --objective my-distance (sagips/core/names.hpp)
//     static constexpr bool takes_weights = false;         // optional (default true): a weighting pipeline
//                                                          // is refused at set-up with this distance
//     template <class T, int D>
//     class Impl {
//      public:
//       explicit Impl(const sagips::objective::Settings& s);   // bandwidth, slices: the run's settings
//       // value <- L; d_fake [n, D] <- dL/d fake; d_weights [n] <- dL/d weights when weights is not empty.
//       // Throws sagips::Error for input it cannot compare (fewer than two events, non-finite values).
//       void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> real,
//                     loss::DeviceValue<T> value, Matrix<T> d_fake, Vector<T> d_weights,
//                     random::CounterRng rng);
//     };
//   };
//
// Each rank compares its own events with its own shard's; the generator's gradient is then exchanged
// by the run's strategy like the GAN's.

#include <type_traits>
#include <utility>

#include "sagips/core/names.hpp"
#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/loss/losses.hpp"

namespace sagips::objective {

// The settings every distance is built from (TrainerConfig's --kernel-bandwidth and --slices; the
// trainer turns a bandwidth of 0 into the median distance between real events).
struct Settings {
  double bandwidth = 1.0;  // a kernel's length scale (MMD); must be > 0
  int slices = 64;         // random directions of the sliced Wasserstein distance
};

namespace detail {
template <class O, class T, int D, class = void>
struct has_impl : std::false_type {};
template <class O, class T, int D>
struct has_impl<O, T, D, std::void_t<typename O::template Impl<T, D>>> : std::true_type {};

template <class I, class T, class = void>
struct has_evaluate : std::false_type {};
template <class I, class T>
struct has_evaluate<I, T,
                    std::void_t<decltype(std::declval<I&>().evaluate(
                        std::declval<ConstMatrix<T>>(), std::declval<ConstVector<T>>(), std::declval<ConstMatrix<T>>(),
                        std::declval<loss::DeviceValue<T>>(), std::declval<Matrix<T>>(), std::declval<Vector<T>>(),
                        std::declval<random::CounterRng>()))>> : std::true_type {};

struct Stand_in {
  template <class T, int D>
  struct Impl {
    explicit Impl(const Settings&) {}
    void evaluate(ConstMatrix<T>, ConstVector<T>, ConstMatrix<T>, loss::DeviceValue<T>, Matrix<T>, Vector<T>,
                  random::CounterRng) {}
  };
};
}  // namespace detail

// Every requirement of the contract above, one sentence each. Returns true (usable in static_assert).
template <class O, class T = float, int D = 2>
constexpr bool check_distance() {
  static_assert(has_static_name_v<O>, "objective: the type needs `static constexpr const char* name` (what --objective calls it)");
  static_assert(!has_static_name_v<O> || well_named_v<O>, "objective: its name must be lower-case letters, digits and '-'");
  static_assert(detail::has_impl<O, T, D>::value, "objective: the type needs a nested `template <class T, int D> class Impl`");
  using I = typename std::conditional_t<detail::has_impl<O, T, D>::value, O, detail::Stand_in>::template Impl<T, D>;
  static_assert(std::is_constructible_v<I, const Settings&>,
                "objective: Impl<T, D> needs a constructor `explicit Impl(const sagips::objective::Settings&)`");
  static_assert(detail::has_evaluate<I, T>::value,
                "objective: Impl<T, D> needs `void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> "
                "real, loss::DeviceValue<T> value, Matrix<T> d_fake, Vector<T> d_weights, random::CounterRng rng)`");
  return true;
}

}  // namespace sagips::objective
