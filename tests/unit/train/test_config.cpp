// The training and exchange options as a program sees them on its command line: argument vectors
// through the real add_options and CLI::App, and validate() and resume_fingerprint() on the structs.
// (Config files and summary.json's record of the options: test_config_file.cpp.)
#include <doctest/doctest.h>

#include <cmath>
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
#include <vector>

#include "config_test.hpp"

using namespace config_test;

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
