// Label-partitioned models (train/labels.hpp), on 4 ranks: two labels of two ranks, each training the
// proxy on its own data (events at two different truths). Each label's result is bit for bit what the
// same run on its ranks alone gives (nothing crosses labels), every rank receives both labels' results
// and loss histories, a label whose run fails fails the job on every rank naming the label, and a
// label count that does not divide the ranks is refused.
#include <doctest/doctest.h>

#include <cmath>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "trainer_support.hpp"

using namespace trainer_support;
namespace train = sagips::train;

namespace {
std::array<double, 5> truth_of(int label) {
  auto t = sim::Proxy2D::truth();
  if (label == 1) t[0] *= 1.1, t[2] *= 0.9;
  return t;
}

sagips::HostMatrix<const float> events_of(int label) {
  Pipe pipe;
  return sim::generate_events(pipe, truth_of(label), 4000, 20 + label);
}

train::TrainingResult run_label(MPI_Comm comm, int label, const fs::path& out, bool poison = false) {
  auto c = small(out / ("label-" + std::to_string(label)));
  c.steps = 12;
  c.checkpoint_every = 0;
  sagips::HostMatrix<float> data("data", 4000, 2);
  Kokkos::deep_copy(data, events_of(label));
  if (poison) data(17, 1) = std::nanf("");
  sagips::Trainer<Pipe, Gen, Disc, sagips::loss::LeastSquares, ex::Allreduce> t(
      comm, c, ex::Config{}, Pipe(), data, sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds());
  return t.run();
}
}  // namespace

TEST_CASE("labels: each label trains alone, and every rank gets every label's result and history") {
  REQUIRE(sagips::testing::size() == 4);
  const int rank = sagips::testing::rank();
  const auto out = shared_tmp("labels");
  const auto report = train::per_label(sagips::testing::comm(), 2, [&](MPI_Comm comm, int label) {
    CHECK(label == rank / 2);
    return run_label(comm, label, out / "together");
  });
  REQUIRE(report.size() == 2);
  // The same runs, each on its two ranks alone.
  MPI_Comm alone = MPI_COMM_NULL;
  MPI_Comm_split(sagips::testing::comm(), rank / 2, rank, &alone);
  const auto own = run_label(alone, rank / 2, out / "alone").to_json();
  MPI_Comm_free(&alone);
  const auto& mine = report[rank / 2];
  CHECK(mine["label"] == rank / 2);
  CHECK(mine["parameters"]["estimate"] == own["parameters"]["estimate"]);
  CHECK(mine["member_estimates"] == own["member_estimates"]);
  // Both labels' reports, with their loss histories (12 steps, a row every 4).
  for (int k = 0; k < 2; ++k) {
    CAPTURE(k);
    CHECK(report[k]["label"] == k);
    CHECK(report[k]["history"]["step"] == nlohmann::json::array({4, 8, 12}));
    CHECK(report[k]["history"]["loss_g"].size() == 3);
    CHECK(report[k]["ranks"] == 2);
  }
  // The labels learned different things: label 1's truth has a larger first parameter.
  CHECK(report[1]["parameters"]["estimate"][0].get<double>() != report[0]["parameters"]["estimate"][0].get<double>());
}

TEST_CASE("labels: a failing label fails every rank, naming it; a count that does not divide is refused") {
  const auto out = shared_tmp("labels-bad");
  std::string what;
  try {
    train::per_label(sagips::testing::comm(), 2,
                     [&](MPI_Comm comm, int label) { return run_label(comm, label, out, label == 1); });
  } catch (const sagips::CollectiveError& e) {
    what = e.what();
  }
  CAPTURE(what);
  CHECK(contains(what, "label 1: "));
  CHECK(!contains(what, "label 0: "));
  what.clear();
  try {
    train::per_label(sagips::testing::comm(), 3, [&](MPI_Comm comm, int label) { return run_label(comm, label, out); });
  } catch (const sagips::CollectiveError& e) {
    what = e.what();
  }
  CHECK(contains(what, "3 labels do not divide the 4 ranks"));
}
