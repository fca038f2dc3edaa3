#pragma once
// Every knob of the gradient-exchange strategies, with the defaults of the seed works, and its
// command-line flags. One struct for all strategies: each reads the fields it uses. validate() says
// what is wrong with one; the command line and the config file refuse the same values at parse time.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sagips/core/cli.hpp"
#include "sagips/core/config_file.hpp"

namespace sagips::exchange {

enum class Mode { weak, strong, leader_broadcast };
enum class PsAlgorithm { downpour, easgd };
// How the generator's gradients travel: as they are, or as 16-bit floats summed in full precision
// (exchange/compression.hpp; docs/exchange.md, "Wire compression").
enum class Compression { none, bf16, fp16 };

struct Config {
  // Which strategy, when the trainer's exchange is a run-time choice (exchange::Builtin, --strategy).
  std::string strategy = "async-ring";
  // Grouped strategies (AsyncRing, AsyncDoubling, Hierarchical).
  int group_size = 0;       // 0: the ranks sharing a node, at most 4 (the GPUs of a Polaris node); all of a model's ranks when fewer
  int outer_period = 2;     // k: every k-th step is an outer step
  Mode mode = Mode::weak;
  bool rma = false;         // inner averaging through one MPI window per group
  bool rma_barrier = true;  // without it a rank may read a neighbour's previous-step gradient
  std::size_t chunk_threshold = 65536;  // elements: pass-along ring below, chunked ring at or above
  // Every collective of a run.
  double timeout_seconds = 300;  // stall watchdog: abort naming the missing ranks after this long (0: off; else >= 1)
  // Parameter server.
  int masters = 1;          // rank 0, or ranks 0..M-1 with sub-masters over round-robin worker groups
  int sync_every = 1;       // workers pull the master's weights (Downpour) / do the elastic step (EASGD)
  PsAlgorithm algorithm = PsAlgorithm::downpour;
  double easgd_alpha = 0.9;
  // Every strategy that declares `compressible` (its traffic is sagips's own two-sided messages).
  Compression compression = Compression::none;
  // Send through a host staging buffer even where MPI could take the buffer itself (a host backend, a
  // CUDA-aware MPI): the path of a GPU run without one, so that a CPU-only test exercises its copies,
  // fences and compression. Not a command-line option; it changes no result.
  bool stage_through_host = false;
};

inline const char* to_string(Mode m) {
  return m == Mode::weak ? "weak" : (m == Mode::strong ? "strong" : "leader-broadcast");
}
inline const char* to_string(PsAlgorithm a) { return a == PsAlgorithm::downpour ? "downpour" : "easgd"; }
inline const char* to_string(Compression c) {
  return c == Compression::none ? "none" : (c == Compression::bf16 ? "bf16" : "fp16");
}

inline void to_json(nlohmann::json& j, const Config& c) {
  j = nlohmann::json{{"strategy", c.strategy},       {"group_size", c.group_size},   {"outer_period", c.outer_period},
                     {"mode", to_string(c.mode)},     {"rma", c.rma},
                     {"rma_barrier", c.rma_barrier},  {"chunk_threshold", c.chunk_threshold},
                     {"timeout_seconds", c.timeout_seconds}, {"masters", c.masters},
                     {"sync_every", c.sync_every},    {"algorithm", to_string(c.algorithm)},
                     {"easgd_alpha", c.easgd_alpha},  {"compression", to_string(c.compression)}};
}

// summary.json's record of the exchange: the strategy (by name), the watchdog's timeout, and the
// options that strategy reads (`reads`: its Traits' options, flags without "--"). A config file
// written from it then sets no option the strategy would refuse.
inline nlohmann::json to_json(const Config& c, const std::string& strategy, const std::string& reads) {
  const nlohmann::json all = c;
  nlohmann::json j = {{"strategy", strategy}, {"timeout_seconds", all["timeout_seconds"]}};
  std::size_t at = 0;
  while (at < reads.size()) {
    const std::size_t end = std::min(reads.find(' ', at), reads.size());
    std::string key = reads.substr(at, end - at) == "ps-algorithm" ? "algorithm" : reads.substr(at, end - at);
    std::replace(key.begin(), key.end(), '-', '_');
    if (all.contains(key)) j[key] = all[key];
    at = end + 1;
  }
  return j;
}

namespace detail {
// The allowed values, shared by the options and validate().
inline const cli::IntRange<int> at_least_zero = cli::at_least(0);
inline const cli::IntRange<int> at_least_one = cli::at_least(1);
inline const cli::IntRange<std::size_t> at_least_one_element = cli::at_least(std::size_t{1});
// 0: the watchdog off, waits block. Below a second a busy machine's scheduling alone looks like a stall.
inline const cli::RealRange timeout_range = cli::zero_or_at_least(1.0);
inline const cli::RealRange alpha_range = cli::closed(0.0, 1.0);

// --compression takes a format's name only (in any case), never the enum's number.
inline CLI::Validator compression_names() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string lower = text;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (Compression c : {Compression::none, Compression::bf16, Compression::fp16})
          if (lower == to_string(c)) {
            text = std::to_string(static_cast<int>(c));  // what CLI11 reads into the enum
            return "";
          }
        return cli::quote(text) + " is not a compression (choose none, bf16 or fp16)";
      },
      "none|bf16|fp16");
}

inline std::string named_problem(const char* name, const std::string& problem) {
  return problem.empty() ? "" : std::string("exchange ") + name + ": " + problem;
}

// Independent models were once a strategy, "ensemble"; they are the trainer's --models now, beside
// any strategy. A configuration that still names it hears where it went.
inline const char* const old_ensemble_hint =
    "'ensemble' is no longer a strategy: independent models are --models N (the ranks split into N equal "
    "models, any --strategy inside each; e.g. --models 4 --strategy allreduce)";
inline CLI::Validator not_the_old_ensemble() {
  return CLI::Validator([](std::string& text) -> std::string { return text == "ensemble" ? old_ensemble_hint : ""; },
                        "");
}
}  // namespace detail

// The first problem with `c` (empty: none). Names are the fields' (as in summary.json's "exchange").
inline std::string validate(const Config& c) {
  using cli::check_integer;
  namespace d = detail;
  for (const std::string& problem :
       {d::named_problem("group_size", check_integer(c.group_size, d::at_least_zero)),
        d::named_problem("outer_period", check_integer(c.outer_period, d::at_least_one)),
        d::named_problem("chunk_threshold", check_integer(c.chunk_threshold, d::at_least_one_element)),
        d::named_problem("timeout_seconds", cli::check_real(c.timeout_seconds, d::timeout_range)),
        d::named_problem("masters", check_integer(c.masters, d::at_least_one)),
        d::named_problem("sync_every", check_integer(c.sync_every, d::at_least_one)),
        d::named_problem("easgd_alpha", cli::check_real(c.easgd_alpha, d::alpha_range))})
    if (!problem.empty()) return problem;
  if (c.strategy.empty()) return "exchange strategy: empty";
  if (c.strategy == "ensemble") return std::string("exchange strategy: ") + d::old_ensemble_hint;
  if (c.mode != Mode::weak && c.mode != Mode::strong && c.mode != Mode::leader_broadcast)
    return "exchange mode: " + std::to_string(static_cast<int>(c.mode)) + " is not a Mode";
  if (c.algorithm != PsAlgorithm::downpour && c.algorithm != PsAlgorithm::easgd)
    return "exchange algorithm: " + std::to_string(static_cast<int>(c.algorithm)) + " is not a PsAlgorithm";
  if (c.compression != Compression::none && c.compression != Compression::bf16 && c.compression != Compression::fp16)
    return "exchange compression: " + std::to_string(static_cast<int>(c.compression)) + " is not a Compression";
  return "";
}

// Adds every option to a CLI11 app, each documented in --help with its default. Every value is
// checked at parse time (core/cli.hpp), and validate() runs once all are in.
inline void add_options(CLI::App& app, Config& c) {
  namespace d = detail;
  // summary.json's names for the options whose flag says it differently.
  cli::config_file(app).add_key("timeout_seconds", "exchange-timeout");
  cli::config_file(app).add_key("algorithm", "ps-algorithm");
  auto* g = "Gradient exchange";
  app.add_option("--strategy", c.strategy, "gradient exchange strategy (when the program chooses it at run time)")
      ->check(d::not_the_old_ensemble())
      ->capture_default_str()->group(g);
  app.add_option("--group-size", c.group_size,
                 "ranks per group of the grouped strategies, inside a model (0: the ranks of a node, at most 4)")
      ->transform(cli::integer(d::at_least_zero))->capture_default_str()->group(g);
  app.add_option("--outer-period", c.outer_period, "every k-th step the group leaders (or all ranks) average")
      ->transform(cli::integer(d::at_least_one))->capture_default_str()->group(g);
  app.add_option("--mode", c.mode, "outer steps: weak (leaders only), strong (all ranks) or leader-broadcast")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Mode>{{"weak", Mode::weak},
                                                                     {"strong", Mode::strong},
                                                                     {"leader-broadcast", Mode::leader_broadcast}},
                                          CLI::ignore_case))
      ->default_str("weak")->group(g);
  // No values after these flags (--no-rma=...): CLI11 reads one given to a negated name with
  // std::stoll and lets its out_of_range escape.
  app.add_flag("--rma,!--no-rma", c.rma, "average inside the groups through MPI windows (one-sided)")
      ->disable_flag_override()->group(g);
  app.add_flag("--rma-barrier,!--no-rma-barrier", c.rma_barrier,
               "barrier around the one-sided reads (without: possibly a neighbour's previous-step gradient)")
      ->disable_flag_override()->capture_default_str()->group(g);
  app.add_option("--chunk-threshold", c.chunk_threshold,
                 "buffers of at least this many elements use the chunked ring, smaller ones the pass-along ring")
      ->transform(cli::integer(d::at_least_one_element))->capture_default_str()->group(g);
  app.add_option("--stall-timeout,--exchange-timeout", c.timeout_seconds,
                 "seconds any collective of the run (an exchange, a reduction, a checkpoint) may stall before the "
                 "job is aborted, naming the missing ranks (0: no watchdog, waits block)")
      ->transform(cli::real(d::timeout_range))->capture_default_str()->group(g);
  app.add_option("--masters", c.masters, "parameter-server masters (ranks 0..M-1)")
      ->transform(cli::integer(d::at_least_one))->capture_default_str()->group(g);
  app.add_option("--sync-every", c.sync_every, "parameter server: steps between weight pulls / elastic steps")
      ->transform(cli::integer(d::at_least_one))->capture_default_str()->group(g);
  app.add_option("--ps-algorithm", c.algorithm, "parameter server: downpour or easgd")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, PsAlgorithm>{{"downpour", PsAlgorithm::downpour}, {"easgd", PsAlgorithm::easgd}},
          CLI::ignore_case))
      ->default_str("downpour")->group(g);
  app.add_option("--easgd-alpha", c.easgd_alpha, "EASGD's elastic coefficient")
      ->transform(cli::real(d::alpha_range))->capture_default_str()->group(g);
  app.add_option("--compression", c.compression,
                 "gradients on the wire as none, bf16 or fp16 (16-bit floats summed in full precision, with error "
                 "feedback; the strategies whose traffic is sagips's own messages)")
      ->transform(d::compression_names())->default_str("none")->group(g);
  cli::check_after_parse(app, "sagips-check-exchange-options", [&c] { return validate(c); });
}

}  // namespace sagips::exchange
