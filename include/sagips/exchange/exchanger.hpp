#pragma once
// Exchanger<Tag, T>: one gradient-exchange strategy on a flat host buffer of n values of T.
//
//   Exchanger<AsyncRing, float> ex(comm, config, n);   // collective; impossible setups fail on every rank
//   ex.start(grads, params, step);    // after the generator's backward; non-blocking where the strategy is
//   ex.test();                        // drives the traffic (call it while computing something else)
//   ex.finish();                      // grads now hold what this rank applies
//   ... this rank's optimizer step ...
//   ex.after_update(params);          // the parameter server may overwrite the weights here
//
// sync_comm(): the ranks that start from rank 0's weights; is_server()/serve(): parameter-server
// masters, which do not train; worker_done(): a worker's last word to its master; stats().
// The implementations live in detail/, one header per strategy.

#include "sagips/exchange/config.hpp"
#include "sagips/exchange/strategies.hpp"

namespace sagips::exchange {

template <class Tag, class T>
class Exchanger {
  static_assert(sizeof(Tag) == 0, "sagips::exchange::Exchanger: no implementation for this strategy tag");
};

}  // namespace sagips::exchange

#include "sagips/exchange/detail/allreduce.hpp"
#include "sagips/exchange/detail/async_ring.hpp"
#include "sagips/exchange/detail/ensemble.hpp"
#include "sagips/exchange/detail/parameter_server.hpp"
