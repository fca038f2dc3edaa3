#pragma once
// Groups of consecutive ranks, as the grouped strategies (AsyncRing, AsyncDoubling, Hierarchical) lay
// them out: rank r is member r % g of group r / g, the group's first member is its leader,
// and the members with the same index in every group form a column (column 0: the leaders).

#include <mpi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sagips/exchange/config.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange::detail {

// Groups of `g` consecutive ranks. g = 0: the number of ranks sharing a node, at most 4 (the same on
// every node: the smallest count wins), or all ranks when there are fewer. Collective; a size that
// does not fit is refused on every rank.
inline int resolve_group_size(MPI_Comm comm, int requested) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  int g = requested;
  if (g == 0) {
    mpi::barrier(comm, "the layout of the exchange groups");
    MPI_Comm node_raw = MPI_COMM_NULL;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_raw);
    const Comm node(node_raw);
    int local = node.size();
    mpi::allreduce(MPI_IN_PLACE, &local, 1, MPI_INT, MPI_MIN, comm, "the layout of the exchange groups");
    g = std::min({local, 4, size});
  }
  std::string problem;
  if (g < 1 || g > size)
    problem = "group size " + std::to_string(g) + " is not between 1 and the rank count " + std::to_string(size) +
              " (of one model, in a trainer)";
  else if (size % g != 0)
    problem = "group size " + std::to_string(g) + " does not divide the rank count " + std::to_string(size) +
              " (of one model, in a trainer; groups are " + std::to_string(g) + " consecutive ranks)";
  check_all(comm, problem, "the layout of the exchange groups");
  return g;
}

// The layout on a private copy of comm (collective; `who` names the strategy in errors, "the async
// ring"): this rank's place and its group's communicator; columns and leaders on request.
class GroupLayout {
 public:
  GroupLayout(MPI_Comm comm, int requested_group_size, const std::string& who)
      : who_(who), world_(Comm::dup(comm, who + "'s set-up")), rank_(world_.rank()), size_(world_.size()),
        g_(resolve_group_size(world_, requested_group_size)),
        group_(Comm::split(world_, rank_ / g_, rank_, who + "'s groups")) {}

  const Comm& world() const { return world_; }
  const Comm& group() const { return group_; }
  int rank() const { return rank_; }
  int group_size() const { return g_; }
  int group_index() const { return rank_ / g_; }
  int groups() const { return size_ / g_; }
  bool leader() const { return rank_ % g_ == 0; }

  // This rank's column (collective over the world).
  Comm column() const { return Comm::split(world_, rank_ % g_, rank_, who_ + "'s columns"); }
  // The leaders' communicator; empty on the other ranks (collective over the world).
  Comm leaders() const { return Comm::split(world_, leader() ? 0 : MPI_UNDEFINED, rank_, who_ + "'s leaders"); }

  std::vector<int> members() const { return ranks(group_index() * g_, (group_index() + 1) * g_, 1); }
  std::vector<int> leader_ranks() const { return ranks(0, size_, g_); }

  // Whose gradients the SAGIPS scheme (AsyncRing, AsyncDoubling) averages into this rank's: on an
  // inner step its group; on an outer step, strong: every rank; weak: the leaders for a leader and
  // itself for the others; leader-broadcast: the leaders.
  std::vector<int> sagips_contributors(bool outer, Mode mode) const {
    if (!outer) return members();
    if (mode == Mode::strong) return ranks(0, size_, 1);
    if (leader() || mode == Mode::leader_broadcast) return leader_ranks();
    return {rank_};
  }

 private:
  static std::vector<int> ranks(int from, int to, int stride) {
    std::vector<int> r;
    for (int q = from; q < to; q += stride) r.push_back(q);
    return r;
  }

  std::string who_;
  Comm world_;
  int rank_ = 0, size_ = 1, g_ = 1;
  Comm group_;
};

}  // namespace sagips::exchange::detail
