#pragma once
// ParameterServer, as in mpi_learn. Ranks 0..M-1 are masters and do not train; the others are workers.
// With M = 1 every worker talks to rank 0; with M > 1 ranks 1..M-1 are sub-masters, each serving a
// round-robin share of the workers and acting as a worker of rank 0.
//
// Downpour: each step a worker pushes its gradient to its master (non-blocking, from start()), takes
// its own optimizer step, and every sync_every steps pulls the master's weights (in after_update,
// replacing its own). The master applies each pushed gradient at once with its own optimizer (the
// trainer's apply callback) and records the update's staleness: the master's step minus the master
// step of the worker's last pull. A sub-master, every sync_every of its own updates, sends rank 0
// its weight change since its last exchange; rank 0 adds it and replies with its weights.
// EASGD (elastic averaging): workers train locally; every sync_every steps a worker sends its weights
// W_w; the master computes d = alpha (W_w - W_c), sets W_c += d and replies d; the worker sets W_w -= d.
//
// Messages: a header (kind, worker step, master step of the last pull, wants weights) then a payload,
// on a private duplicate of the communicator. When all of its workers have said they are done, a
// master leaves serve().
//
// Compression (Config::compression): a Downpour push carries 16-bit values, which the master decodes
// before its optimizer step. Weights (pulls, sub-master exchanges) travel in full precision; EASGD,
// which sends only weights, refuses compression on every rank.

#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sagips/exchange/buffer.hpp"
#include "sagips/exchange/compression.hpp"
#include "sagips/exchange/contract.hpp"
#include "sagips/runtime/comm.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"

namespace sagips::exchange {

struct ParameterServer {
  static constexpr const char* name = "parameter-server";
  static constexpr bool has_server = true;
  static constexpr bool replaces_params = true;
  static constexpr bool compressible = true;
  static constexpr Reads options =
      Reads::masters | Reads::sync_every | Reads::ps_algorithm | Reads::easgd_alpha | Reads::compression;

  // Host buffers only (device_buffers is false): the exchanger stages device memory.
  template <class T, class Space>
  class Impl {
    enum Kind : long { gradient = 1, elastic = 2, done = 3, delta = 4 };
    static constexpr int tag_header = 71, tag_payload = 72, tag_reply_header = 73, tag_reply = 74;
    using Header = std::array<long, 4>;  // kind, worker step, pulled master step, wants weights
    using View = Kokkos::View<T*, Space>;

   public:
    Impl(MPI_Comm comm, const Config& c, std::size_t n) : c_(c), n_(n) {
      comm_ = Comm::dup(comm, "the parameter server's set-up");
      rank_ = comm_.rank();
      size_ = comm_.size();
      const int m = c.masters;
      std::string problem;
      if (size_ < 2)
        problem = "a parameter server needs at least 2 ranks (a master and a worker); this run has " + std::to_string(size_);
      else if (m < 1 || size_ - m < 1)
        problem = std::to_string(m) + " masters leave no worker among " + std::to_string(size_) + " ranks";
      else if (m > 1 && size_ - m < m - 1)
        problem = std::to_string(m - 1) + " sub-masters need at least as many workers; " + std::to_string(size_) +
                  " ranks leave " + std::to_string(size_ - m);
      else if (c.sync_every < 1)
        problem = "sync_every must be at least 1";
      else if (c.algorithm == PsAlgorithm::easgd && c.compression != Compression::none)
        problem = std::string("--compression ") + to_string(c.compression) +
                  " is refused with --ps-algorithm easgd: its workers exchange weights, not gradients, and "
                  "compression is for gradients (Downpour's pushes)";
      check_all(comm_, problem, "the parameter server's set-up");
      masters_ = m;
      if (rank_ >= m) master_ = m == 1 ? 0 : 1 + (rank_ - m) % (m - 1);
      else if (rank_ > 0) master_ = 0;  // a sub-master reports to rank 0
      for (int w = m; w < size_; ++w)
        if ((m == 1 ? 0 : 1 + (w - m) % (m - 1)) == rank_) ++my_workers_;
      if (m > 1 && rank_ == 0) my_workers_ = m - 1;  // rank 0 serves the sub-masters
      send_buf_.resize(n_);
      recv_buf_.resize(n_);
      if (c.compression != Compression::none) wire_.resize(n_);
    }

    bool is_server() const { return rank_ < masters_; }
    int master() const { return master_; }
    const Stats& stats() const { return stats_; }
    std::vector<int> contributors(std::int64_t) const { return {}; }  // not an average: a master's weights
    void error_feedback(View residual) { residual_ = residual; }

    // ---- worker side -------------------------------------------------------------------------
    void start(View grads, std::int64_t step) {
      step_ = step;
      reqs_.clear();
      if (c_.algorithm != PsAlgorithm::downpour) return;
      wants_ = step % c_.sync_every == 0;
      header_ = {gradient, static_cast<long>(step), pulled_, wants_ ? 1L : 0L};
      if (compressed()) {
        const Kokkos::View<std::uint16_t*, Space, Kokkos::MemoryUnmanaged> wire(wire_.data(), n_);
        Codec<T, Space>::encode(c_.compression, grads, wire, residual_);
        Kokkos::fence();
        post_send(header_, wire_.data(), Codec<T, Space>::wire_type());
        stats_.bytes_sent += static_cast<double>(n_ * sizeof(std::uint16_t));
      } else {
        std::memcpy(send_buf_.data(), grads.data(), n_ * sizeof(T));
        post_send(header_, send_buf_.data());
        stats_.bytes_sent += static_cast<double>(n_ * sizeof(T));
      }
      if (wants_) post_reply_receive();
    }
    bool test() {
      int flag = 1;
      if (!reqs_.empty()) MPI_Testall(static_cast<int>(reqs_.size()), reqs_.data(), &flag, MPI_STATUSES_IGNORE);
      return flag;
    }
    void finish() {
      // The push must have left; the reply (if any) is awaited in after_update.
      if (!reqs_.empty()) {
        stats_.wait_seconds += watchdog::wait(comm_, reqs_.data(), 2, describe("the master to take a push"));
        reqs_.erase(reqs_.begin(), reqs_.begin() + 2);
      }
      ++stats_.exchanges;
    }
    void after_update(View params) {
      if (c_.algorithm == PsAlgorithm::downpour) {
        if (!wants_) return;
        stats_.wait_seconds += watchdog::wait(comm_, reqs_, describe("the master's weights"));
        reqs_.clear();
        std::memcpy(params.data(), recv_buf_.data(), n_ * sizeof(T));
        pulled_ = reply_header_[0];
        return;
      }
      if (step_ % c_.sync_every != 0) return;
      // EASGD: send W_w, receive d = alpha (W_w - W_c), W_w -= d.
      std::memcpy(send_buf_.data(), params.data(), n_ * sizeof(T));
      header_ = {elastic, static_cast<long>(step_), pulled_, 1};
      reqs_.clear();
      post_send(header_, send_buf_.data());
      post_reply_receive();
      stats_.wait_seconds += watchdog::wait(comm_, reqs_, describe("the master's elastic reply"));
      reqs_.clear();
      for (std::size_t i = 0; i < n_; ++i) params(i) -= recv_buf_[i];
      pulled_ = reply_header_[0];
      stats_.bytes_sent += static_cast<double>(n_ * sizeof(T));
    }
    void worker_done() {
      if (is_server()) return;
      Header h = {done, static_cast<long>(step_), pulled_, 0};
      MPI_Send(h.data(), 4, MPI_LONG, master_, tag_header, comm_);
    }

    // ---- master side -------------------------------------------------------------------------
    // Serves until every worker of this master has finished. params: the master's weights; apply is
    // its optimizer step.
    void serve(View params, const ServerApply<T, Space>& apply) {
      if (!is_server()) return;
      std::vector<T> payload(n_), reply(n_), last_sync(params.data(), params.data() + n_);
      const Kokkos::View<const T*, Space, Kokkos::MemoryUnmanaged> pushed(payload.data(), n_);
      long updates_since_sync = 0;
      int active = my_workers_;
      double idle_since = watchdog::now();
      while (active > 0) {
        int flag = 1;
        MPI_Status st;
        if (watchdog::timeout() > 0)
          MPI_Iprobe(MPI_ANY_SOURCE, tag_header, comm_, &flag, &st);
        else  // nothing to watch: block until a worker sends
          MPI_Probe(MPI_ANY_SOURCE, tag_header, comm_, &st);
        if (!flag) {
          const double idle = watchdog::now() - idle_since;
          if (watchdog::timeout() > 0 && idle > watchdog::timeout())
            watchdog::stall(comm_,
                            "the parameter server's master (rank " + std::to_string(rank_) +
                                ") waiting for any worker to push (" + std::to_string(active) +
                                " still active) after its update " + std::to_string(master_step_),
                            idle, watchdog::timeout(), [&] {
                              int arrived = 0;
                              MPI_Iprobe(MPI_ANY_SOURCE, tag_header, comm_, &arrived, MPI_STATUS_IGNORE);
                              return arrived != 0;
                            });
          std::this_thread::yield();
          continue;
        }
        idle_since = watchdog::now();
        Header h;
        const int src = st.MPI_SOURCE;
        MPI_Recv(h.data(), 4, MPI_LONG, src, tag_header, comm_, MPI_STATUS_IGNORE);
        if (h[0] == done) {
          --active;
          continue;
        }
        // The payload follows its header; a large one needs its sender's part of the handshake, so
        // the master waits for it under the watchdog (a worker stopped in between is named).
        const std::string what = "the parameter server's master (rank " + std::to_string(rank_) +
                                 ") receiving a push from rank " + std::to_string(src);
        MPI_Request r;
        if (h[0] == gradient && compressed()) {  // a compressed push: decoded into the payload
          MPI_Irecv(wire_.data(), static_cast<int>(n_), MPI_UINT16_T, src, tag_payload, comm_, &r);
          watchdog::wait(comm_, &r, 1, what);
          for (std::size_t i = 0; i < n_; ++i) payload[i] = decode<T>(c_.compression, wire_[i]);
        } else {
          MPI_Irecv(payload.data(), static_cast<int>(n_), mpi_type<T>(), src, tag_payload, comm_, &r);
          watchdog::wait(comm_, &r, 1, what);
        }
        if (h[0] == gradient) {
          const long staleness = master_step_ - h[2];
          ++stats_.stale_updates;
          stats_.staleness_sum += static_cast<double>(staleness);
          stats_.staleness_max = std::max(stats_.staleness_max, staleness);
          apply(params, pushed);
          ++master_step_;
          if (h[3]) send_reply(src, params.data());
        } else if (h[0] == elastic) {
          const T alpha = static_cast<T>(c_.easgd_alpha);
          for (std::size_t i = 0; i < n_; ++i) {
            reply[i] = alpha * (payload[i] - params(i));
            params(i) += reply[i];
          }
          ++master_step_;
          send_reply(src, reply.data());
        } else if (h[0] == delta) {  // a sub-master's weight change
          for (std::size_t i = 0; i < n_; ++i) params(i) += payload[i];
          ++master_step_;
          send_reply(src, params.data());
        }
        // A sub-master passes its change on to rank 0 every sync_every updates and adopts rank 0's weights.
        if (rank_ > 0 && ++updates_since_sync >= c_.sync_every) {
          updates_since_sync = 0;
          for (std::size_t i = 0; i < n_; ++i) payload[i] = params(i) - last_sync[i];
          Header up = {delta, master_step_, pulled_, 1};
          MPI_Request r[4];
          MPI_Isend(up.data(), 4, MPI_LONG, 0, tag_header, comm_, &r[0]);
          MPI_Isend(payload.data(), static_cast<int>(n_), mpi_type<T>(), 0, tag_payload, comm_, &r[1]);
          MPI_Irecv(reply_header_.data(), 4, MPI_LONG, 0, tag_reply_header, comm_, &r[2]);
          MPI_Irecv(params.data(), static_cast<int>(n_), mpi_type<T>(), 0, tag_reply, comm_, &r[3]);
          watchdog::wait(comm_, r, 4, "the parameter server's sub-master (rank " + std::to_string(rank_) +
                                         ") passing its update " + std::to_string(master_step_) + " to rank 0");
          pulled_ = reply_header_[0];
          std::copy(params.data(), params.data() + n_, last_sync.begin());
        }
      }
      if (rank_ > 0) {  // a sub-master is done when its workers are
        Header h = {done, master_step_, pulled_, 0};
        MPI_Send(h.data(), 4, MPI_LONG, 0, tag_header, comm_);
      }
    }

   private:
    std::string describe(const std::string& waiting_for) const {
      return "the parameter-server exchange of step " + std::to_string(step_) + " (waiting for " + waiting_for +
             ", rank " + std::to_string(master_) + ")";
    }
    bool compressed() const { return c_.compression != Compression::none; }
    void post_send(const Header& h, const void* data, MPI_Datatype type = mpi_type<T>()) {
      reqs_.resize(reqs_.size() + 2);
      MPI_Isend(h.data(), 4, MPI_LONG, master_, tag_header, comm_, &reqs_[reqs_.size() - 2]);
      MPI_Isend(data, static_cast<int>(n_), type, master_, tag_payload, comm_, &reqs_.back());
    }
    void post_reply_receive() {
      reqs_.resize(reqs_.size() + 2);
      MPI_Irecv(reply_header_.data(), 4, MPI_LONG, master_, tag_reply_header, comm_, &reqs_[reqs_.size() - 2]);
      MPI_Irecv(recv_buf_.data(), static_cast<int>(n_), mpi_type<T>(), master_, tag_reply, comm_, &reqs_.back());
    }
    // A master's reply waits under the watchdog: a worker that stopped taking it is named, and the
    // master counts as waiting in the report instead of as missing.
    void send_reply(int dst, const T* data) {
      Header h = {master_step_, 0, 0, 0};
      MPI_Request r[2];
      MPI_Isend(h.data(), 4, MPI_LONG, dst, tag_reply_header, comm_, &r[0]);
      MPI_Isend(data, static_cast<int>(n_), mpi_type<T>(), dst, tag_reply, comm_, &r[1]);
      watchdog::wait(comm_, r, 2, "the parameter server's master (rank " + std::to_string(rank_) +
                                      ") replying to rank " + std::to_string(dst) + " after its update " +
                                      std::to_string(master_step_));
      stats_.bytes_sent += static_cast<double>(n_ * sizeof(T));
    }

    Config c_;
    std::size_t n_;
    Comm comm_;
    int rank_ = 0, size_ = 1, masters_ = 1, master_ = -1, my_workers_ = 0;
    std::vector<T> send_buf_, recv_buf_;
    std::vector<std::uint16_t> wire_;  // a compressed push (worker) or the one being received (master)
    View residual_;                    // the exchanger's error feedback (compression only)
    std::vector<MPI_Request> reqs_;
    Header header_{}, reply_header_{};
    std::int64_t step_ = 0;
    long pulled_ = 0, master_step_ = 0;
    bool wants_ = false;
    Stats stats_;
  };
};

}  // namespace sagips::exchange
