#pragma once
// Batch normalisation, optionally synchronized over ranks.
//
// In a layer list, BatchNorm sits between a Dense and its activation:
//
//   Sequential<float, Dense<2, 64>, BatchNorm, Relu, Dense<64, 1>>
//   Mlp<2, 1, Hidden<64, 64>, Relu, Identity, float, BatchNorm>      (after every hidden layer)
//
// For each of the layer's C outputs z, over the batch: z_hat = (z - mean) / sqrt(var + eps), then
// y = act(gamma z_hat + beta), with gamma and beta (initially 1 and 0) in the network's flat
// parameter buffer after the layer's weights and bias. In training mode mean and var are the batch's
// (var biased, as in the normalisation of PyTorch's BatchNorm1d); running estimates (momentum 0.1,
// the unbiased var) are kept for evaluation mode, which uses them instead (set_training(false)).
//
// Synchronized: after set_batch_norm_comm(comm), the batch is the union of the ranks' batches, so N
// ranks of batch b compute what one rank of batch N*b would. Each layer does one all-reduce of 2C + 1
// numbers forward (the column sums, the sums of squares, the row count) and one of 2C backward (the
// sums of dL/dy_hat and of dL/dy_hat * z_hat), as PyTorch's SyncBatchNorm does. The network keeps its
// own duplicate of the communicator, so these collectives never interleave with other traffic on
// the caller's one. Every rank of it must run the same forward and backward passes.
//
// Rows are coupled (a row's output depends on the whole batch), so a network with a BatchNorm layer
// runs a batch whole (no row blocks, no progress callback between them) and its backward_split is
// two backward passes. A batch of fewer than two rows in all is refused (on every rank, when
// synchronized), as are batch statistics that are not finite.

#include <mpi.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace sagips::nn {

// The layer tags: a Dense followed by BatchNorm is normalised; NoNorm is the default.
struct BatchNorm {};
struct NoNorm {};

// eps in the square root, momentum of the running estimates.
struct BatchNormConfig {
  double eps = 1e-5;
  double momentum = 0.1;
};

// The communicator a network's batch normalisation reduces over (a duplicate, freed with the last
// copy of the network; empty: this rank's batch alone).
class NormComm {
 public:
  NormComm() = default;
  explicit NormComm(MPI_Comm comm) {
    int size = 1;
    MPI_Comm_size(comm, &size);
    if (size == 1) return;  // one rank: nothing to reduce
    auto* dup = new MPI_Comm;
    MPI_Comm_dup(comm, dup);
    comm_ = std::shared_ptr<MPI_Comm>(dup, [](MPI_Comm* c) {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Comm_free(c);
      delete c;
    });
  }
  bool synchronized() const { return comm_ != nullptr; }
  MPI_Comm get() const { return comm_ ? *comm_ : MPI_COMM_SELF; }

 private:
  std::shared_ptr<MPI_Comm> comm_;
};

// True for a network with batch-normalised layers whose statistics can be reduced over ranks
// (nn::Network with a BatchNorm layer; a user's network that declares `has_batch_norm` and
// `set_batch_norm_comm(MPI_Comm)`). The trainer synchronizes those (--sync-batch-norm).
template <class N, class = void>
struct has_batch_norm : std::false_type {};
template <class N>
struct has_batch_norm<N, std::void_t<decltype(N::has_batch_norm),
                                     decltype(std::declval<N&>().set_batch_norm_comm(MPI_COMM_SELF))>>
    : std::bool_constant<N::has_batch_norm> {};
template <class N>
inline constexpr bool has_batch_norm_v = has_batch_norm<N>::value;

}  // namespace sagips::nn
