// --compression as a program sees it: the command line and the config file through the real
// add_options, summary.json's spelling, and validate() for library users.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sagips/exchange/config.hpp>
#include <sagips/options/cli.hpp>
#include <sagips/options/json.hpp>
#include <sagips/train/config.hpp>
#include <sagips/train/fingerprint.hpp>
#include <string>
#include <vector>

#include "parse_options.hpp"

namespace ex = sagips::exchange;

namespace {
struct Parsed {
  ex::Config xcfg;
  std::string error;  // empty: accepted
};

Parsed parse(std::vector<std::string> args) {
  Parsed p;
  sagips::train::TrainerConfig cfg;
  p.error = sagips_test::parse_options(args, cfg, p.xcfg);
  return p;
}

Parsed parse_file(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("sagips-test-compression-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path, std::ios::binary) << text;
  Parsed p = parse({"--config", path.string()});
  std::filesystem::remove(path);
  return p;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("--compression: none by default, a format's name in any case, nothing else") {
  CHECK(parse({}).xcfg.compression == ex::Compression::none);
  CHECK(parse({"--compression", "bf16"}).xcfg.compression == ex::Compression::bf16);
  CHECK(parse({"--compression", "FP16"}).xcfg.compression == ex::Compression::fp16);
  CHECK(parse({"--compression=none"}).xcfg.compression == ex::Compression::none);
  for (const char* bad : {"1", "0", "fp8", "bfloat16", "", "bf16 "}) {
    CAPTURE(bad);
    const Parsed p = parse({"--compression", bad});
    CHECK(contains(p.error, "--compression"));
    CHECK(contains(p.error, "is not a compression (choose none, bf16 or fp16)"));
  }
}

TEST_CASE("compression: the config file takes summary.json's key and values; validate() refuses a bad enum") {
  CHECK(parse_file("compression = bf16\n").xcfg.compression == ex::Compression::bf16);
  CHECK(parse_file("compression = 'fp16'\n").xcfg.compression == ex::Compression::fp16);
  CHECK(contains(parse_file("compression = 2\n").error, "is not a compression"));
  ex::Config c;
  c.compression = ex::Compression::fp16;
  const nlohmann::json j = c;
  CHECK(j["compression"] == "fp16");
  CHECK(parse_file("compression = " + j["compression"].get<std::string>() + "\n").xcfg.compression ==
        ex::Compression::fp16);
  c.compression = static_cast<ex::Compression>(9);
  CHECK(contains(ex::validate(c), "exchange compression: 9 is not a compression (choose none, bf16 or fp16)"));
}

TEST_CASE("compression is part of the resume fingerprint") {
  ex::Config a, b;
  b.compression = ex::Compression::bf16;
  nlohmann::json ja = {{"exchange", a}}, jb = {{"exchange", b}};
  CHECK(sagips::train::resume_fingerprint(ja) != sagips::train::resume_fingerprint(jb));
}
