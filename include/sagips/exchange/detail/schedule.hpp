#pragma once
// Exchanges written as a schedule of steps, and the non-blocking machine that runs one. A step is a
// set of messages on one communicator, posted together: sends from ranges of the buffer, and receives
// either straight into ranges of it or into scratch space that is then added to a range (in the order
// the receives are listed, after the range's own values). The next step is posted when all of a
// step's messages are done. begin() posts the first step; progress() and finish() wait as every
// exchange made of rounds does (detail/rounds.hpp).
//
// The builders below give the steps of the hierarchical and latency-optimal exchanges
// (exchange/hierarchical.hpp, exchange/async_doubling.hpp):
//   doubling_steps   the average over a communicator in log2(P) steps: recursive doubling (the whole
//                    range each step; small buffers), or recursive halving then doubling (a
//                    reduce-scatter and an all-gather, 2 log2(P) steps of shrinking and growing parts;
//                    large buffers). A rank count that is not a power of two P folds its extra ranks
//                    onto the first ones before and unfolds after.
//   direct_reduce_scatter / direct_all_gather   one step each: every rank sends each other rank of
//                    the communicator its part of the range (few ranks on fast links: a node).
// Every sum is computed once, on the rank that owns it, or by two partners that add the same two
// values (a + b == b + a): the result is the same bits on every rank and in every run.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/detail/rounds.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange::detail {

// Elements [begin, begin + count) of the buffer, to or from rank `peer` of the step's communicator.
struct Transfer {
  int peer = 0;
  std::size_t begin = 0, count = 0;
};

template <class T>
struct Step {
  MPI_Comm comm = MPI_COMM_NULL;
  std::vector<Transfer> sends, recvs;
  bool add = false;  // receives land in scratch space and are added to their ranges
  T scale = T(1);    // then elements [scale_begin, scale_begin + scale_count) are multiplied by this
  std::size_t scale_begin = 0, scale_count = 0;
};

// ---- the builders ------------------------------------------------------------------------------

// The sum over comm of buf[base, base + len), times `scale` (1: the sum), appended to steps. halving:
// the reduce-scatter + all-gather form.
template <class T>
void doubling_steps(std::vector<Step<T>>& steps, MPI_Comm comm, std::size_t base, std::size_t len, bool halving,
                    T scale) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (size <= 1) {
    if (scale != T(1)) steps.push_back({comm, {}, {}, false, scale, base, len});
    return;
  }
  int p = 1;
  while (p * 2 <= size) p *= 2;
  const int extra = size - p;
  const Transfer all_of{0, base, len};
  auto with_peer = [](Transfer t, int peer) {
    t.peer = peer;
    return t;
  };
  if (rank >= p) {  // folded away: hand the range over, get the result back
    steps.push_back({comm, {with_peer(all_of, rank - p)}, {}, false, T(1)});
    steps.push_back({comm, {}, {with_peer(all_of, rank - p)}, false, T(1)});
    return;
  }
  if (rank < extra) steps.push_back({comm, {}, {with_peer(all_of, rank + p)}, true, T(1)});
  const auto chunk = [&](int c) { return base + len * static_cast<std::size_t>(c) / static_cast<std::size_t>(p); };
  if (!halving) {
    for (int mask = 1; mask < p; mask *= 2)
      steps.push_back({comm, {with_peer(all_of, rank ^ mask)}, {with_peer(all_of, rank ^ mask)}, true, T(1)});
  } else {
    int lo = 0, hi = p;  // the chunks this rank still reduces
    for (int mask = p / 2; mask >= 1; mask /= 2) {
      const int mid = lo + (hi - lo) / 2;
      const bool lower = (rank & mask) == 0;
      const int keep_lo = lower ? lo : mid, keep_hi = lower ? mid : hi;
      const int give_lo = lower ? mid : lo, give_hi = lower ? hi : mid;
      steps.push_back({comm,
                       {{rank ^ mask, chunk(give_lo), chunk(give_hi) - chunk(give_lo)}},
                       {{rank ^ mask, chunk(keep_lo), chunk(keep_hi) - chunk(keep_lo)}},
                       true,
                       T(1)});
      lo = keep_lo;
      hi = keep_hi;
    }
    for (int mask = 1; mask < p; mask *= 2) {  // lo..hi is this rank's finished part; the partner's is beside it
      const int width = hi - lo;
      const bool lower = (rank & mask) == 0;
      const int other_lo = lower ? hi : lo - width, other_hi = lower ? hi + width : lo;
      steps.push_back({comm,
                       {{rank ^ mask, chunk(lo), chunk(hi) - chunk(lo)}},
                       {{rank ^ mask, chunk(other_lo), chunk(other_hi) - chunk(other_lo)}},
                       false,
                       T(1)});
      lo = lower ? lo : other_lo;
      hi = lower ? other_hi : hi;
    }
  }
  if (scale != T(1)) {
    steps.back().scale = scale;
    steps.back().scale_begin = base;
    steps.back().scale_count = len;
  }
  if (rank < extra) steps.push_back({comm, {with_peer(all_of, rank + p)}, {}, false, T(1)});
}

// Part j of buf[base, base + len) split over `parts`.
inline std::size_t part_begin(std::size_t base, std::size_t len, int j, int parts) {
  return base + len * static_cast<std::size_t>(j) / static_cast<std::size_t>(parts);
}

// One step: this rank (r of comm's g) receives and sums part r of the range from every other rank,
// and sends each other rank its part. Afterwards part r holds the sum over comm.
template <class T>
void direct_reduce_scatter(std::vector<Step<T>>& steps, MPI_Comm comm, std::size_t base, std::size_t len) {
  int r = 0, g = 1;
  MPI_Comm_rank(comm, &r);
  MPI_Comm_size(comm, &g);
  if (g <= 1) return;
  Step<T> s{comm, {}, {}, true, T(1)};
  const std::size_t mine = part_begin(base, len, r, g), mine_n = part_begin(base, len, r + 1, g) - mine;
  for (int j = 0; j < g; ++j) {
    if (j == r) continue;
    s.sends.push_back({j, part_begin(base, len, j, g), part_begin(base, len, j + 1, g) - part_begin(base, len, j, g)});
    s.recvs.push_back({j, mine, mine_n});
  }
  steps.push_back(std::move(s));
}

// One step: this rank sends its part r of the range to every other rank and receives theirs.
template <class T>
void direct_all_gather(std::vector<Step<T>>& steps, MPI_Comm comm, std::size_t base, std::size_t len) {
  int r = 0, g = 1;
  MPI_Comm_rank(comm, &r);
  MPI_Comm_size(comm, &g);
  if (g <= 1) return;
  Step<T> s{comm, {}, {}, false, T(1)};
  const std::size_t mine = part_begin(base, len, r, g), mine_n = part_begin(base, len, r + 1, g) - mine;
  for (int j = 0; j < g; ++j) {
    if (j == r) continue;
    s.sends.push_back({j, mine, mine_n});
    s.recvs.push_back({j, part_begin(base, len, j, g), part_begin(base, len, j + 1, g) - part_begin(base, len, j, g)});
  }
  steps.push_back(std::move(s));
}

// ---- the machine that runs a schedule -----------------------------------------------------------

template <class T, class Space>
class ScheduleRun {
  using Ops = BufferOps<T, Space>;
  using View = typename Ops::View;

 public:
  // Runs `steps` (kept by the caller until done) on buf.
  void begin(View buf, const std::vector<Step<T>>& steps) {
    buf_ = buf;
    steps_ = &steps;
    at_ = 0;
    std::size_t need = 0;
    for (const Step<T>& s : steps) {
      std::size_t sum = 0;
      for (const Transfer& t : s.recvs) sum += s.add ? t.count : 0;
      need = need > sum ? need : sum;
    }
    if (scratch_.extent(0) < need) scratch_ = View("sagips::exchange::schedule_scratch", need);
    rounds_.active = !steps.empty();
    if (rounds_.active) post();
  }

  bool done() const { return !rounds_.active; }
  double bytes_sent() const { return bytes_; }
  std::size_t step() const { return at_; }

  // Advances without blocking; true when the schedule has run to its end.
  bool progress() {
    return rounds_.progress([this] { complete(); });
  }

  // Completes under the watchdog (what names it in a stall report); returns the seconds spent waiting.
  // With the watchdog off each step blocks in MPI_Waitall.
  double finish(const std::string& what) {
    return rounds_.finish([this] { complete(); },
                          [&](double waited, const std::function<bool()>& completed) {
                            report_stall(what, waited, completed);
                          });
  }

 private:
  void post() {
    const Step<T>& s = (*steps_)[at_];
    Ops::fence();  // MPI reads the buffer only after the kernels that wrote it
    MPI_Request* reqs = rounds_.start_round(s.sends.size() + s.recvs.size());
    // One tag for every step: ranks reach a message at different step numbers (a folded rank's first
    // step is its partner's), and between two ranks the messages come in the same order on both sides.
    const int tag = 600;
    std::size_t k = 0, offset = 0;
    for (const Transfer& t : s.recvs) {
      T* into = s.add ? scratch_.data() + offset : buf_.data() + t.begin;
      offset += s.add ? t.count : 0;
      MPI_Irecv(into, static_cast<int>(t.count), mpi_type<T>(), t.peer, tag, s.comm, &reqs[k++]);
    }
    for (const Transfer& t : s.sends) {
      MPI_Isend(buf_.data() + t.begin, static_cast<int>(t.count), mpi_type<T>(), t.peer, tag, s.comm, &reqs[k++]);
      bytes_ += static_cast<double>(t.count * sizeof(T));
    }
  }

  // Returns only when the schedule completed during the watchdog's grace period (a slow wait).
  void report_stall(const std::string& what, double waited, const std::function<bool()>& completed) const {
    const Step<T>& s = (*steps_)[at_];
    std::string peers;
    for (const Transfer& t : s.recvs) peers += (peers.empty() ? "" : ",") + std::to_string(t.peer);
    watchdog::stall(s.comm,
                    what + " (step " + std::to_string(at_) + ", waiting for rank(s) " +
                        (peers.empty() ? std::string("none") : peers) + " of its communicator)",
                    waited, watchdog::timeout(), completed);
  }

  void complete() {
    const Step<T>& s = (*steps_)[at_];
    if (s.add) {
      std::size_t offset = 0;
      for (const Transfer& t : s.recvs) {
        Ops::add(Ops::part(buf_, t.begin, t.count), Ops::part(scratch_, offset, t.count));
        offset += t.count;
      }
    }
    if (s.scale != T(1)) Ops::scale(Ops::part(buf_, s.scale_begin, s.scale_count), s.scale);
    if (++at_ < steps_->size()) {
      post();
    } else {
      rounds_.active = false;
      Ops::fence();
    }
  }

  View buf_, scratch_;
  const std::vector<Step<T>>* steps_ = nullptr;
  std::size_t at_ = 0;
  Rounds rounds_;
  double bytes_ = 0;
};

}  // namespace sagips::exchange::detail
