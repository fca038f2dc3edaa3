#pragma once
// The gradient-exchange axis: what a strategy is, written once and checked at compile time.
//
// A strategy is a tag type with a nested class template Impl<T, Space>, the exchange itself for
// buffers of T (float or double) in Kokkos memory space Space:
//
//   struct MyStrategy {
//     static constexpr const char* name = "my-strategy";          // --strategy spelling, summaries (core/names.hpp)
//     template <class T, class Space>
//     class Impl : public sagips::exchange::NoServer<T, Space> {   // the defaults of the optional members
//      public:
//       Impl(MPI_Comm comm, const sagips::exchange::Config& config, std::size_t n);     // collective
//       void start(Kokkos::View<T*, Space> grads, std::int64_t step);   // post the traffic
//       bool test();                                                   // advance it, never block; true: done
//       void finish();                                                 // complete it: grads hold the result
//     };
//   };
//
// Optional on the tag (defaults in Traits<S>):
//   static constexpr bool device_buffers = true;   // Impl may be given device memory (its arithmetic runs
//                                                  // in Kokkos kernels); default false: host buffers only
//   static constexpr bool has_server = true;       // some ranks serve instead of training (is_server/serve)
//   static constexpr bool replaces_params = true;  // after_update may overwrite the weights
//   static constexpr bool compressible = true;     // honours Config::compression: its traffic is sagips's
//                                                  // own two-sided messages, which it sends as 16-bit floats
//                                                  // and sums in T (exchange/compression.hpp); default
//                                                  // false: the exchanger refuses --compression for it
//   static constexpr Reads options = Reads::group_size | Reads::outer_period;  // the Config options it
//                                                  // reads (a set: exchange/config.hpp); default none
//
// NoServer<T, Space> provides, and a strategy may override:
//   const Stats& stats() const;                      // traffic and waiting, for benchmarks and summaries
//   std::vector<int> contributors(std::int64_t step) const;  // the ranks (of comm) whose step gradients
//                                                    // this rank's result averages (all: the default;
//                                                    // empty: the result is not an average)
//   bool is_server() const;  void serve(View params, ServerApply<T, Space> apply);   // parameter servers
//   void after_update(View params);  void worker_done();
//   void error_feedback(View residual);              // compressible strategies: the exchanger's residual,
//                                                    // given once; NoServer keeps it in residual_ (empty
//                                                    // without compression) for Codec::encode, which adds
//                                                    // the rounding error of every value this rank puts
//                                                    // on the wire into it, to be sent with the next step
//
// check_strategy<S, T, Space>() states each requirement as one static_assert sentence; the trainer
// and the exchanger call it, so a strategy that lacks a member fails to compile with that member's
// sentence, not with an error from deep inside the trainer.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <functional>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "sagips/core/names.hpp"
#include "sagips/exchange/config.hpp"

namespace sagips::exchange {

// What an exchange did on this rank (all optional to fill; benchmarks and summaries read them).
struct Stats {
  long exchanges = 0;        // start/finish pairs on this rank
  double bytes_sent = 0;     // payload bytes this rank sent
  double wait_seconds = 0;   // time spent blocked in finish (or in a synchronous start)
  long stale_updates = 0;    // parameter server: updates applied by this master
  double staleness_sum = 0;  // ... and the sum of their staleness (master step - worker's last pull)
  long staleness_max = 0;
  long nonfinite_reads = 0;  // RMA: neighbour buffers skipped by the finiteness guard
};

// A parameter-server master's optimizer step: apply(params, grads) on its own weights.
template <class T, class Space>
using ServerApply = std::function<void(Kokkos::View<T*, Space> params, Kokkos::View<const T*, Space> grads)>;

// The defaults of the optional members, for strategies without a server.
template <class T, class Space>
class NoServer {
 public:
  using View = Kokkos::View<T*, Space>;
  explicit NoServer(MPI_Comm comm) { MPI_Comm_size(comm, &size_); }

  const Stats& stats() const { return stats_; }
  std::vector<int> contributors(std::int64_t) const {
    std::vector<int> all(static_cast<std::size_t>(size_));
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  bool is_server() const { return false; }
  void serve(View, const ServerApply<T, Space>&) {}
  void after_update(View) {}
  void worker_done() {}
  void error_feedback(View residual) { residual_ = residual; }

 protected:
  Stats stats_;
  int size_ = 1;
  View residual_;  // this rank's rounding errors go here (Codec's residual argument); empty: dropped
};

// A strategy's compile-time description, with the defaults of the optional tag members.
namespace detail {
template <class S, class = void>
struct flag_device : std::false_type {};
template <class S>
struct flag_device<S, std::void_t<decltype(S::device_buffers)>> : std::bool_constant<S::device_buffers> {};
template <class S, class = void>
struct flag_server : std::false_type {};
template <class S>
struct flag_server<S, std::void_t<decltype(S::has_server)>> : std::bool_constant<S::has_server> {};
template <class S, class = void>
struct flag_replaces : std::false_type {};
template <class S>
struct flag_replaces<S, std::void_t<decltype(S::replaces_params)>> : std::bool_constant<S::replaces_params> {};
template <class S, class = void>
struct compressible_is_bool : std::true_type {};  // absent: the default, false
template <class S>
struct compressible_is_bool<S, std::void_t<decltype(S::compressible)>>
    : std::is_same<std::remove_cv_t<decltype(S::compressible)>, bool> {};
template <class S, class = void>
struct flag_compressible : std::false_type {};
template <class S>
struct flag_compressible<S, std::void_t<decltype(S::compressible)>> : std::bool_constant<bool(S::compressible)> {};
template <class S, class = void>
struct options_are_a_set : std::true_type {};  // absent: the default, none
template <class S>
struct options_are_a_set<S, std::void_t<decltype(S::options)>>
    : std::is_same<std::remove_cv_t<decltype(S::options)>, Reads> {};
template <class S, class = void>
struct options_of {
  static constexpr Reads value = Reads::none;
};
template <class S>
struct options_of<S, std::enable_if_t<options_are_a_set<S>::value, std::void_t<decltype(S::options)>>> {
  static constexpr Reads value = S::options;
};
}  // namespace detail

template <class S>
struct Traits {
  static constexpr const char* name = S::name;
  static constexpr bool device_buffers = detail::flag_device<S>::value;
  static constexpr bool has_server = detail::flag_server<S>::value;
  static constexpr bool replaces_params = detail::flag_replaces<S>::value;
  static constexpr bool compressible = detail::flag_compressible<S>::value;
  static constexpr Reads options = detail::options_of<S>::value;
};

// ---- the checks ------------------------------------------------------------------------------
namespace detail {
template <class S, class T, class Space, class = void>
struct has_impl : std::false_type {};
template <class S, class T, class Space>
struct has_impl<S, T, Space, std::void_t<typename S::template Impl<T, Space>>> : std::true_type {};

// Stands in for a missing Impl so that only the first failed requirement is reported.
template <class T, class Space>
struct Complete : NoServer<T, Space> {
  Complete(MPI_Comm c, const Config&, std::size_t) : NoServer<T, Space>(c) {}
  void start(Kokkos::View<T*, Space>, std::int64_t) {}
  bool test() { return true; }
  void finish() {}
};
struct MissingImpl {
  template <class T, class Space>
  using Impl = Complete<T, Space>;
};

template <class I, class T, class Space, class = void>
struct has_start : std::false_type {};
template <class I, class T, class Space>
struct has_start<I, T, Space,
                 std::void_t<decltype(std::declval<I&>().start(std::declval<Kokkos::View<T*, Space>>(), std::int64_t{}))>>
    : std::true_type {};
template <class I, class = void>
struct has_test : std::false_type {};
template <class I>
struct has_test<I, std::void_t<decltype(std::declval<I&>().test())>>
    : std::is_convertible<decltype(std::declval<I&>().test()), bool> {};
template <class I, class = void>
struct has_finish : std::false_type {};
template <class I>
struct has_finish<I, std::void_t<decltype(std::declval<I&>().finish())>> : std::true_type {};
template <class I, class = void>
struct has_stats : std::false_type {};
template <class I>
struct has_stats<I, std::void_t<decltype(std::declval<const I&>().stats())>>
    : std::is_convertible<decltype(std::declval<const I&>().stats()), const Stats&> {};
template <class I, class = void>
struct has_contributors : std::false_type {};
template <class I>
struct has_contributors<I, std::void_t<decltype(std::declval<const I&>().contributors(std::int64_t{}))>>
    : std::is_convertible<decltype(std::declval<const I&>().contributors(std::int64_t{})), std::vector<int>> {};
template <class I, class T, class Space, class = void>
struct has_server_hooks : std::false_type {};
template <class I, class T, class Space>
struct has_server_hooks<
    I, T, Space,
    std::void_t<decltype(bool(std::declval<const I&>().is_server())),
                decltype(std::declval<I&>().serve(std::declval<Kokkos::View<T*, Space>>(),
                                                  std::declval<const ServerApply<T, Space>&>())),
                decltype(std::declval<I&>().after_update(std::declval<Kokkos::View<T*, Space>>())),
                decltype(std::declval<I&>().worker_done())>> : std::true_type {};
template <class I, class T, class Space, class = void>
struct has_error_feedback : std::false_type {};
template <class I, class T, class Space>
struct has_error_feedback<I, T, Space,
                          std::void_t<decltype(std::declval<I&>().error_feedback(std::declval<Kokkos::View<T*, Space>>()))>>
    : std::true_type {};
}  // namespace detail

// Every requirement of the contract above, one sentence each. Returns true (usable in static_assert).
template <class S, class T = float, class Space = Kokkos::HostSpace>
constexpr bool check_strategy() {
  static_assert(has_static_name_v<S>,
                "exchange strategy: the tag needs `static constexpr const char* name = \"...\";`");
  static_assert(!has_static_name_v<S> || well_named_v<S>,
                "exchange strategy: its name must be lower-case letters, digits and '-'");
  static_assert(detail::has_impl<S, T, Space>::value,
                "exchange strategy: the tag needs a nested `template <class T, class Space> class Impl`");
  using I = typename std::conditional_t<detail::has_impl<S, T, Space>::value, S,
                                        detail::MissingImpl>::template Impl<T, Space>;
  static_assert(std::is_constructible_v<I, MPI_Comm, const Config&, std::size_t>,
                "exchange strategy: Impl needs a constructor Impl(MPI_Comm, const sagips::exchange::Config&, "
                "std::size_t n)");
  static_assert(detail::has_start<I, T, Space>::value,
                "exchange strategy: Impl needs `void start(Kokkos::View<T*, Space> grads, std::int64_t step)`");
  static_assert(detail::has_test<I>::value, "exchange strategy: Impl needs `bool test()` (advance, never block)");
  static_assert(detail::has_finish<I>::value,
                "exchange strategy: Impl needs `void finish()` (complete the exchange)");
  static_assert(detail::has_stats<I>::value,
                "exchange strategy: Impl needs `const sagips::exchange::Stats& stats() const` (inherit "
                "sagips::exchange::NoServer<T, Space>)");
  static_assert(detail::has_contributors<I>::value,
                "exchange strategy: Impl needs `std::vector<int> contributors(std::int64_t step) const` "
                "(inherit sagips::exchange::NoServer<T, Space>)");
  static_assert(detail::has_server_hooks<I, T, Space>::value,
                "exchange strategy: Impl needs the server hooks is_server, serve, after_update, worker_done "
                "(inherit sagips::exchange::NoServer<T, Space>)");
  static_assert(detail::options_are_a_set<S>::value,
                "exchange strategy: `options` on the tag must be the set of Config options it reads, "
                "`static constexpr sagips::exchange::Reads options = Reads::group_size | ...;`");
  static_assert(detail::compressible_is_bool<S>::value,
                "exchange strategy: `compressible` on the tag must be `static constexpr bool compressible = ...;`");
  static_assert(!Traits<S>::compressible || detail::has_error_feedback<I, T, Space>::value,
                "exchange strategy: a compressible Impl needs `void error_feedback(Kokkos::View<T*, Space> residual)` "
                "(inherit sagips::exchange::NoServer<T, Space>)");
  return true;
}

}  // namespace sagips::exchange
