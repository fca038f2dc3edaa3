#pragma once
// What the search's coordinator decides, without MPI (hpo/search.hpp carries it): which trial a free
// block of ranks runs next, at which budget, and what the search has learnt so far.
//
// Asynchronous successive halving (ASHA; Li et al., MLSys 2020) over training steps: budgets
// min, min eta, min eta^2, ... up to max (the rungs). A free block first continues the best trial of
// the highest rung that may promote one (a trial is promotable from rung k when it is among the best
// floor(n_k / eta) of the n_k finished there), else starts a new trial at rung 0, until `trials` were
// started. A continued trial resumes its own checkpoint (its folder) with the larger budget. With
// min = max there is one rung and this is plain parallel search.
//
// New points: Settings::initial_points first (each must lie in the space), then uniform draws for the
// first `initial_random` trials (and all of them with method
// "random"), then the Gaussian process's expected-improvement proposal (hpo/gaussian_process.hpp)
// fitted to the rung-0 scores, failed trials at the worst score seen, running ones at the best (the
// constant liar). Everything is a pure function of the recorded state and the seed, and the state is
// JSON, so a search killed and resumed from its state file goes on where it was: finished results are
// kept, and what was running is run again.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sagips/hpo/gaussian_process.hpp"
#include "sagips/hpo/space.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::hpo {

struct Settings {
  int trials = 16;                // trials started (rung 0) in all
  int initial_random = 4;         // uniform trials before the model-based proposals
  std::string method = "gp";      // "gp" or "random"
  long min_budget = 100, max_budget = 100;  // training steps at the first and the last rung
  int eta = 3;                    // ASHA's reduction factor
  std::uint64_t seed = 1;
  double trial_timeout = 0;       // seconds a trial may run before it is recorded as timed out (0: no limit)
  std::string folder = "hpo-out";  // state.json, results.json and one folder per trial
  bool resume = false;            // continue from folder/state.json
  nlohmann::json initial_points = nlohmann::json::array();  // the first trials' points (the defaults, say)
};

// One run of a trial at one rung, as a block receives it.
struct Job {
  long trial = 0;
  int rung = 0;
  long budget = 0;       // training steps
  bool resume = false;   // continue the trial's checkpoint (rung > 0)
  nlohmann::json point;  // {option key: value}
  std::string folder;    // the trial's own folder
};

struct Result {
  double score = std::numeric_limits<double>::quiet_NaN();
  std::string status = "ok";  // ok, failed, timed out
  std::string message;        // why it failed
  double seconds = 0;
  nlohmann::json details;     // what the trial reports beside its score (a residual against a truth)
};

// A result as JSON ({score (null when not finite), status, message, seconds, details}) and back.
inline nlohmann::json to_json(const Result& r) {
  return {{"score", std::isfinite(r.score) ? nlohmann::json(r.score) : nlohmann::json(nullptr)},
          {"status", r.status},
          {"message", r.message},
          {"seconds", r.seconds},
          {"details", r.details}};
}
inline Result result_from_json(const nlohmann::json& j) {
  Result r;
  r.score = j.at("score").is_number() ? j.at("score").get<double>() : std::numeric_limits<double>::quiet_NaN();
  r.status = j.at("status").get<std::string>();
  r.message = j.at("message").get<std::string>();
  r.seconds = j.at("seconds").get<double>();
  r.details = j.at("details");
  return r;
}

struct Trial {
  long id = 0;
  nlohmann::json point;
  std::map<int, Result> results;  // by rung
  int started = -1;               // the highest rung started
};

class Scheduler {
 public:
  Scheduler(Space space, Settings s) : space_(std::move(space)), s_(std::move(s)) {
    SAGIPS_REQUIRE(s_.trials >= 1, "hpo: --trials " << s_.trials << " (at least one)");
    SAGIPS_REQUIRE(s_.method == "gp" || s_.method == "random", "hpo: the method '" << s_.method << "' (gp or random)");
    SAGIPS_REQUIRE(s_.min_budget >= 1 && s_.max_budget >= s_.min_budget,
                   "hpo: budgets [" << s_.min_budget << ", " << s_.max_budget << "] (1 <= min <= max)");
    SAGIPS_REQUIRE(s_.eta >= 2, "hpo: eta " << s_.eta << " (at least 2)");
    for (const auto& p : s_.initial_points) space_.to_unit(p);  // (an Error names a point outside the space)
    for (long b = s_.min_budget; b < s_.max_budget; b *= s_.eta) budgets_.push_back(b);
    budgets_.push_back(s_.max_budget);
  }

  const std::vector<long>& budgets() const { return budgets_; }
  const std::map<long, Trial>& trials() const { return trials_; }
  const Space& space() const { return space_; }
  const Settings& settings() const { return s_; }

  // The next job for a free block, or none (the search waits for running ones, or is done).
  std::optional<Job> next() {
    // A trial whose last started rung has no result and is not running (a resumed search) runs again.
    for (auto& [id, t] : trials_)
      if (t.started >= 0 && !t.results.count(t.started) && !running_.count(id)) return start(t, t.started);
    for (int k = static_cast<int>(budgets_.size()) - 2; k >= 0; --k)
      if (auto id = promotable(k)) return start(trials_.at(*id), k + 1);
    if (static_cast<int>(trials_.size()) >= s_.trials) return std::nullopt;
    Trial t;
    t.id = static_cast<long>(trials_.size());
    t.point = new_point(t.id);
    trials_[t.id] = t;
    return start(trials_.at(t.id), 0);
  }

  void record(const Job& job, Result r) {
    running_.erase(job.trial);
    trials_.at(job.trial).results[job.rung] = std::move(r);
  }
  bool running() const { return !running_.empty(); }

  // The trials ranked: the highest rung reached first, then the score (failed ones last).
  std::vector<const Trial*> ranking() const {
    std::vector<const Trial*> out;
    for (const auto& [id, t] : trials_) out.push_back(&t);
    auto key = [](const Trial* t) {
      int rung = -1;
      double score = std::numeric_limits<double>::infinity();
      for (const auto& [k, r] : t->results)
        if (r.status == "ok" && std::isfinite(r.score)) rung = k, score = r.score;
      return std::make_pair(-rung, score);
    };
    std::stable_sort(out.begin(), out.end(), [&](const Trial* a, const Trial* b) { return key(a) < key(b); });
    return out;
  }

  nlohmann::json to_json() const {
    nlohmann::json j;
    j["budgets"] = budgets_;
    j["method"] = s_.method;
    j["seed"] = s_.seed;
    for (const auto& [id, t] : trials_) {
      nlohmann::json tj{{"id", id}, {"point", t.point}, {"started", t.started}, {"results", nlohmann::json::array()}};
      for (const auto& [k, r] : t.results) {
        nlohmann::json rj = hpo::to_json(r);
        rj["rung"] = k;
        rj["budget"] = budgets_[static_cast<std::size_t>(k)];
        tj["results"].push_back(rj);
      }
      j["trials"].push_back(tj);
    }
    return j;
  }
  // A saved state of the same search (budgets, method and seed must match).
  void restore(const nlohmann::json& j) {
    SAGIPS_REQUIRE(j.value("budgets", nlohmann::json()) == nlohmann::json(budgets_) &&
                       j.value("method", "") == s_.method && j.value("seed", std::uint64_t(0)) == s_.seed,
                   "hpo: the saved state (budgets " << j.value("budgets", nlohmann::json()).dump() << ", method "
                                                    << j.value("method", "") << ") is another search's: resume it "
                                                    << "with its own settings or start a new folder");
    trials_.clear();
    for (const auto& tj : j.value("trials", nlohmann::json::array())) {
      Trial t;
      t.id = tj.at("id").get<long>();
      t.point = tj.at("point");
      t.started = tj.at("started").get<int>();
      for (const auto& rj : tj.at("results")) t.results[rj.at("rung").get<int>()] = result_from_json(rj);
      trials_[t.id] = t;
    }
  }

 private:
  Job start(Trial& t, int rung) {
    t.started = std::max(t.started, rung);
    running_.insert(t.id);
    Job j;
    j.trial = t.id;
    j.rung = rung;
    j.budget = budgets_[static_cast<std::size_t>(rung)];
    j.resume = rung > 0;
    j.point = t.point;
    j.folder = s_.folder + "/trial-" + std::to_string(t.id);
    return j;
  }

  // The best not-yet-promoted trial of rung k that is among the top floor(n_k / eta) finished there.
  std::optional<long> promotable(int k) const {
    std::vector<std::pair<double, long>> done;
    for (const auto& [id, t] : trials_) {
      const auto it = t.results.find(k);
      if (it == t.results.end()) continue;
      const double s = it->second.status == "ok" && std::isfinite(it->second.score) ? it->second.score
                                                                                      : std::numeric_limits<double>::infinity();
      done.emplace_back(s, id);
    }
    std::sort(done.begin(), done.end());
    const std::size_t top = done.size() / static_cast<std::size_t>(s_.eta);
    for (std::size_t i = 0; i < top; ++i) {
      const Trial& t = trials_.at(done[i].second);
      if (std::isfinite(done[i].first) && t.started == k) return t.id;
    }
    return std::nullopt;
  }

  nlohmann::json new_point(long id) const {
    if (static_cast<std::size_t>(id) < s_.initial_points.size()) return s_.initial_points[static_cast<std::size_t>(id)];
    const std::uint64_t key = random::stream_key(s_.seed, 0, random::Purpose::user, 0);
    if (s_.method == "random" || id < s_.initial_random) return space_.sample(key, static_cast<std::uint64_t>(id));
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    double best = std::numeric_limits<double>::infinity(), worst = -best;
    for (const auto& [tid, t] : trials_) {
      const auto it = t.results.find(0);
      if (it != t.results.end() && it->second.status == "ok" && std::isfinite(it->second.score)) {
        best = std::min(best, it->second.score);
        worst = std::max(worst, it->second.score);
      }
    }
    if (!std::isfinite(best)) return space_.sample(key, static_cast<std::uint64_t>(id));  // nothing learnt yet
    for (const auto& [tid, t] : trials_) {
      const auto it = t.results.find(0);
      const bool ok = it != t.results.end() && it->second.status == "ok" && std::isfinite(it->second.score);
      x.push_back(space_.to_unit(t.point));
      y.push_back(ok ? it->second.score : it != t.results.end() ? worst : best);  // failed: worst; running: best
    }
    const GaussianProcess gp(x, y, 1e-4);
    return space_.from_unit(gp.propose(random::mix64(key ^ static_cast<std::uint64_t>(id)), 0));
  }

  Space space_;
  Settings s_;
  std::vector<long> budgets_;
  std::map<long, Trial> trials_;
  std::set<long> running_;
};

}  // namespace sagips::hpo
