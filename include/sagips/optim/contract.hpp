#pragma once
// The optimizer contract: what the trainer asks of an optimizer, checked at compile time.
//
// An optimizer is a class template Opt<T> (T: float or double, the networks' scalar) with
//   1. static constexpr const char* name: what --generator-optimizer, --discriminator-optimizer,
//      summary.json and checkpoints call it; lower-case letters, digits and '-' (like every name in
//      sagips: "adam", "async-ring", "least-squares");
//   2. Opt(std::size_t n, const optim::Settings& s): the state for n parameters; s holds this
//      network's learning rate and the run's optimizer settings (below);
//   3. void step(Vector<T> params, ConstVector<T> grads): one update of params from grads, in place
//      (device views of n values; run it as kernels in sagips::ExecSpace);
//   4. void set_lr(T lr): the learning-rate schedule sets the rate before each step;
//   5. void save(BinaryWriter& w, const std::string& section) const and
//      void load(BinaryReader& r, const std::string& section): the whole state, exactly (a resumed run
//      must equal an uninterrupted one), under names that begin with `section`.
// check_optimizer<Opt, T>() states each point that fails as a one-sentence static_assert; the trainer
// calls it for every optimizer it is given. Settings a user's optimizer needs beyond these are its
// own (template parameters or constants): options are not yet open to extension (docs/training.md).

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "sagips/core/names.hpp"
#include "sagips/core/views.hpp"
#include "sagips/runtime/serialize.hpp"

namespace sagips::optim {

// What the trainer hands every optimizer (the fields' options in parentheses).
struct Settings {
  Settings() noexcept {}   // fields by name (no brace list: it would compete with an optimizer's own Config)
  double lr = 1e-3;        // this network's learning rate (--lr-generator, --lr-discriminator)
  double beta1 = 0.5;      // Adam's moment decays (--beta1, --beta2)
  double beta2 = 0.999;
  double momentum = 0.9;   // Sgd's momentum (--momentum)
};

namespace detail {
// The calls exactly as the trainer makes them.
template <class Opt, class T, class = void>
struct has_step : std::false_type {};
template <class Opt, class T>
struct has_step<Opt, T,
                std::void_t<decltype(std::declval<Opt&>().step(std::declval<Vector<T>&>(),
                                                               std::declval<ConstVector<T>&>()))>> : std::true_type {};
template <class Opt, class T, class = void>
struct has_set_lr : std::false_type {};
template <class Opt, class T>
struct has_set_lr<Opt, T, std::void_t<decltype(std::declval<Opt&>().set_lr(std::declval<T>()))>> : std::true_type {};
template <class Opt, class = void>
struct has_save : std::false_type {};
template <class Opt>
struct has_save<Opt, std::void_t<decltype(std::declval<const Opt&>().save(std::declval<BinaryWriter&>(),
                                                                          std::declval<const std::string&>()))>>
    : std::true_type {};
template <class Opt, class = void>
struct has_load : std::false_type {};
template <class Opt>
struct has_load<Opt, std::void_t<decltype(std::declval<Opt&>().load(std::declval<BinaryReader&>(),
                                                                    std::declval<const std::string&>()))>>
    : std::true_type {};

template <class Opt, class T>
struct OptimizerContract {
  static constexpr bool named = has_static_name_v<Opt>;
  static constexpr bool well_named = well_named_v<Opt>;
  static constexpr bool constructible = std::is_constructible_v<Opt, std::size_t, const Settings&>;
  static constexpr bool movable = std::is_move_constructible_v<Opt>;
  static constexpr bool step = has_step<Opt, T>::value;
  static constexpr bool set_lr = has_set_lr<Opt, T>::value;
  static constexpr bool save = has_save<Opt>::value;
  static constexpr bool load = has_load<Opt>::value;
  static constexpr bool holds = named && well_named && constructible && movable && step && set_lr && save && load;
};
}  // namespace detail

// True when Opt<T> meets the contract; otherwise each point it misses, as a static_assert (the
// compiler's note "required from check_optimizer<...>" names the optimizer).
template <template <class> class Opt, class T>
constexpr bool check_optimizer() {
  using C = detail::OptimizerContract<Opt<T>, T>;
  static_assert(C::named, "an optimizer needs `static constexpr const char* name` (see sagips/optim/contract.hpp)");
  static_assert(!C::named || C::well_named, "an optimizer's name must be lower-case letters, digits and '-'");
  static_assert(C::constructible, "an optimizer Opt<T> must be constructible from (std::size_t n, const optim::Settings&)");
  static_assert(!C::constructible || C::movable, "an optimizer must be movable (the trainer holds it by value)");
  static_assert(C::step, "an optimizer needs `void step(Vector<T> params, ConstVector<T> grads)`");
  static_assert(C::set_lr, "an optimizer needs `void set_lr(T lr)` (the learning-rate schedule calls it)");
  static_assert(C::save, "an optimizer needs `void save(BinaryWriter& w, const std::string& section) const`");
  static_assert(C::load, "an optimizer needs `void load(BinaryReader& r, const std::string& section)`");
  return C::holds;
}

template <template <class> class Opt, class T>
inline constexpr bool is_optimizer_v = detail::OptimizerContract<Opt<T>, T>::holds;

}  // namespace sagips::optim
