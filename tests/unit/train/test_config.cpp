// The training and exchange options as a program sees them: argument vectors and config files
// through the real add_options and CLI::App, and validate() and resume_fingerprint() on the structs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sagips/exchange/async_ring.hpp>
#include <sagips/exchange/config.hpp>
#include <sagips/exchange/parameter_server.hpp>
#include <sagips/options/cli.hpp>
#include <sagips/options/json.hpp>
#include <sagips/train/config.hpp>
#include <sagips/train/fingerprint.hpp>
#include <limits>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include "parse_options.hpp"

namespace {

using sagips::train::TrainerConfig;
namespace ex = sagips::exchange;

struct Parsed {
  TrainerConfig cfg;
  ex::Config xcfg;
  std::string error;  // empty: accepted
};

// Parses `args` (without the program name) the way the examples do.
Parsed parse(std::vector<std::string> args) {
  Parsed p;
  p.error = sagips_test::parse_options(args, p.cfg, p.xcfg);
  return p;
}

// A config file with `text`, removed when the test ends.
struct ConfigFile {
  std::filesystem::path path;
  explicit ConfigFile(const std::string& text) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("sagips-test-config-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".toml");
    std::ofstream(path, std::ios::binary) << text;
  }
  ~ConfigFile() { std::filesystem::remove(path); }
};

Parsed parse_file(const std::string& text, std::vector<std::string> more = {}) {
  ConfigFile file(text);
  more.insert(more.begin(), {"--config", file.path.string()});
  return parse(more);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The long flags of every option whose CLI11 type name starts with `type` (FLOAT, INT, UINT).
std::vector<std::string> flags_of_type(const std::string& type) {
  TrainerConfig cfg;
  ex::Config xcfg;
  CLI::App app{"test"};
  sagips::options::add_options(app, cfg);
  sagips::options::add_options(app, xcfg);
  std::vector<std::string> flags;
  for (const CLI::Option* opt : app.get_options())
    if (!opt->get_group().empty() && opt->get_type_name().rfind(type, 0) == 0) flags.push_back(opt->get_name());
  return flags;
}

}  // namespace

TEST_CASE("train/config: the defaults are valid and parse unchanged") {
  CHECK(sagips::train::validate(TrainerConfig{}) == "");
  CHECK(ex::validate(ex::Config{}) == "");
  const Parsed p = parse({});
  REQUIRE(p.error == "");
  CHECK(nlohmann::json(p.cfg) == nlohmann::json(TrainerConfig{}));
  CHECK(nlohmann::json(p.xcfg) == nlohmann::json(ex::Config{}));
}

TEST_CASE("train/config: each network's optimizer must be one the trainer was built with, named in the refusal") {
  TrainerConfig c;
  const std::vector<std::string> losses{"least-squares"}, optimizers{"adam", "sgd"};
  CHECK(sagips::train::validate(c, losses, optimizers) == "");
  c.discriminator_optimizer = "sgd";
  CHECK(sagips::train::validate(c, losses, optimizers) == "");
  c.generator_optimizer = "rmsprop";
  CHECK(sagips::train::validate(c, losses, optimizers) ==
        "generator_optimizer: unknown optimizer 'rmsprop' (choose adam, sgd)");
  c.generator_optimizer = "adam";
  c.discriminator_optimizer = "Adam";  // names are exact (App's command line accepts any case and normalises)
  CHECK(sagips::train::validate(c, losses, optimizers) ==
        "discriminator_optimizer: unknown optimizer 'Adam' (choose adam, sgd)");
  const Parsed p = parse({"--generator-optimizer", "sgd", "--momentum", "0.5"});
  REQUIRE(p.error == "");
  CHECK(p.cfg.generator_optimizer == "sgd");
  CHECK(p.cfg.momentum == 0.5);
  CHECK(nlohmann::json(p.cfg)["generator_optimizer"] == "sgd");
}

TEST_CASE("train/config: every floating option refuses nan and inf and says its bounds readably") {
  const auto flags = flags_of_type("FLOAT");
  CHECK(flags.size() == 14);  // 12 training, 2 exchange
  for (const auto& flag : flags)
    for (const char* bad : {"nan", "NaN", "inf", "-inf", "infinity", "1e999"}) {
      const Parsed p = parse({flag, bad});
      CAPTURE(flag);
      CAPTURE(bad);
      CHECK(contains(p.error, flag + ":"));
      CHECK(contains(p.error, "is not a finite number"));
    }
  for (const auto& [flag, bad, bound] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"--lr-generator", "0", "must be > 0"},
           {"--lr-discriminator", "-1e-3", "must be > 0"},
           {"--lr-final", "1.5", "must be in [0, 1]"},
           {"--beta1", "1", "must be in [0, 1)"},
           {"--beta2", "-0.1", "must be in [0, 1)"},
           {"--momentum", "1", "must be in [0, 1)"},
           {"--start-spread", "1", "must be in [0, 1)"},
           {"--shard-fraction", "2", "must be in [0, 1]"},
           {"--stall-timeout", "-1", "must be 0 or >= 1"},
           {"--max-skipped", "1.5", "must be in [0, 1]"},
           {"--easgd-alpha", "1.01", "must be in [0, 1]"}}) {
    const Parsed p = parse({flag, bad});
    CAPTURE(p.error);
    CHECK(contains(p.error, flag + ": " + bad + " is out of range: " + bound));
    CHECK(p.error.size() < 80);  // no 309-digit DBL_MAX
  }
  CHECK(contains(parse({"--lr-generator", "fast"}).error, "--lr-generator: 'fast' is not a number"));
  CHECK(contains(parse({"--lr-generator", "0.1x"}).error, "is not a number"));
  const Parsed ok = parse({"--lr-generator", "1e-3", "--lr-final", "0", "--beta1", "0.9", "--exchange-timeout", "1e6"});  // the old name still works
  REQUIRE(ok.error == "");
  CHECK(ok.cfg.lr_generator == 1e-3);
  CHECK(ok.cfg.lr_final == 0);
  CHECK(ok.cfg.beta1 == 0.9);
  CHECK(ok.xcfg.timeout_seconds == 1e6);
}

TEST_CASE("train/config: integer options take whole decimal numbers in their range, never clamped") {
  const auto flags = flags_of_type("INT"), uflags = flags_of_type("UINT");
  CHECK(flags.size() + uflags.size() == 19);  // 14 training, 5 exchange
  for (const auto& list : {flags, uflags})
    for (const auto& flag : list) {
      CAPTURE(flag);
      CHECK(contains(parse({flag, "99999999999999999999"}).error, flag + ": '99999999999999999999' is out of range"));
      for (const char* bad : {"1.5", "1e3", "0x10", " 5", "12abc", "--1"})
        CHECK(contains(parse({flag + "=" + bad}).error, "is not a whole number"));
    }
  Parsed p = parse({"--steps", "99999999999999999999"});
  CHECK(contains(p.error, "--steps: '99999999999999999999' is out of range: must be a whole number in [1, 9223372036854775807]"));
  p = parse({"--seed", "-1"});
  CHECK(contains(p.error, "--seed: '-1' is out of range: must be a whole number in [0, 18446744073709551615]"));
  p = parse({"--param-samples", "2147483648"});
  CHECK(contains(p.error, "--param-samples: '2147483648' is out of range: must be a whole number in [1, 2147483647]"));
  CHECK(contains(parse({"--steps", "0"}).error, "must be a whole number in [1, "));
  CHECK(contains(parse({"--stop-at", "-1"}).error, "--stop-at: '-1' is out of range"));
  CHECK(contains(parse({"--chunk-threshold", "0"}).error, "--chunk-threshold: '0' is out of range"));
  CHECK(contains(parse({"--group-size", "-1"}).error, "--group-size: '-1' is out of range"));
  CHECK(contains(parse({"--models", "-1"}).error, "--models: '-1' is out of range"));
  CHECK(parse({"--models", "0"}).cfg.models == 0);  // one model per rank
  CHECK(contains(parse({"--strategy", "ensemble"}).error, "'ensemble' is no longer a strategy"));

  p = parse({"--seed", "18446744073709551615", "--steps", "010", "--stop-at", "+7", "--checkpoint-every", "0",
             "--data-seed", "9223372036854775808"});
  REQUIRE(p.error == "");
  CHECK(p.cfg.seed == 18446744073709551615ull);
  CHECK(p.cfg.steps == 10);  // decimal, not octal 8
  CHECK(p.cfg.stop_at == 7);
  CHECK(p.cfg.checkpoint_every == 0);
  CHECK(p.cfg.data_seed == 9223372036854775808ull);
}

TEST_CASE("train/config: sizes that do not fit are refused with the limit named") {
  Parsed p = parse({"--param-samples", "46341", "--events-per-sample", "46341"});
  CHECK(contains(p.error, "param_samples * events_per_sample = 46341 * 46341 = 2147488281"));
  CHECK(contains(p.error, "at most 2147483647"));
  p = parse({"--param-samples", "46340", "--events-per-sample", "46341"});
  CHECK(p.error == "");
}

TEST_CASE("train/config: validate() gives library users the same checks") {
  const auto problem = [](auto change) {
    TrainerConfig c;
    change(c);
    return sagips::train::validate(c);
  };
  CHECK(contains(problem([](TrainerConfig& c) { c.lr_final = std::nan(""); }), "lr_final: nan is not a finite number"));
  CHECK(contains(problem([](TrainerConfig& c) { c.lr_generator = -1; }), "lr_generator: -1 is out of range: must be > 0"));
  CHECK(contains(problem([](TrainerConfig& c) { c.steps = 0; }), "steps: 0 is out of range"));
  CHECK(contains(problem([](TrainerConfig& c) { c.eval_samples = -3; }), "eval_samples: -3"));
  CHECK(contains(problem([](TrainerConfig& c) { c.shard_fraction = std::numeric_limits<double>::infinity(); }), "shard_fraction: inf"));
  CHECK(contains(problem([](TrainerConfig& c) { c.output_dir.clear(); }), "output_dir: empty"));
  CHECK(contains(problem([](TrainerConfig& c) { c.param_samples = c.events_per_sample = 50000; }), "at most 2147483647"));

  const auto xproblem = [](auto change) {
    ex::Config c;
    change(c);
    return ex::validate(c);
  };
  CHECK(contains(xproblem([](ex::Config& c) { c.timeout_seconds = std::nan(""); }), "timeout_seconds: nan is not a finite"));
  CHECK(contains(xproblem([](ex::Config& c) { c.outer_period = 0; }), "outer_period: 0 is out of range"));
  CHECK(contains(xproblem([](ex::Config& c) { c.chunk_threshold = 0; }), "chunk_threshold: 0"));
  CHECK(contains(xproblem([](ex::Config& c) { c.masters = 0; }), "masters: 0"));
  CHECK(contains(xproblem([](ex::Config& c) { c.easgd_alpha = 2; }), "easgd_alpha: 2"));
  CHECK(contains(xproblem([](ex::Config& c) { c.mode = static_cast<ex::Mode>(7); }),
                 "exchange mode: 7 is not a mode (choose weak, strong or leader-broadcast)"));
}

TEST_CASE("train/config: the config file refuses unknown keys, sections and stray lines with the line named") {
  // The issue's reproducer: both lines used to be ignored.
  Parsed p = parse_file("lr_generator = -1\nstpes = 1000\n");
  CHECK(contains(p.error, "config file, line 2: unknown option 'stpes' (closest: 'steps')"));
  p = parse_file("lr_generator = -1\n");
  CHECK(contains(p.error, "--lr-generator: -1 is out of range: must be > 0"));
  CHECK(contains(parse_file("# a comment\n\nlr_generater = 0.1\n").error,
                 "line 3: unknown option 'lr_generater' (closest: 'lr_generator')"));
  CHECK(contains(parse_file("outer-perod = 3\n").error, "unknown option 'outer-perod' (closest: 'outer-period')"));
  CHECK(contains(parse_file("steps = 3\n[training]\nmode = strong\n").error,
                 "line 2: unknown section '[training]' (summary.json's [exchange] and [program] are read"));
  CHECK(contains(parse_file("[exchange\nmode = strong\n").error, "line 1: unknown section '[exchange'"));
  CHECK(contains(parse_file("steps = 3\njust some words\n").error, "line 2: expected `key = value`"));
  CHECK(contains(parse_file(std::string("\x01\xff\x00zz\n", 5)).error, "line 1: expected `key = value`, found '\\x01\\xff\\x00zz'"));
  CHECK(contains(parse_file("= 4\n").error, "line 1: no key before '='"));
  CHECK(contains(parse_file("steps =\n").error, "line 1: 'steps': no value after '='"));
  CHECK(contains(parse_file("steps = 1\nsteps = 2\n").error, "line 2: 'steps' sets --steps again (already set on line 1)"));
  CHECK(contains(parse_file("lr-generator = 1\nlr_generator = 2\n").error, "already set on line 1"));
  CHECK(contains(parse_file("rma = true\nno_rma = true\n").error, "line 2: 'no_rma' sets --rma again"));
  CHECK(contains(parse_file("profile = 2\n").error, "'profile': a flag takes true or false, not '2'"));
  CHECK(contains(parse_file("output = \"open\n").error, "the string has no closing \""));
  CHECK(contains(parse_file("output = \"a\" b\n").error, "unexpected 'b' after the string"));
  CHECK(contains(parse_file("steps = [1, 2]\n").error, "lists are not supported"));
  CHECK(contains(parse_file("config = other.toml\n").error, "'config' cannot be set in a config file"));
  CHECK(contains(parse_file("help = true\n").error, "'help' cannot be set in a config file"));
  CHECK(contains(parse({"--config", "/nonexistent/sagips.toml"}).error, "/nonexistent/sagips.toml"));
}

TEST_CASE("train/config: summary.json's [exchange] and [program] sections, and summary.json itself, read back") {
  Parsed p = parse_file("steps = 3\n[exchange]\nmode = \"strong\"\nstrategy = \"sync-ring\"\n[program]\n");
  CHECK(p.error.empty());
  CHECK(p.cfg.steps == 3);
  CHECK(p.xcfg.mode == ex::Mode::strong);
  CHECK(p.xcfg.strategy == "sync-ring");
  // A whole summary.json: its "configuration" is read; "data" (the data's identity) is not an option.
  p = parse_file(R"({"problem": "proxy2d", "configuration": {"steps": 12, "lr_generator": 0.00025, "bootstrap": false,
                   "seed": 18446744073709551615, "output_dir": "o", "data": {"events": 4, "checksum": "ab"},
                   "exchange": {"strategy": "async-ring", "group_size": 2, "algorithm": "easgd", "rma": true,
                                "timeout_seconds": 12.5}}})");
  CHECK(p.error.empty());
  CHECK(p.cfg.steps == 12);
  CHECK(p.cfg.lr_generator == 0.00025);
  CHECK_FALSE(p.cfg.bootstrap);
  CHECK(p.cfg.seed == 18446744073709551615ull);
  CHECK(p.cfg.output_dir == "o");
  CHECK(p.xcfg.group_size == 2);
  CHECK(p.xcfg.algorithm == ex::PsAlgorithm::easgd);
  CHECK(p.xcfg.rma);
  CHECK(p.xcfg.timeout_seconds == 12.5);
  // Refusals name the key.
  CHECK(contains(parse_file(R"({"configuration": {"stpes": 3}})").error, "config file, key stpes: unknown option 'stpes'"));
  CHECK(contains(parse_file(R"({"steps": null})").error, "config file, key steps: null is not a value"));
  CHECK(contains(parse_file(R"({"exchange": {"group_size": -1}})").error, "--group-size"));
  CHECK(contains(parse_file("{ not json").error, "config file: not a JSON object"));
}

TEST_CASE("exchange/config: summary.json's exchange record holds the options the strategy reads, no others") {
  ex::Config c;
  c.group_size = 2;
  c.algorithm = ex::PsAlgorithm::easgd;
  // What the trainer writes (Trainer::configuration_json): the rows async-ring's Traits say it reads.
  const auto j = sagips::options::to_json(c, ex::read_by(ex::Traits<ex::AsyncRing>::options));
  CHECK(j["strategy"] == "async-ring");
  CHECK(j["group_size"] == 2);
  CHECK(j.contains("timeout_seconds"));
  CHECK(j.contains("rma_barrier"));
  CHECK_FALSE(j.contains("masters"));
  CHECK_FALSE(j.contains("algorithm"));
  const auto ps = sagips::options::to_json(c, ex::read_by(ex::Traits<ex::ParameterServer>::options));
  CHECK(ps["algorithm"] == "easgd");
  CHECK_FALSE(ps.contains("group_size"));
}

TEST_CASE("train/config: the stall timeout is 0 (off) or at least a second") {
  CHECK(parse({"--stall-timeout", "0"}).error.empty());
  CHECK(parse({"--stall-timeout", "1"}).error.empty());
  CHECK(contains(parse({"--stall-timeout", "0.5"}).error, "--stall-timeout: 0.5 is out of range: must be 0 or >= 1"));
  CHECK(contains(ex::validate([] {
                   ex::Config c;
                   c.timeout_seconds = 0.001;
                   return c;
                 }()),
                 "timeout_seconds: 0.001 is out of range: must be 0 or >= 1"));
}

TEST_CASE("train/config: file values get the command line's checks") {
  CHECK(contains(parse_file("seed = -1\n").error, "--seed: '-1' is out of range"));
  CHECK(contains(parse_file("steps = 99999999999999999999\n").error, "--steps: '99999999999999999999' is out of range"));
  CHECK(contains(parse_file("timeout_seconds = nan\n").error, "--stall-timeout: 'nan' is not a finite number"));
  CHECK(contains(parse_file("exchange-timeout = inf\n").error, "--stall-timeout: 'inf' is not a finite number"));
  CHECK(contains(parse_file("mode = sideways\n").error, "--mode"));
  CHECK(contains(parse_file("param_samples = 46341\nevents-per-sample = 46341\n").error, "at most 2147483647"));
}

TEST_CASE("train/config: summary.json's spelling of every option reads back as the same configuration") {
  TrainerConfig c;  // every field away from its default
  c.steps = 77;
  c.param_samples = 5;
  c.events_per_sample = 9;
  c.lr_generator = 3.25e-4;
  c.lr_discriminator = 0.1 / 3;
  c.lr_final = 0.5;
  c.beta1 = 0.25;
  c.beta2 = 0.75;
  c.average_discriminator = true;
  c.seed = 18446744073709551615ull;
  c.data_seed = 99;
  c.shard_fraction = 0.125;
  c.output_dir = "out # not a comment";
  c.metrics_every = 3;
  c.progress_every = 4;
  c.checkpoint_every = 0;
  c.keep_checkpoints = 6;
  c.eval_samples = 12;
  c.resume = true;
  c.stop_at = 40;
  c.profile = true;
  ex::Config x;
  x.group_size = 3;
  x.outer_period = 5;
  x.mode = ex::Mode::leader_broadcast;
  x.rma = true;
  x.rma_barrier = false;
  x.chunk_threshold = 17;
  x.timeout_seconds = 12.5;
  x.masters = 2;
  x.sync_every = 4;
  x.algorithm = ex::PsAlgorithm::easgd;
  x.easgd_alpha = 0.3;

  std::string text = "# written from summary.json\n";
  for (const auto& block : {nlohmann::json(c), nlohmann::json(x)})
    for (const auto& [key, value] : block.items()) text += key + " = " + value.dump() + "\n";
  const Parsed p = parse_file(text);
  REQUIRE(p.error == "");
  CHECK(nlohmann::json(p.cfg) == nlohmann::json(c));
  CHECK(nlohmann::json(p.xcfg) == nlohmann::json(x));

  // The flags' own spelling, comments, CRLF line ends and a byte-order mark.
  const Parsed q = parse_file(
      "\xEF\xBB\xBF; INI comment\r\nlr-generator = 0.5  # trailing comment\r\nno-rma-barrier = true\r\n"
      "ps-algorithm = 'EASGD'\r\n   steps=8\r\noutput = 'a\\b'\r\n");
  REQUIRE(q.error == "");
  CHECK(q.cfg.lr_generator == 0.5);
  CHECK(q.cfg.steps == 8);
  CHECK(q.cfg.output_dir == "a\\b");
  CHECK(!q.xcfg.rma_barrier);
  CHECK(q.xcfg.algorithm == ex::PsAlgorithm::easgd);
}

TEST_CASE("train/config: flags in the file and on the command line") {
  CHECK(!parse_file("no_rma = true\n").xcfg.rma);
  CHECK(parse_file("no_rma = false\n").xcfg.rma);
  CHECK(parse_file("rma = on\n").xcfg.rma);
  CHECK(!parse_file("rma_barrier = false\n").xcfg.rma_barrier);
  CHECK(parse_file("no-rma-barrier = no\n").xcfg.rma_barrier);
  CHECK(!parse_file("no-rma-barrier = yes\n").xcfg.rma_barrier);
  CHECK(!parse_file("profile = false\n").cfg.profile);
  CHECK(parse_file("resume = TRUE\n").cfg.resume);
  CHECK(parse_file("\n").error == "");
  // A value after a negated flag reached CLI11's std::stoll, whose out_of_range escaped the parse.
  CHECK(contains(parse({"--no-rma=99999999999999999999"}).error, "no-rma was given a disallowed flag override"));
  CHECK(contains(parse({"--rma=5"}).error, "disallowed flag override"));
  const Parsed p = parse({"--rma", "--no-rma-barrier"});
  REQUIRE(p.error == "");
  CHECK(p.xcfg.rma);
  CHECK(!p.xcfg.rma_barrier);
}

TEST_CASE("train/config: the command line wins over the config file") {
  const Parsed p = parse_file("steps = 7\nrma = true\nlr_generator = 0.5\nexchange_timeout = 10\n",
                              {"--steps", "9", "--no-rma", "--exchange-timeout", "20"});
  REQUIRE(p.error == "");
  CHECK(p.cfg.steps == 9);
  CHECK(!p.xcfg.rma);
  CHECK(p.cfg.lr_generator == 0.5);
  CHECK(p.xcfg.timeout_seconds == 20);
  // A bad value in the file is still refused when the command line sets the same option: the file
  // was checked line by line first.
  CHECK(contains(parse_file("stpes = 7\n", {"--steps", "9"}).error, "unknown option 'stpes'"));
}

TEST_CASE("train/config: the resume fingerprint keeps what shapes the run, not the stall timeout") {
  // The trainer's configuration record (Trainer::configuration_json).
  const auto record = [](const TrainerConfig& c, const ex::Config& x) {
    nlohmann::json j = c;
    j["exchange"] = x;
    j["strategy"] = "async-ring";
    return sagips::train::resume_fingerprint(j);
  };
  const TrainerConfig c;
  const ex::Config x;
  const auto base = record(c, x);

  ex::Config longer = x;
  longer.timeout_seconds = 3600;
  CHECK(record(c, longer) == base);
  TrainerConfig more = c;
  more.steps = 5000;
  more.output_dir = "elsewhere";
  more.checkpoint_every = 7;
  more.resume = true;
  CHECK(record(more, x) == base);

  ex::Config other = x;
  other.outer_period = 3;
  CHECK(record(c, other) != base);
  other = x;
  other.chunk_threshold = 100;
  CHECK(record(c, other) != base);
  other = x;
  other.mode = ex::Mode::strong;
  CHECK(record(c, other) != base);
  TrainerConfig run = c;
  run.lr_generator = 1e-3;
  CHECK(record(run, x) != base);
  run = c;
  run.seed = 2;
  CHECK(record(run, x) != base);
  run = c;
  run.param_samples = 16;
  CHECK(record(run, x) != base);
  CHECK(base.at("exchange").contains("outer_period"));
  CHECK(!base.at("exchange").contains("timeout_seconds"));
}
