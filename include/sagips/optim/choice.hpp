#pragma once
// Several optimizers, one chosen at run time by name for each network:
//
//   using Optimizers = sagips::optim::Choice<sagips::optim::Adam, sagips::optim::Sgd, MyOptimizer>;
//   sagips::Trainer<Pipeline, Gen, Disc, Loss, Exchange, Optimizers>   // --generator-optimizer my-name
//
// Choice<...>::For<T> is itself an optimizer of the contract (sagips/optim/contract.hpp), built from
// a name; Builtin is Choice<Adam, Sgd>. A name that is not among the choices is an error that lists them.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "sagips/optim/adam.hpp"
#include "sagips/optim/contract.hpp"
#include "sagips/optim/sgd.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::optim {

template <template <class> class... Opts>
struct Choice {
  static_assert(sizeof...(Opts) > 0, "optim::Choice: name at least one optimizer");

  // The names, in the order given.
  static std::vector<std::string> names() { return {std::string(Opts<float>::name)...}; }

  template <class T>
  class For {
    static constexpr bool contracts_hold = (check_optimizer<Opts, T>() && ...);

   public:
    For(std::size_t n, const std::string& name, const Settings& s) : v_(make(n, name, s)) {}

    const char* name() const {
      return std::visit([](const auto& o) -> const char* { return std::decay_t<decltype(o)>::name; }, v_);
    }
    void step(Vector<T> params, ConstVector<T> grads) {
      std::visit([&](auto& o) { if constexpr (contracts_hold) { o.step(params, grads); } }, v_);
    }
    void set_lr(T lr) {
      std::visit([&](auto& o) { if constexpr (contracts_hold) { o.set_lr(lr); } }, v_);
    }
    void save(BinaryWriter& w, const std::string& section) const {
      std::visit([&](const auto& o) { if constexpr (contracts_hold) { o.save(w, section); } }, v_);
    }
    void load(BinaryReader& r, const std::string& section) {
      std::visit([&](auto& o) { if constexpr (contracts_hold) { o.load(r, section); } }, v_);
    }

   private:
    using Variant = std::variant<Opts<T>...>;
    static Variant make(std::size_t n, const std::string& name, const Settings& s) {
      std::optional<Variant> v;
      if constexpr (contracts_hold)
        ((!v && name == Opts<T>::name ? void(v.emplace(std::in_place_type<Opts<T>>, n, s)) : void()), ...);
      if (!v) {
        std::string all;
        for (const auto& c : names()) all += (all.empty() ? "" : ", ") + c;
        throw Error("unknown optimizer '" + name + "' (choose " + all + ")");
      }
      return std::move(*v);
    }
    Variant v_;
  };
};

using Builtin = Choice<Adam, Sgd>;

}  // namespace sagips::optim
