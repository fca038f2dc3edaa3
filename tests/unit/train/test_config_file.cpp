// The training and exchange options from config files and summary.json's record of them: unknown keys
// refused with the line named, the command line's checks on file values, the command line winning,
// and every option's spelling in summary.json reading back as the same configuration.
#include <doctest/doctest.h>

#include <sagips/exchange/async_ring.hpp>
#include <sagips/exchange/config.hpp>
#include <sagips/exchange/parameter_server.hpp>
#include <sagips/options/json.hpp>
#include <sagips/train/config.hpp>
#include <string>
#include <vector>

#include "config_test.hpp"

using namespace config_test;

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
