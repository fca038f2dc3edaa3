#pragma once
// Every knob of the gradient-exchange strategies, with the defaults of the seed works, one row per
// option (for_each_option, options/option.hpp) from which the command line, config files,
// summary.json, validate() and the resume fingerprint are derived. One struct for all strategies:
// each declares the options it reads as a set (Reads, its Traits' `options`), so that summary.json
// records those and an option given to a strategy that does not read it is refused by name.
// Neither CLI11 nor nlohmann/json is needed here.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sagips/options/option.hpp"

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

// The options a strategy reads, as a set: a strategy's Traits say e.g.
//   static constexpr exchange::Reads options = exchange::Reads::group_size | exchange::Reads::mode;
// The strategy's name and the stall timeout are read by every strategy and are not in the set.
enum class Reads : std::uint32_t {
  none = 0,
  group_size = 1u << 0,
  outer_period = 1u << 1,
  mode = 1u << 2,
  rma = 1u << 3,
  rma_barrier = 1u << 4,
  chunk_threshold = 1u << 5,
  masters = 1u << 6,
  sync_every = 1u << 7,
  ps_algorithm = 1u << 8,
  easgd_alpha = 1u << 9,
  compression = 1u << 10,
};
constexpr Reads operator|(Reads a, Reads b) {
  return static_cast<Reads>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
// Whether the set `reads` holds the option of `row` (a Config row's mark; 0: every strategy reads it).
constexpr bool holds(Reads reads, std::uint32_t row) {
  return row == 0 || (static_cast<std::uint32_t>(reads) & row) != 0;
}

template <class C, class Visit>  // C: Config, const or not
void for_each_option(C& c, Visit&& visit) {
  namespace o = options;
  const auto mark = [](Reads r) { return static_cast<std::uint32_t>(r); };
  const o::Section g{"Gradient exchange"};
  const auto at_least_one = o::at_least(1);
  visit(g.option(c.strategy, "strategy", "--strategy",
                 "gradient exchange strategy (when the program chooses it at run time)"));
  visit(g.option(c.group_size, "group_size", "--group-size",
                 "ranks per group of the grouped strategies, inside a model (0: the ranks of a node, at most 4)",
                 o::at_least(0))
            .marked(mark(Reads::group_size)));
  visit(g.option(c.outer_period, "outer_period", "--outer-period",
                 "every k-th step the group leaders (or all ranks) average", at_least_one)
            .marked(mark(Reads::outer_period)));
  visit(g.option(c.mode, "mode", "--mode", "outer steps: weak (leaders only), strong (all ranks) or leader-broadcast",
                 o::Names<Mode>{"mode", {{"weak", Mode::weak}, {"strong", Mode::strong},
                                         {"leader-broadcast", Mode::leader_broadcast}}})
            .marked(mark(Reads::mode)));
  visit(g.option(c.rma, "rma", "--rma,!--no-rma", "average inside the groups through MPI windows (one-sided)")
            .marked(mark(Reads::rma)));
  visit(g.option(c.rma_barrier, "rma_barrier", "--rma-barrier,!--no-rma-barrier",
                 "barrier around the one-sided reads (without: possibly a neighbour's previous-step gradient)")
            .marked(mark(Reads::rma_barrier)));
  visit(g.option(c.chunk_threshold, "chunk_threshold", "--chunk-threshold",
                 "buffers of at least this many elements use the chunked ring, smaller ones the pass-along ring",
                 o::at_least(std::size_t{1}))
            .marked(mark(Reads::chunk_threshold)));
  // 0: the watchdog off, waits block. Below a second a busy machine's scheduling alone looks like a stall.
  visit(g.option(c.timeout_seconds, "timeout_seconds", "--stall-timeout,--exchange-timeout",
                 "seconds any collective of the run (an exchange, a reduction, a checkpoint) may stall before the "
                 "job is aborted, naming the missing ranks (0: no watchdog, waits block)",
                 o::zero_or_at_least(1.0))
            .operational());
  visit(g.option(c.masters, "masters", "--masters", "parameter-server masters (ranks 0..M-1)", at_least_one)
            .marked(mark(Reads::masters)));
  visit(g.option(c.sync_every, "sync_every", "--sync-every",
                 "parameter server: steps between weight pulls / elastic steps", at_least_one)
            .marked(mark(Reads::sync_every)));
  visit(g.option(c.algorithm, "algorithm", "--ps-algorithm", "parameter server: downpour or easgd",
                 o::Names<PsAlgorithm>{"parameter-server algorithm",
                                       {{"downpour", PsAlgorithm::downpour}, {"easgd", PsAlgorithm::easgd}}})
            .marked(mark(Reads::ps_algorithm)));
  visit(g.option(c.easgd_alpha, "easgd_alpha", "--easgd-alpha", "EASGD's elastic coefficient", o::closed(0.0, 1.0))
            .marked(mark(Reads::easgd_alpha)));
  visit(g.option(c.compression, "compression", "--compression",
                 "gradients on the wire as none, bf16 or fp16 (16-bit floats summed in full precision, with error "
                 "feedback; the strategies whose traffic is sagips's own messages)",
                 o::Names<Compression>{"compression", {{"none", Compression::none},
                                                       {"bf16", Compression::bf16},
                                                       {"fp16", Compression::fp16}}})
            .marked(mark(Reads::compression)));
}

// The name of a value of an enumerated option (as the command line and summary.json spell it).
inline const char* to_string(Mode m) {
  return m == Mode::weak ? "weak" : (m == Mode::strong ? "strong" : "leader-broadcast");
}
inline const char* to_string(PsAlgorithm a) { return a == PsAlgorithm::downpour ? "downpour" : "easgd"; }
inline const char* to_string(Compression c) {
  return c == Compression::none ? "none" : (c == Compression::bf16 ? "bf16" : "fp16");
}

// The options in the set `reads`, as flags without "--" ("group-size outer-period"; "" for none).
inline std::string flags_read(Reads reads) {
  std::string out;
  const Config c{};
  for_each_option(c, [&](const auto& o) {
    if (o.mark != 0 && holds(reads, o.mark)) out += (out.empty() ? "" : " ") + options::first_flag(o.flags).substr(2);
  });
  return out;
}

// Keeps summary.json's exchange record to the options a strategy reads: options::to_json(c, read_by(r)).
inline auto read_by(Reads reads) {
  return [reads](const auto& o) { return holds(reads, o.mark); };
}

namespace detail {
// Independent models were once a strategy, "ensemble"; they are the trainer's --models now, beside
// any strategy. A configuration that still names it hears where it went.
inline const char* const old_ensemble_hint =
    "'ensemble' is no longer a strategy: independent models are --models N (the ranks split into N equal "
    "models, any --strategy inside each; e.g. --models 4 --strategy allreduce)";
}  // namespace detail

// The first problem with `c` (empty: none). Names are the keys (as in summary.json's "exchange").
inline std::string validate(const Config& c) {
  if (std::string problem = options::first_problem(c, "exchange "); !problem.empty()) return problem;
  if (c.strategy.empty()) return "exchange strategy: empty";
  if (c.strategy == "ensemble") return std::string("exchange strategy: ") + detail::old_ensemble_hint;
  return "";
}

}  // namespace sagips::exchange
