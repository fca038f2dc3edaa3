#pragma once
// What a sagips::App run answers, and how it shows it: the table printed at the end of a run and
// summary.json's record of the answer. The GAN's result (train::TrainingResult) comes with, where
// valid, the maximum-likelihood fit of the same events (fit::FitResult) and which events it saw.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sagips/fit/mle.hpp"
#include "sagips/fit/profile.hpp"
#include "sagips/fit/ratio.hpp"
#include "sagips/train/result.hpp"

namespace sagips::app {

// One parameter's profile likelihood (fit/profile.hpp), with --fit-profile: its 68.27% and 95.45%
// intervals, the GAN's estimate in that profile in "sigmas" (sign(t - fit) sqrt(2 delta_j(t)): beyond 2 is
// outside the 95% interval), and the lowest -ln L above the fit's minimum that the profile met (below 0:
// the fit's minimum is not the global one).
struct ProfiledParameter {
  fit::ProfileInterval sigma68, sigma95;
  double estimate_sigmas = 0;
  double lowest = 0;
};

// The answer: the GAN's (typed, every rank) and, with --fit, the maximum-likelihood fit of the same events.
struct Result {
  train::TrainingResult gan;
  std::optional<fit::FitResult> mle;
  std::string mle_sample;   // which events the fit saw
  std::string mle_skipped;  // why the fit did not run, when it was on but not valid for these events
  // Where the answer lies in the likelihood (fit/ratio.hpp): -ln L above the fit's minimum at the
  // estimate and at the truth (when known), and the limits of the joint 68% / 95% regions.
  std::optional<double> delta_estimate, delta_truth;
  fit::LikelihoodRegions regions;
  std::vector<ProfiledParameter> profile;  // one per parameter with --fit-profile, else empty
  int refits = 0;  // fits started again from a lower point that a profile met (app::profile_parameters)
};

// summary.json's "mle"."likelihood_ratio": null without an estimate to place.
inline nlohmann::json ratio_json(const Result& r) {
  if (!r.delta_estimate) return nullptr;
  return {{"estimate", *r.delta_estimate},
          {"truth", r.delta_truth ? nlohmann::json(*r.delta_truth) : nlohmann::json()},
          {"parameters", r.regions.parameters},
          {"region68", r.regions.delta68},
          {"region95", r.regions.delta95},
          {"meaning", "-ln L above the fit's minimum; a point is inside the joint c-level region of all parameters "
                      "when it is below regionC (Wilks)"}};
}

// summary.json's "mle"."profile": per parameter its intervals and the estimate's place; null without.
inline nlohmann::json profile_json(const Result& r) {
  if (r.profile.empty()) return nullptr;
  auto interval = [](const fit::ProfileInterval& i) {
    return nlohmann::json{{"lower", i.lower},
                          {"upper", i.upper},
                          {"lower_at_box", i.lower_at_box},
                          {"upper_at_box", i.upper_at_box},
                          {"lower_at_wall", i.lower_at_wall},
                          {"upper_at_wall", i.upper_at_wall},
                          {"delta", i.delta},
                          {"fits", i.fits}};
  };
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : r.profile)
    out.push_back({{"interval68", interval(p.sigma68)}, {"interval95", interval(p.sigma95)},
                   {"estimate_sigmas", p.estimate_sigmas}, {"lowest", p.lowest}});
  return out;
}

// summary.json's "mle": the fit's values, sigmas, correlation matrix and how it ended.
inline nlohmann::json mle_json(const Result& r) {
  const auto& m = *r.mle;
  const std::size_t P = m.value.size();
  std::vector<std::vector<double>> corr(P, std::vector<double>(P, 0.0));
  for (std::size_t a = 0; a < P; ++a)
    for (std::size_t b = 0; b < P; ++b)
      if (m.sigma[a] > 0 && m.sigma[b] > 0)
        corr[a][b] = m.covariance(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) / (m.sigma[a] * m.sigma[b]);
  return {{"value", m.value},   {"sigma", m.sigma},   {"correlation", corr},         {"nll", m.nll},
          {"events", m.events}, {"converged", m.converged}, {"status", m.status}, {"iterations", m.iterations},
          {"sample", r.mle_sample}, {"likelihood_ratio", ratio_json(r)},
          {"profile", profile_json(r)}, {"refits", r.refits}};
}

// The table: per parameter the truth, the estimate with its sigma, residual, pull and the fit; then
// what the numbers are and anything that makes them less than they seem.
inline void print(const Result& r) {
  const auto& g = r.gan;
  std::printf("\n%-10s %9s %22s %9s %7s %22s\n", "", "truth", "estimate +- sigma", "residual", "pull", "MLE +- sigma");
  for (std::size_t j = 0; j < g.parameters.size(); ++j) {
    const auto& p = g.parameters[j];
    char truth[32] = "-", est[48], res[32] = "-", pull[32] = "-", mle[48] = "-";
    if (p.truth) std::snprintf(truth, sizeof truth, "%.4f", *p.truth);
    if (p.sigma)
      std::snprintf(est, sizeof est, "%.4f +- %.4f", p.estimate, *p.sigma);
    else
      std::snprintf(est, sizeof est, "%.4f", p.estimate);
    if (p.residual()) std::snprintf(res, sizeof res, "%+.2f%%", 100 * *p.residual());
    if (p.pull()) std::snprintf(pull, sizeof pull, "%+.2f", *p.pull());
    if (r.mle && r.mle->sigma[j] > 0)
      std::snprintf(mle, sizeof mle, "%.4f +- %.4f", r.mle->value[j], r.mle->sigma[j]);
    else if (r.mle)
      std::snprintf(mle, sizeof mle, "%.4f (no sigma)", r.mle->value[j]);
    std::printf("%-10s %9s %22s %9s %7s %22s\n", p.name.c_str(), truth, est, res, pull, mle);
  }
  if (g.members > 1)
    std::printf("estimate: the mean of %d independent models; sigma: their spread\n", g.members);
  else
    std::printf("estimate: the generator's mean (one model: no uncertainty; --models N trains N for one)\n");
  if (!r.mle_skipped.empty()) std::printf("%s\n", r.mle_skipped.c_str());
  if (r.mle && !r.mle->converged)
    std::printf("the maximum-likelihood fit did not converge (%s, %ld events): its values are not a measurement\n",
                r.mle->status.c_str(), r.mle->events);
  if (r.delta_estimate) {
    char truth[64] = "";
    if (r.delta_truth) std::snprintf(truth, sizeof truth, ", %.2f at the truth", *r.delta_truth);
    std::printf("-ln L above the fit's minimum: %.2f at the estimate%s (the joint region of all %d parameters: "
                "68%% below %.2f, 95%% below %.2f)\n",
                *r.delta_estimate, truth, r.regions.parameters, r.regions.delta68, r.regions.delta95);
  }
  if (r.refits > 0)
    std::printf("the fit above started again from a lower point of -ln L that its profiles met (%d time%s)\n", r.refits,
                r.refits > 1 ? "s" : "");
  if (!r.profile.empty()) {
    std::printf("profile likelihood (-ln L minimised over the other parameters): 68%% and 95%% intervals, and the "
                "estimate in it (\"box\": not bounded by the data within the fit's box; \"wall\": where the "
                "likelihood becomes zero)\n");
    auto end = [](double v, bool box, bool wall) {
      char s[32];
      std::snprintf(s, sizeof s, box ? "%.4f box" : wall ? "%.4f wall" : "%.4f", v);
      return std::string(s);
    };
    for (std::size_t j = 0; j < r.profile.size() && j < g.parameters.size(); ++j) {
      const auto& p = r.profile[j];
      std::printf("%-10s 68%% [%s, %s]  95%% [%s, %s]  estimate at %+.2f sigma\n", g.parameters[j].name.c_str(),
                  end(p.sigma68.lower, p.sigma68.lower_at_box, p.sigma68.lower_at_wall).c_str(),
                  end(p.sigma68.upper, p.sigma68.upper_at_box, p.sigma68.upper_at_wall).c_str(),
                  end(p.sigma95.lower, p.sigma95.lower_at_box, p.sigma95.lower_at_wall).c_str(),
                  end(p.sigma95.upper, p.sigma95.upper_at_box, p.sigma95.upper_at_wall).c_str(), p.estimate_sigmas);
      if (p.lowest < -1e-6)
        std::printf("%-10s its profile found -ln L %.3g below the fit's minimum: that minimum is not the global one\n",
                    g.parameters[j].name.c_str(), -p.lowest);
    }
  }
  if (g.skipped_steps > 0)
    std::printf("%ld of the %ld steps were skipped (non-finite gradients): a shorter training than planned\n",
                g.skipped_steps, g.steps);
  std::printf("%.3f s per step, %.3g events/s over all ranks\n", g.seconds_per_step, g.events_per_second);
}

}  // namespace sagips::app
