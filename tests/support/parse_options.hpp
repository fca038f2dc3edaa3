#pragma once
// The command line as a test gives it: `args` (without the program name) parsed into structs that
// declare their options (sagips/options/option.hpp), each added with options::add_options, through
// a real CLI::App. Returns the parse error's text, "" when the arguments were accepted (and "(ParseError
// without a message)" for an error CLI11 gave no text).
#include <CLI/CLI.hpp>
#include <sagips/options/cli.hpp>
#include <string>
#include <vector>

namespace sagips_test {

template <class... Configs>
std::string parse_options(std::vector<std::string> args, Configs&... configs) {
  CLI::App app{"test"};
  (sagips::options::add_options(app, configs), ...);
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    const std::string what = e.what();
    return what.empty() ? "(ParseError without a message)" : what;
  }
  return "";
}

}  // namespace sagips_test
