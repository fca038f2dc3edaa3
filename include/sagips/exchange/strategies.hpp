#pragma once
// The gradient-exchange strategies as tags, with what each one does at compile time.
//
//   Local            no exchange
//   Allreduce        MPI_Allreduce average: the synchronous, Horovod-like baseline and the tests' oracle
//   Iallreduce       MPI_Iallreduce, started after the generator's backward, finished after the D step
//   SyncRing         the bandwidth-optimal ring (reduce-scatter + all-gather), point-to-point, synchronous
//   AsyncRing        SAGIPS: groups average by a ring every step; every k-th step an outer ring
//   ParameterServer  mpi_learn: masters hold the weights (Downpour SGD or elastic averaging)
//   Ensemble         groups that never talk: independent GANs; their spread is the uncertainty
//
// traits<Tag>: name; overlaps (start and finish are apart, traffic flies in between); averages
// (finish leaves an average of gradients in the buffer); has_server (some ranks do not train);
// may_replace_params (after_update may overwrite the weights).

namespace sagips::exchange {

struct Local {};
struct Allreduce {};
struct Iallreduce {};
struct SyncRing {};
struct AsyncRing {};
struct ParameterServer {};
struct Ensemble {};

template <class Tag>
struct traits {
  static_assert(sizeof(Tag) == 0,
                "sagips::exchange: unknown strategy (use Local, Allreduce, Iallreduce, SyncRing, AsyncRing, "
                "ParameterServer or Ensemble)");
};

#define SAGIPS_EXCHANGE_TRAITS(TAG, NAME, OVERLAPS, AVERAGES, SERVER, REPLACES) \
  template <>                                                                  \
  struct traits<TAG> {                                                         \
    static constexpr const char* name = NAME;                                  \
    static constexpr bool overlaps = OVERLAPS;                                 \
    static constexpr bool averages = AVERAGES;                                 \
    static constexpr bool has_server = SERVER;                                 \
    static constexpr bool may_replace_params = REPLACES;                       \
  };
SAGIPS_EXCHANGE_TRAITS(Local, "local", false, true, false, false)
SAGIPS_EXCHANGE_TRAITS(Allreduce, "allreduce", false, true, false, false)
SAGIPS_EXCHANGE_TRAITS(Iallreduce, "iallreduce", true, true, false, false)
SAGIPS_EXCHANGE_TRAITS(SyncRing, "sync-ring", false, true, false, false)
SAGIPS_EXCHANGE_TRAITS(AsyncRing, "async-ring", true, true, false, false)
SAGIPS_EXCHANGE_TRAITS(ParameterServer, "parameter-server", true, false, true, true)
SAGIPS_EXCHANGE_TRAITS(Ensemble, "ensemble", false, true, false, false)
#undef SAGIPS_EXCHANGE_TRAITS

}  // namespace sagips::exchange
