#pragma once
// Label-partitioned models: the ranks carved into one group per label, each group training its own
// generator and discriminator on its label's data, and nothing crossing labels but the report (the
// distributed conditional GAN of Lupo Pasini et al.). Each label's run is an ordinary trainer on the
// label's communicator, with any strategy inside; what per_label adds is the carving (equal groups of
// consecutive ranks, as models are: partition.hpp) and the report: every label's result and loss
// history (its metrics.csv, already reduced over the label's ranks), gathered to every rank.
//
//   const auto report = sagips::train::per_label(world, labels, [&](MPI_Comm comm, int label) {
//     cfg.output_dir = out + "/label-" + std::to_string(label);      // each label its own folder
//     sagips::Trainer<Pipeline> t(comm, cfg, xcfg, pipeline_of(label), events_of(label));
//     return t.run();
//   });
//   report[k]["parameters"], report[k]["history"]["loss_g"]          // label k's, on every rank
//
// A label count that does not divide the ranks is refused on every rank. An error in one label's run
// (a pipeline that refuses its parameters, a file that cannot be written) reaches every rank once all
// labels have finished or failed: the others' runs are not cut short, and their folders hold their
// results.

#include <mpi.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/runtime/watchdog.hpp"
#include "sagips/train/partition.hpp"
#include "sagips/train/result.hpp"

namespace sagips::train {

// metrics.csv as columns: {"step": [...], "loss_d": [...], ...}; empty when there is no file.
inline nlohmann::json metrics_history(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json out = nlohmann::json::object();
  std::string line, cell;
  if (!std::getline(in, line)) return out;
  std::vector<std::string> names;
  std::stringstream header(line);
  while (std::getline(header, cell, ',')) names.push_back(cell), out[cell] = nlohmann::json::array();
  while (std::getline(in, line)) {
    std::stringstream row(line);
    for (std::size_t c = 0; c < names.size() && std::getline(row, cell, ','); ++c)
      out[names[c]].push_back(cell.empty() ? nlohmann::json() : nlohmann::json(std::stod(cell)));
  }
  return out;
}

// Trains every label at once, label k on ranks [k R / L, (k + 1) R / L) of comm: train(label_comm, k)
// returns the label's result (a Trainer's run() or train()). Returns, on every rank, each label's
// result as JSON (TrainingResult::to_json) with "label" and "history" (its metrics.csv as columns).
// Collective over comm.
template <class Train>
std::vector<nlohmann::json> per_label(MPI_Comm comm, int labels, Train&& train) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::string problem;
  if (labels < 1) problem = "labels: " + std::to_string(labels) + " labels (at least one)";
  else if (size % labels != 0)
    problem = "labels: " + std::to_string(labels) + " labels do not divide the " + std::to_string(size) +
              " ranks (each label is an equal group of consecutive ranks)";
  check_all(comm, problem, "the split of the ranks into labels");
  const ModelPartition split(comm, labels);
  const int label = split.membership().index;
  std::string mine;   // the label's report, from its first rank
  std::string error;  // the label's failure (a collective one within the label included)
  try {
    const TrainingResult r = train(static_cast<MPI_Comm>(split.comm()), label);
    if (split.comm().rank() == 0) {
      nlohmann::json j = r.to_json();
      j["label"] = label;
      const auto folder = r.configuration.value("output_dir", std::string());
      j["history"] = folder.empty() ? nlohmann::json::object() : metrics_history(folder + "/metrics.csv");
      mine = j.dump();
    }
  } catch (const Error& e) {
    error = "label " + std::to_string(label) + ": " + e.what();
  }
  check_all(comm, error, "the labels' training");
  // Every label's report to every rank.
  const std::vector<std::string> all = mpi::allgather_text(mine, comm, "the labels' reports");
  std::vector<nlohmann::json> out(static_cast<std::size_t>(labels));
  for (const std::string& text : all)
    if (!text.empty()) {
      nlohmann::json j = nlohmann::json::parse(text);
      const auto k = j.at("label").get<std::size_t>();
      out[k] = std::move(j);
    }
  return out;
}

}  // namespace sagips::train
