#pragma once
// The strategies an exchanger can run, and what it knows of them before it runs one:
//   Choice<S...>          several strategies, one chosen at run time by Config::strategy (Builtin, in
//                         strategies.hpp, is every built-in one);
//   Description           the chosen strategy's compile-time Traits, as values;
//   strategy_names<S>()   the names a strategy (or a Choice) answers to, for --help and messages;
//   strategy_options<S>() the exchange options the strategy called `name` reads;
// and, in detail::, one strategy's Impl behind a virtual interface so that a Choice can hold any.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "sagips/exchange/config.hpp"
#include "sagips/exchange/contract.hpp"

namespace sagips::exchange {

// Several strategies, one chosen at run time by Config::strategy.
template <class... Strategies>
struct Choice {
  static_assert(sizeof...(Strategies) > 0, "exchange::Choice needs at least one strategy");
};

// What the exchanger knows about the strategy in use (compile-time Traits, picked at run time).
struct Description {
  const char* name = "";
  bool device_buffers = false, has_server = false, replaces_params = false, compressible = false;
  Reads options = Reads::none;
  template <class S>
  static Description of() {
    using Tr = Traits<S>;
    return {Tr::name, Tr::device_buffers, Tr::has_server, Tr::replaces_params, Tr::compressible, Tr::options};
  }
};

namespace detail {
// A strategy's Impl behind one interface, so a Choice can hold any of them.
template <class T, class Space>
struct AnyImpl {
  using View = Kokkos::View<T*, Space>;
  virtual ~AnyImpl() = default;
  virtual void start(View grads, std::int64_t step) = 0;
  virtual bool test() = 0;
  virtual void finish() = 0;
  virtual const Stats& stats() const = 0;
  virtual std::vector<int> contributors(std::int64_t step) const = 0;
  virtual bool is_server() const = 0;
  virtual void serve(View params, const ServerApply<T, Space>& apply) = 0;
  virtual void after_update(View params) = 0;
  virtual void worker_done() = 0;
  virtual void error_feedback(View residual) = 0;
};
template <class S, class T, class Space>
struct Model final : AnyImpl<T, Space> {
  using View = Kokkos::View<T*, Space>;
  typename S::template Impl<T, Space> impl;
  Model(MPI_Comm comm, const Config& c, std::size_t n) : impl(comm, c, n) {}
  void start(View grads, std::int64_t step) override { impl.start(grads, step); }
  bool test() override { return impl.test(); }
  void finish() override { impl.finish(); }
  const Stats& stats() const override { return impl.stats(); }
  std::vector<int> contributors(std::int64_t step) const override { return impl.contributors(step); }
  bool is_server() const override { return impl.is_server(); }
  void serve(View params, const ServerApply<T, Space>& apply) override { impl.serve(params, apply); }
  void after_update(View params) override { impl.after_update(params); }
  void worker_done() override { impl.worker_done(); }
  void error_feedback(View residual) override {
    if constexpr (Traits<S>::compressible) impl.error_feedback(residual);
  }
};

template <class S>
struct choice_list {
  using type = std::tuple<S>;
};
template <class... S>
struct choice_list<Choice<S...>> {
  using type = std::tuple<S...>;
};

// The names of a list's strategies, "a, b or c".
template <class... S>
std::string names_of(std::tuple<S...>*) {
  const char* names[] = {S::name...};
  std::string out;
  for (std::size_t i = 0; i < sizeof...(S); ++i)
    out += (i == 0 ? "" : (i + 1 == sizeof...(S) ? " or " : ", ")) + std::string(names[i]);
  return out;
}
// The names of a list's compressible strategies, "a, b, c" (empty: none).
template <class... S>
std::string compressible_names(std::tuple<S...>*) {
  std::string out;
  const bool compressible[] = {Traits<S>::compressible...};
  const char* names[] = {S::name...};
  for (std::size_t i = 0; i < sizeof...(S); ++i)
    if (compressible[i]) out += (out.empty() ? "" : ", ") + std::string(names[i]);
  return out;
}
}  // namespace detail

// The names of the strategies Strategy offers (one, or a Choice's), for --help and messages.
namespace detail {
template <class... S>
std::vector<std::string> names_vector(std::tuple<S...>*) {
  return {S::name...};
}
}  // namespace detail
template <class Strategy>
std::vector<std::string> strategy_names() {
  return detail::names_vector(static_cast<typename detail::choice_list<Strategy>::type*>(nullptr));
}

// The exchange options the strategy called `name` reads (none for an unknown name).
namespace detail {
template <class... S>
Reads options_of_name(const std::string& name, std::tuple<S...>*) {
  Reads out = Reads::none;
  const char* names[] = {S::name...};
  const Reads options[] = {Traits<S>::options...};
  for (std::size_t i = 0; i < sizeof...(S); ++i)
    if (name == names[i]) out = options[i];
  return out;
}
}  // namespace detail
template <class Strategy>
Reads strategy_options(const std::string& name) {
  return detail::options_of_name(name, static_cast<typename detail::choice_list<Strategy>::type*>(nullptr));
}

}  // namespace sagips::exchange
