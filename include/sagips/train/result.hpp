#pragma once
// What a training run returns, typed: the estimate of each named parameter with its uncertainty, the
// generator's own spread, residuals against a known truth, the ensemble's members, and the run's
// speed and set-up. Every training rank gets the same result (the reporting rank also writes it to
// summary.json through to_json()).
//
// The estimate and its uncertainty: with several independent models (an ensemble, or --strategy
// local on several ranks) the estimate is the mean of the members' estimates and the uncertainty
// the members' spread (each member a point estimate on its own resample of the data, so their spread
// is the statistical uncertainty: docs/results.md). With one model, the estimate is the mean of the
// generator's parameter distribution and the uncertainty is reported as absent: the generator's own
// spread (kept as generator_spread) is not an uncertainty.

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sagips::train {

struct ParameterResult {
  std::string name;
  double estimate = 0;                // the answer
  std::optional<double> sigma;        // its uncertainty (the ensemble's spread), when there is one
  double generator_mean = 0;          // this model's generator: mean and spread of its draws
  double generator_spread = 0;
  std::optional<double> truth;        // when the theory states one
  std::optional<double> residual() const {
    if (!truth || *truth == 0) return std::nullopt;
    return (estimate - *truth) / *truth;
  }
  std::optional<double> pull() const {  // (estimate - truth) / sigma
    if (!truth || !sigma || *sigma <= 0) return std::nullopt;
    return (estimate - *truth) / *sigma;
  }
};

struct TrainingResult {
  std::string problem, strategy;
  std::string exchange_path;                        // where the gradients travel from (Exchanger::path())
  std::vector<ParameterResult> parameters;
  int members = 1;                                  // independent models behind the estimate
  std::vector<std::vector<double>> member_estimates;  // [member][parameter]
  std::vector<double> rank_estimates;               // every training rank's generator mean, [rank * P + j]
  int ranks = 0, training_ranks = 0, samples = 0;
  long steps = 0, steps_planned = 0, steps_this_run = 0, skipped_steps = 0;
  double seconds = 0, seconds_per_step = 0, events_per_second = 0;
  nlohmann::json configuration;

  const ParameterResult& operator[](const std::string& name) const {
    for (const auto& p : parameters)
      if (p.name == name) return p;
    throw std::out_of_range("no parameter named " + name);
  }

  nlohmann::json to_json() const {
    nlohmann::json j;
    j["problem"] = problem;
    j["strategy"] = strategy;
    j["exchange_path"] = exchange_path;
    std::vector<std::string> names;
    std::vector<double> estimate, gmean, gspread;
    nlohmann::json sigma = nlohmann::json::array(), truth = nlohmann::json::array(), residual = nlohmann::json::array();
    for (const auto& p : parameters) {
      names.push_back(p.name);
      estimate.push_back(p.estimate);
      gmean.push_back(p.generator_mean);
      gspread.push_back(p.generator_spread);
      sigma.push_back(p.sigma ? nlohmann::json(*p.sigma) : nlohmann::json());
      truth.push_back(p.truth ? nlohmann::json(*p.truth) : nlohmann::json());
      residual.push_back(p.residual() ? nlohmann::json(*p.residual()) : nlohmann::json());
    }
    j["parameters"] = {{"names", names},
                       {"estimate", estimate},
                       {"sigma", sigma},
                       {"generator_mean", gmean},
                       {"generator_spread", gspread},
                       {"samples", samples}};
    bool any_truth = false;
    for (const auto& p : parameters) any_truth = any_truth || p.truth.has_value();
    if (any_truth) {
      j["parameters"]["truth"] = truth;
      j["parameters"]["residual"] = residual;
    }
    j["members"] = members;
    j["member_estimates"] = member_estimates;
    j["rank_estimates"] = rank_estimates;
    j["ranks"] = ranks;
    j["training_ranks"] = training_ranks;
    j["steps"] = steps;
    j["steps_planned"] = steps_planned;
    j["steps_this_run"] = steps_this_run;
    j["skipped_steps"] = skipped_steps;
    j["seconds"] = seconds;
    j["seconds_per_step"] = seconds_per_step;
    j["events_per_second"] = events_per_second;
    j["configuration"] = configuration;
    return j;
  }

  // The inverse of to_json (how every rank gets the reporting rank's result).
  static TrainingResult from_json(const nlohmann::json& j) {
    TrainingResult r;
    r.problem = j.at("problem");
    r.strategy = j.at("strategy");
    r.exchange_path = j.value("exchange_path", "");
    const auto& p = j.at("parameters");
    const auto opt = [](const nlohmann::json& v) { return v.is_null() ? std::optional<double>() : std::optional<double>(v.get<double>()); };
    for (std::size_t k = 0; k < p.at("names").size(); ++k) {
      ParameterResult q;
      q.name = p["names"][k];
      q.estimate = p["estimate"][k];
      q.sigma = opt(p["sigma"][k]);
      q.generator_mean = p["generator_mean"][k];
      q.generator_spread = p["generator_spread"][k];
      if (p.contains("truth")) q.truth = opt(p["truth"][k]);
      r.parameters.push_back(q);
    }
    r.samples = p.at("samples");
    r.members = j.at("members");
    r.member_estimates = j.at("member_estimates").get<std::vector<std::vector<double>>>();
    r.rank_estimates = j.at("rank_estimates").get<std::vector<double>>();
    r.ranks = j.at("ranks");
    r.training_ranks = j.at("training_ranks");
    r.steps = j.at("steps");
    r.steps_planned = j.at("steps_planned");
    r.steps_this_run = j.at("steps_this_run");
    r.skipped_steps = j.at("skipped_steps");
    r.seconds = j.at("seconds");
    r.seconds_per_step = j.at("seconds_per_step");
    r.events_per_second = j.at("events_per_second");
    r.configuration = j.at("configuration");
    return r;
  }
};

}  // namespace sagips::train
