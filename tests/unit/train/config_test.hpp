#pragma once
// What the option tests share: parsing argument vectors the way the examples do, config files that
// remove themselves, and the flags of every option of one CLI11 type.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>
#include <sagips/exchange/config.hpp>
#include <sagips/options/cli.hpp>
#include <sagips/train/config.hpp>

#include "parse_options.hpp"

namespace config_test {

using sagips::train::TrainerConfig;
namespace ex = sagips::exchange;

struct Parsed {
  TrainerConfig cfg;
  ex::Config xcfg;
  std::string error;  // empty: accepted
};

// Parses `args` (without the program name) the way the examples do.
inline Parsed parse(std::vector<std::string> args) {
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

inline Parsed parse_file(const std::string& text, std::vector<std::string> more = {}) {
  ConfigFile file(text);
  more.insert(more.begin(), {"--config", file.path.string()});
  return parse(more);
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The long flags of every option whose CLI11 type name starts with `type` (FLOAT, INT, UINT).
inline std::vector<std::string> flags_of_type(const std::string& type) {
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

}  // namespace config_test
