#pragma once
// Every knob of the gradient-exchange strategies, with the defaults of the seed works, and its
// command-line flags. One struct for all strategies: each reads the fields it uses.

#include <CLI/CLI.hpp>
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace sagips::exchange {

enum class Mode { weak, strong, leader_broadcast };
enum class PsAlgorithm { downpour, easgd };

struct Config {
  // Grouped rings (AsyncRing) and Ensemble groups.
  int group_size = 0;       // 0: the ranks sharing a node, at most 4 (the GPUs of a Polaris node); all ranks when fewer
  int outer_period = 2;     // k: every k-th step is an outer step
  Mode mode = Mode::weak;
  bool rma = false;         // inner averaging through one MPI window per group
  bool rma_barrier = true;  // without it a rank may read a neighbour's previous-step gradient
  std::size_t chunk_threshold = 65536;  // elements: pass-along ring below, chunked ring at or above
  // Every strategy.
  double timeout_seconds = 300;  // stall watchdog: abort naming the missing ranks after this long
  // Parameter server.
  int masters = 1;          // rank 0, or ranks 0..M-1 with sub-masters over round-robin worker groups
  int sync_every = 1;       // workers pull the master's weights (Downpour) / do the elastic step (EASGD)
  PsAlgorithm algorithm = PsAlgorithm::downpour;
  double easgd_alpha = 0.9;
};

inline const char* to_string(Mode m) {
  return m == Mode::weak ? "weak" : (m == Mode::strong ? "strong" : "leader-broadcast");
}
inline const char* to_string(PsAlgorithm a) { return a == PsAlgorithm::downpour ? "downpour" : "easgd"; }

inline void to_json(nlohmann::json& j, const Config& c) {
  j = nlohmann::json{{"group_size", c.group_size},   {"outer_period", c.outer_period},
                     {"mode", to_string(c.mode)},     {"rma", c.rma},
                     {"rma_barrier", c.rma_barrier},  {"chunk_threshold", c.chunk_threshold},
                     {"timeout_seconds", c.timeout_seconds}, {"masters", c.masters},
                     {"sync_every", c.sync_every},    {"algorithm", to_string(c.algorithm)},
                     {"easgd_alpha", c.easgd_alpha}};
}

inline void add_options(CLI::App& app, Config& c) {
  auto* g = "Gradient exchange";
  app.add_option("--group-size", c.group_size,
                 "ranks per group of the grouped ring and of an ensemble member (0: the ranks of a node, at most 4)")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(g);
  app.add_option("--outer-period", c.outer_period, "every k-th step the group leaders (or all ranks) average")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(g);
  app.add_option("--mode", c.mode, "outer steps: weak (leaders only), strong (all ranks) or leader-broadcast")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Mode>{{"weak", Mode::weak},
                                                                     {"strong", Mode::strong},
                                                                     {"leader-broadcast", Mode::leader_broadcast}},
                                          CLI::ignore_case))
      ->default_str("weak")->group(g);
  app.add_flag("--rma,!--no-rma", c.rma, "average inside the groups through MPI windows (one-sided)")->group(g);
  app.add_flag("--rma-barrier,!--no-rma-barrier", c.rma_barrier,
               "barrier around the one-sided reads (without: possibly a neighbour's previous-step gradient)")
      ->capture_default_str()->group(g);
  app.add_option("--chunk-threshold", c.chunk_threshold,
                 "buffers of at least this many elements use the chunked ring, smaller ones the pass-along ring")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(g);
  app.add_option("--exchange-timeout", c.timeout_seconds, "seconds an exchange may stall before the job is aborted")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(g);
  app.add_option("--masters", c.masters, "parameter-server masters (ranks 0..M-1)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(g);
  app.add_option("--sync-every", c.sync_every, "parameter server: steps between weight pulls / elastic steps")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(g);
  app.add_option("--ps-algorithm", c.algorithm, "parameter server: downpour or easgd")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, PsAlgorithm>{{"downpour", PsAlgorithm::downpour}, {"easgd", PsAlgorithm::easgd}},
          CLI::ignore_case))
      ->default_str("downpour")->group(g);
  app.add_option("--easgd-alpha", c.easgd_alpha, "EASGD's elastic coefficient")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str()->group(g);
}

}  // namespace sagips::exchange
