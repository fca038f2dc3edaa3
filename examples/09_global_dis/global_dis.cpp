// Example 9: one fit of several data sets. The valence densities of example 7, seen by three DIS data
// sets at once: a proton target at sqrt(s) = 140 and 63 GeV and a deuteron target at 89 GeV (per
// nucleon). The four valence parameters are shared; the deuteron adds its own nuisance, h_D, a power
// correction in 1/Q^2 (sagips/sim/dis.hpp). The ranks of each model are split into one group per
// data set: each group runs its data set's pipeline on its data set's events with its own
// discriminator, and one generator, its gradients exchanged over all groups, proposes all five
// parameters (sim::Joint, train::DataSetPlan; docs/data-sets.md).
//
//   mpirun -np 3 global_dis                       # one rank per data set, 1 model
//   mpirun -np 6 global_dis --models 2            # two models (their spread is the uncertainty)
//   mpirun -np 2 global_dis --ranks 2,0,0         # the 140 GeV proton data alone (the others not in the run)
//   mpirun -np 4 global_dis --ranks 2,1,1         # sizes of your choice (default: by each data set's events)
//   mpirun -np 3 global_dis --per-label           # each data set its own generator, at once (labels: nothing
//                                                 # crosses them; each alone, for the comparison)
//
// Beside the GAN, the maximum-likelihood fits of the same events (before the detector, which the fit
// does not fold in): each data set alone on its own parameters, and all data sets of the run together.
// The table shows what a global fit is for: a proton target sees 4 u_v + d_v and fixes d_v's shape
// poorly; the deuteron sees u_v + d_v; together they pin both.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sagips/sagips.hpp>
#include <sstream>

namespace sim = sagips::sim;
namespace train = sagips::train;
using Joint = sim::Joint<4, sim::Dis<sim::Proton, 140>, sim::Dis<sim::Proton, 63>, sim::Dis<sim::Deuteron, 89>>;
constexpr int P = Joint::num_params;
const char* labels[] = {"proton 140 GeV", "proton 63 GeV", "deuteron 89 GeV"};

template <int K>
using Pipeline = sim::Pipeline<Joint::DataSet<K>, sim::InverseCdf2D<64>, sim::GaussianSmearing>;
template <int K>
using RealPipeline = sim::Pipeline<Joint::DataSet<K>, sim::InverseCdf2D<256>, sim::GaussianSmearing>;
template <int K>
using Trainer = sagips::Trainer<Pipeline<K>, train::DefaultGenerator<Pipeline<K>>, train::DefaultDiscriminator<Pipeline<K>>,
                                sagips::loss::Builtin, sagips::exchange::Builtin>;

struct Settings {
  train::TrainerConfig cfg;
  sagips::exchange::Config xcfg;
  std::vector<int> ranks;
  std::vector<double> weights;
  long events = 100000;
  double resolution = 0.02;
  bool fit = true;
  bool per_label = false;
};

// Data set K's real events: generated at the truth on the fine grid and smeared (truth_level: the same
// events before the detector), each data set from its own seed.
template <int K>
sagips::HostMatrix<float> real_events(const Settings& s, bool truth_level) {
  RealPipeline<K> pipe(Joint::DataSet<K>{}, {}, sim::GaussianSmearing{s.resolution});
  const std::uint64_t seed = s.cfg.data_seed + 7919ull * K;
  if (!truth_level) return sim::generate_events(pipe, Joint::truth(), s.events, seed);
  auto bare = pipe.truth_level();
  return sim::generate_events(bare, Joint::truth(), s.events, seed);
}

std::string fmt(double v, std::optional<double> s) {
  char b[64];
  if (s) std::snprintf(b, sizeof b, "%.4f +- %.4f", v, *s);
  else std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

template <int K>
train::TrainingResult train_data_set(MPI_Comm world, const Settings& s, const train::DataSetPlan& plan) {
  const auto data = real_events<K>(s, false);
  Trainer<K> t(world, s.cfg, s.xcfg, Pipeline<K>(Joint::DataSet<K>{}, {}, sim::GaussianSmearing{s.resolution}), data,
               plan.member());
  return t.run();
}

train::TrainingResult train_plan(MPI_Comm comm, const Settings& s, const train::DataSetPlan& plan) {
  switch (plan.index()) {
    case 0: return train_data_set<0>(comm, s, plan);
    case 1: return train_data_set<1>(comm, s, plan);
    default: return train_data_set<2>(comm, s, plan);
  }
}

// --per-label: the ranks split into three labels, one per data set, each training its own generator on
// its data set alone (the plan of a label's communicator gives the others no ranks), in its own folder.
int run_per_label(const sagips::Environment& env, Settings s) {
  const auto report = train::per_label(env.comm(), 3, [&](MPI_Comm comm, int label) {
    Settings mine = s;
    mine.cfg.output_dir = s.cfg.output_dir + "/label-" + std::to_string(label);
    int size = 1;
    MPI_Comm_size(comm, &size);
    std::vector<int> ranks(3, 0);
    ranks[label] = mine.cfg.models == 0 ? 1 : size / std::max(1, mine.cfg.models);
    return train_plan(comm, mine, train::DataSetPlan(comm, mine.cfg.models, ranks));
  });
  if (!env.is_root()) return 0;
  std::printf("\n%-10s %8s", "parameter", "truth");
  for (const char* l : labels) std::printf(" %22s", l);
  std::printf("\n");
  for (int j = 0; j < P; ++j) {
    std::printf("%-10s %8.3f", Joint::names()[j], Joint::truth()[j]);
    for (int k = 0; k < 3; ++k) {
      const auto& p = report[k]["parameters"];
      const bool seen = j < 4 || k == 2;
      std::optional<double> sigma;
      if (!p["sigma"][j].is_null()) sigma = p["sigma"][j].get<double>();
      std::printf(" %22s", seen ? fmt(p["estimate"][j], sigma).c_str() : "(not seen)");
    }
    std::printf("\n");
  }
  const nlohmann::json summary = {{"labels", report}, {"label_names", std::vector<std::string>(labels, labels + 3)}};
  train::write_text_atomically(s.cfg.output_dir + "/labels.json", summary.dump(2) + "\n");
  std::printf("each label's result and loss history: %s/labels.json\n", s.cfg.output_dir.c_str());
  return 0;
}

// The unbinned likelihood of data set K's truth-level events inside its cuts, this rank's share of them.
template <int K, class Theory>
sagips::fit::UnbinnedNll<Theory> likelihood(const sagips::Environment& env, const Settings& s, Theory theory) {
  const auto events = real_events<K>(s, true);
  const std::vector<double> mine = sagips::app::events_for_fit<Theory, 2>(events, env.rank(), env.size());
  const auto box = Theory::domain();
  return sagips::fit::UnbinnedNll<Theory>(theory, mine, box.lower, box.upper, env.comm());
}

template <class Nll, std::size_t N>
sagips::fit::FitResult fit(const Nll& nll, const std::array<double, N>& lo, const std::array<double, N>& hi) {
  std::array<double, N> start{};
  for (std::size_t j = 0; j < N; ++j) start[j] = 0.5 * (lo[j] + hi[j]);
  return sagips::fit::minimize(nll, start, lo, hi);
}

nlohmann::json fit_json(const sagips::fit::FitResult& r, const std::vector<std::string>& names) {
  return {{"names", names}, {"value", r.value}, {"sigma", r.sigma}, {"status", r.status}, {"events", r.events}};
}

// Each data set of the run alone (its own theory, its own parameters), then all of them together when
// every data set is in the run.
nlohmann::json maximum_likelihood(const sagips::Environment& env, const Settings& s, const std::vector<int>& ranks) {
  nlohmann::json out;
  out["alone"] = nlohmann::json::array();
  auto alone = [&](auto k, auto theory) {
    using Th = decltype(theory);
    if (ranks[k] == 0) return out["alone"].push_back(nullptr);
    const auto nll = likelihood<decltype(k)::value>(env, s, theory);
    out["alone"].push_back(fit_json(fit(nll, Th::lower_bounds(), Th::upper_bounds()), sim::parameter_names<Th>()));
  };
  alone(std::integral_constant<int, 0>{}, Joint::theory_at<0>{});
  alone(std::integral_constant<int, 1>{}, Joint::theory_at<1>{});
  alone(std::integral_constant<int, 2>{}, Joint::theory_at<2>{});
  if (ranks[0] > 0 && ranks[1] > 0 && ranks[2] > 0) {
    const auto a = likelihood<0>(env, s, Joint::DataSet<0>{});
    const auto b = likelihood<1>(env, s, Joint::DataSet<1>{});
    const auto c = likelihood<2>(env, s, Joint::DataSet<2>{});
    out["joint"] = fit_json(fit(sagips::fit::JointNll(a, b, c), Joint::lower_bounds(), Joint::upper_bounds()),
                            sim::parameter_names<Joint::DataSet<0>>());
  }
  return out;
}


int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"sagips example 9: the valence densities from proton and deuteron DIS data sets in one fit"};
    Settings s;
    s.cfg.steps = 2500;
    s.cfg.output_dir = "global-dis-out";
    sagips::options::add_options(app, s.cfg);
    sagips::options::add_options(app, s.xcfg);
    app.add_option("--ranks", s.ranks, "ranks per data set in each model, e.g. 2,1,1 (0: not in this run; default: by "
                                       "each data set's events, at least one each)")
        ->delimiter(',');
    app.add_option("--weights", s.weights, "each data set's share of the loss (default: its number of events)")
        ->delimiter(',');
    app.add_option("--real-events", s.events, "real events per data set")->capture_default_str();
    app.add_option("--resolution", s.resolution, "the detectors' resolution in ln x and ln Q^2")->capture_default_str();
    app.add_flag("--fit,!--no-fit", s.fit, "the maximum-likelihood fits beside the GAN")->capture_default_str();
    app.add_flag("--per-label", s.per_label, "each data set its own generator, at once (the ranks in three equal labels)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return env.is_root() ? app.exit(e) : e.get_exit_code();
    }
    sagips::watchdog::set_timeout(s.xcfg.timeout_seconds);
    if (s.per_label) return run_per_label(env, s);
    const int per_model = s.cfg.models == 0 ? 1 : std::max(1, env.size() / s.cfg.models);
    if (s.ranks.empty()) {
      sagips::collectively(env.comm(), [&] { s.ranks = train::ranks_by_cost(per_model, {1.0, 1.0, 1.0}); },
                           "the data sets' sizes");
    }
    sagips::check_all(env.comm(), s.ranks.size() == 3 ? "" : "--ranks: give three sizes (proton 140, proton 63, deuteron 89)",
                      "the command line");
    const train::DataSetPlan plan(env.comm(), s.cfg.models, s.ranks, s.weights);
    if (env.is_root()) {
      std::printf("global_dis: %d rank(s), %d rank(s) per model:", env.size(), per_model);
      for (int k = 0; k < 3; ++k) std::printf(" %s %d;", labels[k], s.ranks[k]);
      std::printf(" %ld real events each\n", s.events);
    }
    const train::TrainingResult r = train_plan(env.comm(), s, plan);
    nlohmann::json summary = r.to_json();
    summary["data_sets"] = {{"labels", std::vector<std::string>(labels, labels + 3)}, {"ranks", s.ranks}, {"events", s.events}};
    if (s.fit) summary["mle"] = maximum_likelihood(env, s, s.ranks);
    if (env.is_root()) {
      const bool deuteron = s.ranks[2] > 0;
      const std::string trained = s.cfg.objective == sagips::objective::gan ? "GAN" : "sagips (" + s.cfg.objective + ")";
      std::printf("\n%-10s %8s %22s", "parameter", "truth", trained.c_str());
      if (s.fit) std::printf(" %22s %22s", "MLE, all of the run", "MLE, best data set alone");
      std::printf("\n");
      for (int j = 0; j < P; ++j) {
        const auto& p = r.parameters[j];
        std::printf("%-10s %8.3f %22s", p.name.c_str(), Joint::truth()[j],
                    j == 4 && !deuteron ? "(no data set sees it)" : fmt(p.estimate, p.sigma).c_str());
        if (s.fit) {
          const auto& m = summary["mle"];
          std::printf(" %22s", m.contains("joint") ? fmt(m["joint"]["value"][j], m["joint"]["sigma"][j].get<double>()).c_str()
                                                   : "(needs all three)");
          double best = 0;
          int at = -1;
          for (int k = 0; k < 3; ++k) {
            const auto& a = m["alone"][k];
            if (a.is_null() || j >= static_cast<int>(a["value"].size())) continue;
            const double sg = a["sigma"][j];
            if (sg > 0 && (at < 0 || sg < best)) best = sg, at = k;
          }
          if (at >= 0) std::printf(" %22s  (%s)", fmt(m["alone"][at]["value"][j], best).c_str(), labels[at]);
        }
        std::printf("\n");
      }
      train::write_text_atomically(s.cfg.output_dir + "/summary.json", summary.dump(2) + "\n");
      std::printf("summary: %s/summary.json\n", s.cfg.output_dir.c_str());
    }
    return 0;
  });
}
