#pragma once
// The run-time choice of a sample distance by name (--objective), among a list:
//
//   objective::Choice<EnergyDistance, Mmd, MmdImq, SlicedWasserstein>   (Builtin: the built-in ones)
//   objective::Choice<...>::names()                                     their names, for --help and messages
//   objective::Chosen<Builtin, T, D> d("energy", settings);              one of them, behind one interface
//
// "gan" is not a distance: it names the trainer's discriminator (train/step.hpp), which every trainer has.

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/core/random.hpp"
#include "sagips/core/views.hpp"
#include "sagips/loss/losses.hpp"
#include "sagips/objective/contract.hpp"
#include "sagips/objective/pair.hpp"
#include "sagips/objective/sliced.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::objective {

// The name of the discriminator's objective, beside the distances' names.
inline constexpr const char* gan = "gan";

template <class... Distances>
struct Choice {
  static std::vector<std::string> names() { return {Distances::name...}; }
};

// Every built-in distance.
using Builtin = Choice<EnergyDistance, Mmd, MmdImq, SlicedWasserstein>;
// The built-ins and distances of your own.
template <class... Mine>
using BuiltinAnd = Choice<EnergyDistance, Mmd, MmdImq, SlicedWasserstein, Mine...>;

namespace detail {
template <class O, class = void>
struct weights_taken : std::true_type {};  // absent: the default, it takes weights
template <class O>
struct weights_taken<O, std::void_t<decltype(O::takes_weights)>> : std::bool_constant<bool(O::takes_weights)> {};
}  // namespace detail

// Whether the distance called `name` in List takes weighted events (its optional `takes_weights`).
template <class List>
bool takes_weights(const std::string& name);
template <class... Distances>
bool takes_weights_of(const std::string& name, Choice<Distances...>*) {
  bool takes = true;
  ((name == Distances::name ? (takes = detail::weights_taken<Distances>::value, 0) : 0), ...);
  return takes;
}
template <class List>
bool takes_weights(const std::string& name) {
  return takes_weights_of(name, static_cast<List*>(nullptr));
}

namespace detail {
template <class T>
struct AnyDistance {
  virtual ~AnyDistance() = default;
  virtual void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> real, loss::DeviceValue<T> value,
                        Matrix<T> d_fake, Vector<T> d_weights, random::CounterRng rng) = 0;
};
template <class O, class T, int D>
struct Held final : AnyDistance<T> {
  typename O::template Impl<T, D> impl;
  explicit Held(const Settings& s) : impl(s) {}
  void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> real, loss::DeviceValue<T> value,
                Matrix<T> d_fake, Vector<T> d_weights, random::CounterRng rng) override {
    impl.evaluate(fake, weights, real, value, d_fake, d_weights, rng);
  }
};
}  // namespace detail

// The distance of `name` among List's, built from the settings; an unknown name is an Error naming the choices.
template <class List, class T, int D>
class Chosen;
template <class... Distances, class T, int D>
class Chosen<Choice<Distances...>, T, D> {
  static_assert((check_distance<Distances, T, D>() && ...), "");

 public:
  Chosen(const std::string& name, const Settings& s) {
    ((name == Distances::name ? (held_ = std::make_unique<detail::Held<Distances, T, D>>(s), 0) : 0), ...);
    if (!held_) {
      std::string known;
      for (const auto& n : Choice<Distances...>::names()) known += (known.empty() ? "" : ", ") + n;
      throw Error("unknown objective '" + name + "' (choose gan, " + known + ")");
    }
    name_ = name;
  }
  void evaluate(ConstMatrix<T> fake, ConstVector<T> weights, ConstMatrix<T> real, loss::DeviceValue<T> value,
                Matrix<T> d_fake, Vector<T> d_weights, random::CounterRng rng) {
    held_->evaluate(fake, weights, real, value, d_fake, d_weights, rng);
  }
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<detail::AnyDistance<T>> held_;
  std::string name_;
};

}  // namespace sagips::objective
