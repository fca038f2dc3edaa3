#pragma once
// Hyper-parameter search over MPI: rank 0 coordinates, the other ranks form blocks of `block_size`
// consecutive ranks, and each block runs one trial at a time on its own communicator (a whole training
// run, any exchange strategy inside it):
//
//   auto summary = sagips::hpo::search(MPI_COMM_WORLD, space, settings, block_size,
//       [&](MPI_Comm block, const sagips::hpo::Job& job) -> sagips::hpo::Outcome {
//         ... train job.budget steps with job.point's options, in job.folder (job.resume: continue) ...
//         return {score};   // lower is better; throwing records the trial as failed
//       });
//
// The coordinator hands out jobs (hpo/scheduler.hpp: ASHA rungs, random or model-based points), polls
// for results without blocking (MPI_Iprobe), and writes folder/state.json after every change and
// folder/results.json (the ranked table) at the end; a search killed at any point resumes from
// state.json (Settings::resume). A trial that throws is recorded as failed with its message and the
// search goes on; one that runs past Settings::trial_timeout is recorded as timed out and its block is
// given no more work (a block cannot be interrupted: sagips's own watchdog, --stall-timeout, turns a
// stalled collective inside a trial into an error, which is a failure).
//
// Collective over `world`. A world of 1 + k * block_size ranks is required (one coordinator and k >= 1
// blocks); anything else is refused on every rank. The summary is returned on rank 0 (other ranks get
// an empty one): the ranked trials as JSON.

#include <mpi.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sagips/hpo/scheduler.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/runtime/files.hpp"

namespace sagips::hpo {

struct Outcome {
  double score = 0;
  nlohmann::json details = nlohmann::json::object();
};

using TrialFunction = std::function<Outcome(MPI_Comm block, const Job& job)>;

namespace detail {
constexpr int job_tag = 7301, result_tag = 7302;

inline void send_text(const std::string& text, int to, int tag, MPI_Comm comm) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, comm);
}
inline std::string receive_text(int from, int tag, MPI_Comm comm, int* source = nullptr) {
  MPI_Status st;
  MPI_Probe(from, tag, comm, &st);
  int n = 0;
  MPI_Get_count(&st, MPI_CHAR, &n);
  std::string text(static_cast<std::size_t>(n), '\0');
  MPI_Recv(text.data(), n, MPI_CHAR, st.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE);
  if (source) *source = st.MPI_SOURCE;
  return text;
}
inline void broadcast_text(std::string& text, MPI_Comm comm) {
  long n = static_cast<long>(text.size());
  MPI_Bcast(&n, 1, MPI_LONG, 0, comm);
  text.resize(static_cast<std::size_t>(n));
  MPI_Bcast(text.data(), static_cast<int>(n), MPI_CHAR, 0, comm);
}

inline nlohmann::json job_json(const Job& j) {
  return {{"trial", j.trial}, {"rung", j.rung}, {"budget", j.budget}, {"resume", j.resume}, {"point", j.point},
          {"folder", j.folder}};
}
inline Job job_from(const nlohmann::json& j) {
  Job job;
  job.trial = j.at("trial").get<long>();
  job.rung = j.at("rung").get<int>();
  job.budget = j.at("budget").get<long>();
  job.resume = j.at("resume").get<bool>();
  job.point = j.at("point");
  job.folder = j.at("folder").get<std::string>();
  return job;
}

// A block: receive jobs from the coordinator until the empty one, run each, send back its result.
inline void serve(MPI_Comm world, MPI_Comm block, const TrialFunction& f) {
  int me = 0;
  MPI_Comm_rank(block, &me);
  for (;;) {
    std::string text;
    if (me == 0) text = receive_text(0, job_tag, world);
    broadcast_text(text, block);
    if (text.empty()) return;
    const Job job = job_from(nlohmann::json::parse(text));
    Result r;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      std::filesystem::create_directories(job.folder);
      const Outcome o = f(block, job);
      r.score = o.score;
      r.details = o.details;
      if (!std::isfinite(o.score)) {
        r.status = "failed";
        r.message = "the score is not finite";
      }
    } catch (const std::exception& e) {
      r.status = "failed";
      r.message = e.what();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (me == 0) {
      nlohmann::json j = to_json(r);
      j["job"] = job_json(job);
      send_text(j.dump(), 0, result_tag, world);
    }
  }
}

inline void save(const std::string& path, const nlohmann::json& j) { files::write_file_durably(path, j.dump(1) + "\n"); }

// The coordinator's loop; returns the summary.
inline nlohmann::json coordinate(MPI_Comm world, Scheduler& sched, int blocks, int block_size) {
  const Settings& s = sched.settings();
  const std::string state = s.folder + "/state.json";
  std::vector<bool> lost(static_cast<std::size_t>(blocks), false);
  std::map<int, std::pair<Job, std::chrono::steady_clock::time_point>> running;  // by block
  std::vector<int> idle;
  for (int b = blocks - 1; b >= 0; --b) idle.push_back(b);
  auto leader = [&](int b) { return 1 + b * block_size; };
  for (;;) {
    while (!idle.empty()) {
      auto job = sched.next();
      if (!job) break;
      const int b = idle.back();
      idle.pop_back();
      running[b] = {*job, std::chrono::steady_clock::now()};
      save(state, sched.to_json());
      send_text(job_json(*job).dump(), leader(b), job_tag, world);
    }
    if (running.empty()) break;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, result_tag, world, &flag, &st);
    if (flag) {
      int source = 0;
      const auto j = nlohmann::json::parse(receive_text(st.MPI_SOURCE, result_tag, world, &source));
      const int b = (source - 1) / block_size;
      const Result r = result_from_json(j);
      if (!lost[static_cast<std::size_t>(b)]) {
        sched.record(job_from(j.at("job")), r);
        running.erase(b);
        idle.push_back(b);
      }
      save(state, sched.to_json());
      continue;
    }
    if (s.trial_timeout > 0) {
      for (auto it = running.begin(); it != running.end();) {
        const double age = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.second).count();
        if (age <= s.trial_timeout) {
          ++it;
          continue;
        }
        Result r;
        r.status = "timed out";
        r.message = "ran past " + std::to_string(s.trial_timeout) + " s; its block gets no more trials";
        r.seconds = age;
        sched.record(it->second.first, r);
        lost[static_cast<std::size_t>(it->first)] = true;
        it = running.erase(it);
        save(state, sched.to_json());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (int b = 0; b < blocks; ++b) send_text("", leader(b), job_tag, world);  // (a lost block reads it if it ever returns)
  nlohmann::json summary = sched.to_json();
  nlohmann::json ranked = nlohmann::json::array();
  for (const Trial* t : sched.ranking()) ranked.push_back(t->id);
  summary["ranking"] = ranked;
  save(s.folder + "/results.json", summary);
  return summary;
}
}  // namespace detail

inline nlohmann::json search(MPI_Comm world, const Space& space, Settings settings, int block_size,
                             const TrialFunction& f) {
  int rank = 0, size = 1;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  std::string problem;
  if (block_size < 1)
    problem = "hpo: a block of " + std::to_string(block_size) + " ranks";
  else if (size < 1 + block_size || (size - 1) % block_size != 0)
    problem = "hpo: " + std::to_string(size) + " ranks do not make one coordinator and blocks of " +
              std::to_string(block_size) + " (use 1 + k * " + std::to_string(block_size) + " ranks)";
  check_all(world, problem, "the search's set-up");
  const int blocks = (size - 1) / block_size;
  MPI_Comm block = MPI_COMM_NULL;
  MPI_Comm_split(world, rank == 0 ? MPI_UNDEFINED : (rank - 1) / block_size, rank, &block);
  nlohmann::json summary;
  std::string why;  // rank 0's reason the search cannot start
  if (rank == 0) {
    std::optional<Scheduler> sched;
    try {
      std::filesystem::create_directories(settings.folder);
      sched.emplace(space, settings);
      const std::string state = settings.folder + "/state.json";
      if (settings.resume && std::filesystem::exists(state)) {
        std::ifstream in(state);
        sched->restore(nlohmann::json::parse(in));
      }
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (why.empty()) {
      summary = detail::coordinate(world, *sched, blocks, block_size);
    } else {
      for (int b = 0; b < blocks; ++b) detail::send_text("", 1 + b * block_size, detail::job_tag, world);
    }
  } else {
    detail::serve(world, block, f);
    MPI_Comm_free(&block);
  }
  detail::broadcast_text(why, world);
  if (!why.empty()) throw CollectiveError(why);
  return summary;
}

}  // namespace sagips::hpo
