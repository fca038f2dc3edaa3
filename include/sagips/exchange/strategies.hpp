#pragma once
// The built-in gradient-exchange strategies, and Builtin: all of them, one chosen at run time by
// Config::strategy (--strategy). Each strategy's tag and implementation live in a header of its own;
// the contract they all follow is contract.hpp.
//
//   Local            no exchange (each model one rank: --models 0)
//   Allreduce        the mean of all ranks' gradients, synchronous: the Horovod-like baseline
//   Iallreduce       MPI_Iallreduce, started after the generator's backward, finished after the D step
//   SyncRing         the ring all-reduce on point-to-point messages (pass-along or chunked), synchronous
//   AsyncRing        SAGIPS: groups average by a ring every step; every k-th step an outer ring
//   AsyncDoubling    SAGIPS's groups and steps, exchanged by recursive doubling (log2 steps, not a ring)
//   Hierarchical     the mean of all ranks: reduce in the group, one part per member between groups, gather
//   ParameterServer  mpi_learn: masters hold the weights (Downpour SGD or elastic averaging)
//
// Independent models (an ensemble whose spread is the uncertainty) are not a strategy: the trainer
// splits the ranks into TrainerConfig::models equal models, and the strategy runs inside each.
// A strategy of your own joins the run-time choice with BuiltinAnd<Mine>.

#include "sagips/exchange/allreduce.hpp"
#include "sagips/exchange/async_doubling.hpp"
#include "sagips/exchange/async_ring.hpp"
#include "sagips/exchange/exchanger.hpp"
#include "sagips/exchange/hierarchical.hpp"
#include "sagips/exchange/local.hpp"
#include "sagips/exchange/parameter_server.hpp"
#include "sagips/exchange/sync_ring.hpp"

namespace sagips::exchange {

template <class... Mine>
using BuiltinAnd = Choice<Local, Allreduce, Iallreduce, SyncRing, AsyncRing, ParameterServer, Hierarchical,
                          AsyncDoubling, Mine...>;
using Builtin = BuiltinAnd<>;

}  // namespace sagips::exchange
