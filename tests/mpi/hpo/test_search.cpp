// The search over MPI with real ranks (5: a coordinator and two blocks of two): every trial runs on
// its own block (its ranks agree on the point and the score through the block's communicator), the
// table ranks the best near the objective's minimum, successive halving continued the best trials, a
// trial that throws is recorded as failed and the search goes on, a search stopped and resumed keeps
// what finished, and a world that does not split into blocks is refused on every rank.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sagips/hpo.hpp>
#include <string>

#include "mpi_test.hpp"

namespace hpo = sagips::hpo;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
fs::path shared_tmp(const std::string& name) {
  char buf[160] = {0};
  if (sagips::testing::rank() == 0) {
    const fs::path p = fs::temp_directory_path() / ("sagips-hpo-" + name + "-" + std::to_string(getpid()));
    fs::remove_all(p);
    std::snprintf(buf, sizeof buf, "%s", p.c_str());
  }
  MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, sagips::testing::comm());
  return buf;
}

const hpo::Space space = hpo::Space::from_json(json::parse(R"({"a": {"real": [0, 1]}, "b": {"log": [0.01, 1]}})"));

// A trial: each rank of the block adds its share of the bowl (a - 0.3)^2 + (log10 b + 1)^2 (so the
// block's ranks must agree on the point), longer budgets shave off a little more; a > 0.95 throws on
// every rank of the block, as a failed training run would. Each run appends a line to the trial's folder.
hpo::Outcome bowl(MPI_Comm block, const hpo::Job& job) {
  int rank = 0, size = 1;
  MPI_Comm_rank(block, &rank);
  MPI_Comm_size(block, &size);
  const double a = job.point["a"], b = job.point["b"];
  if (a > 0.95) throw sagips::CollectiveError("the trial diverged at a = " + std::to_string(a));
  const double full = (a - 0.3) * (a - 0.3) + (std::log10(b) + 1) * (std::log10(b) + 1);
  double share = full / size, sum = 0;
  MPI_Allreduce(&share, &sum, 1, MPI_DOUBLE, MPI_SUM, block);
  if (rank == 0) std::ofstream(job.folder + "/runs", std::ios::app) << job.rung << "\n";
  return {sum * (1 + 1.0 / static_cast<double>(job.budget)), json{{"ranks", size}}};
}

hpo::Settings settings(const fs::path& folder, int trials) {
  hpo::Settings s;
  s.trials = trials;
  s.initial_random = 4;
  s.min_budget = 1;
  s.max_budget = 9;
  s.eta = 3;
  s.folder = folder.string();
  s.initial_points = json::array({json{{"a", 0.99}, {"b", 0.5}}});  // the first trial fails
  return s;
}
}  // namespace

TEST_CASE("a search over blocks of ranks: every trial scored, failures recorded, halving, resume") {
  if (sagips::testing::size() != 5) return;  // (a coordinator and two blocks of two)
  const auto folder = shared_tmp("search");
  const json first = hpo::search(sagips::testing::comm(), space, settings(folder, 8), 2, bowl);
  auto s = settings(folder, 14);
  s.resume = true;
  const json summary = hpo::search(sagips::testing::comm(), space, s, 2, bowl);
  if (sagips::testing::rank() != 0) {
    CHECK(summary.is_null());
    return;
  }
  REQUIRE(first["trials"].size() == 8);
  REQUIRE(summary["trials"].size() == 14);
  int failed = 0, promoted = 0;
  for (const auto& t : summary["trials"]) {
    const auto& r0 = t["results"][0];
    if (r0["status"] == "failed") {
      ++failed;
      CHECK(std::string(r0["message"]).find("diverged") != std::string::npos);
      continue;
    }
    CHECK(r0["details"]["ranks"] == 2);
    if (t["results"].size() > 1) ++promoted;
  }
  CHECK(failed >= 1);
  CHECK(promoted >= 2);
  // The resumed search kept the first eight trials' rung-0 results: nothing ran twice at rung 0.
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(first["trials"][i]["results"][0] == summary["trials"][i]["results"][0]);
    std::ifstream runs(folder / ("trial-" + std::to_string(i)) / "runs");
    std::string line;
    int zeros = 0;
    while (std::getline(runs, line)) zeros += line == "0";
    CHECK(zeros == (i == 0 ? 0 : 1));  // (the failing trial throws before writing)
  }
  // The table's best is a promoted trial near the minimum; results.json holds the same.
  const auto best = summary["trials"][summary["ranking"][0].get<std::size_t>()];
  CHECK(best["results"].size() >= 2);
  CHECK(best["results"].back()["score"].get<double>() < 0.1);
  std::ifstream in(folder / "results.json");
  CHECK(json::parse(in)["ranking"] == summary["ranking"]);
}

TEST_CASE("a world that is not one coordinator and whole blocks is refused on every rank") {
  const auto folder = shared_tmp("refused");
  const int size = sagips::testing::size();
  const int block = size == 1 ? 1 : size;  // 1 rank: no block at all; else blocks of `size` do not fit
  CHECK_THROWS_WITH_AS(hpo::search(sagips::testing::comm(), space, settings(folder, 2), block, bowl),
                       doctest::Contains("do not make one coordinator and blocks of"), sagips::CollectiveError);
}

TEST_CASE("bad settings are refused by the coordinator, and every rank hears why") {
  if (sagips::testing::size() < 2) return;
  auto s = settings(shared_tmp("bad"), 2);
  s.method = "bayes";
  CHECK_THROWS_WITH_AS(hpo::search(sagips::testing::comm(), space, s, 1, bowl), doctest::Contains("the method 'bayes'"),
                       sagips::CollectiveError);
}
