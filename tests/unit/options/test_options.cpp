// One declaration per option: a program's own struct declares its rows once, and the command line,
// config files, validation, the JSON record and the resume fingerprint follow from them, as they do
// for the trainer's and the exchange's structs.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sagips/exchange/async_ring.hpp>
#include <sagips/exchange/config.hpp>
#include <sagips/exchange/parameter_server.hpp>
#include <sagips/options/cli.hpp>
#include <sagips/options/json.hpp>
#include <sagips/train/config.hpp>
#include <sagips/train/fingerprint.hpp>
#include <set>
#include <string>
#include <vector>

#include "parse_options.hpp"

namespace mine {
enum class Shape { flat, peaked };

// A program's own settings, written as a user would (no detail::).
struct Settings {
  double width = 0.5;
  int bins = 10;
  Shape shape = Shape::flat;
  std::string label = "run";
  bool fine = false;
};

template <class C, class Visit>
void for_each_option(C& c, Visit&& visit) {
  namespace o = sagips::options;
  const o::Section s{"My settings"};
  visit(s.option(c.width, "width", "--width", "the peak's width", o::positive()));
  visit(s.option(c.bins, "bins", "--bins", "histogram bins", o::at_least(1)));
  visit(s.option(c.shape, "shape", "--shape", "flat or peaked",
                 o::Names<Shape>{"shape", {{"flat", Shape::flat}, {"peaked", Shape::peaked}}}));
  visit(s.option(c.label, "label", "--label", "a name for the plots").operational());
  visit(s.option(c.fine, "fine", "--fine,!--coarse", "fine binning"));
}

inline std::string validate(const Settings& c) {
  if (std::string problem = sagips::options::first_problem(c); !problem.empty()) return problem;
  if (c.bins * c.width > 100) return "bins * width: at most 100";
  return "";
}
}  // namespace mine

namespace {
std::string parse(mine::Settings& s, std::vector<std::string> args) { return sagips_test::parse_options(args, s); }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("options: a program's own rows give its command line, with each row's checks") {
  static_assert(sagips::options::has_options_v<mine::Settings>);
  mine::Settings s;
  REQUIRE(parse(s, {"--width", "0.25", "--bins", "3", "--shape", "Peaked", "--fine", "--label", "a"}) == "");
  CHECK(s.width == 0.25);
  CHECK(s.bins == 3);
  CHECK(s.shape == mine::Shape::peaked);
  CHECK(s.fine);
  CHECK(s.label == "a");
  mine::Settings t;
  CHECK(contains(parse(t, {"--width", "-1"}), "--width: -1 is out of range: must be > 0"));
  CHECK(contains(parse(t, {"--width", "nan"}), "is not a finite number"));
  CHECK(contains(parse(t, {"--bins", "1.5"}), "is not a whole number"));
  CHECK(contains(parse(t, {"--shape", "round"}), "'round' is not a shape (choose flat or peaked)"));
  CHECK(contains(parse(t, {"--shape", "1"}), "'1' is not a shape"));  // a name, never the enumerator's number
  CHECK(contains(parse(t, {"--bins", "1000"}), "bins * width: at most 100"));  // the struct's own validate()
  CHECK(contains(parse(t, {"--coarse=1"}), "coarse was given a disallowed flag override"));  // no value after it
}

TEST_CASE("options: the rows' keys in a config file, the JSON record, validation without a command line") {
  const auto path = std::filesystem::temp_directory_path() / ("sagips-test-options-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path, std::ios::binary) << "width = 0.125\nshape = peaked\nfine = true\n";
  mine::Settings s;
  CHECK(parse(s, {"--config", path.string()}) == "");
  std::filesystem::remove(path);
  CHECK(s.width == 0.125);
  CHECK(s.shape == mine::Shape::peaked);
  CHECK(s.fine);

  const nlohmann::json j = s;
  CHECK(j == nlohmann::json{{"width", 0.125}, {"bins", 10}, {"shape", "peaked"}, {"label", "run"}, {"fine", true}});

  mine::Settings bad;
  bad.shape = static_cast<mine::Shape>(7);
  CHECK(validate(bad) == "shape: 7 is not a shape (choose flat or peaked)");
  bad = {};
  bad.bins = 0;
  CHECK(validate(bad) == "bins: 0 is out of range: must be a whole number in [1, 2147483647]");
  CHECK(sagips::options::keys_of_kind<mine::Settings>(sagips::options::Kind::operational) ==
        std::vector<std::string>{"label"});
  CHECK(sagips::options::without_kind<mine::Settings>(j, sagips::options::Kind::operational) ==
        nlohmann::json{{"width", 0.125}, {"bins", 10}, {"shape", "peaked"}, {"fine", true}});
}

TEST_CASE("options: every trainer and exchange row is on the command line, in summary.json and, unless operational, "
          "in the fingerprint") {
  sagips::train::TrainerConfig c;
  sagips::exchange::Config x;
  CLI::App app{"test"};
  sagips::options::add_options(app, c);
  sagips::options::add_options(app, x);
  nlohmann::json record = c;
  record["exchange"] = x;
  const nlohmann::json fingerprint = sagips::train::resume_fingerprint(record);
  auto check_rows = [&](const auto& cfg, const nlohmann::json& rec, const nlohmann::json& fp) {
    int rows = 0;
    for_each_option(cfg, [&](const auto& o) {
      ++rows;
      CAPTURE(o.key);
      if (*o.flags != '\0') {
        const CLI::Option* opt = app.get_option_no_throw(sagips::options::first_flag(o.flags));
        REQUIRE(opt != nullptr);
        CHECK(opt->get_group() == o.group);
        CHECK(opt->get_description() == o.help);
      }
      if (std::string(o.key) != "program") CHECK(rec.contains(o.key));  // (an empty record is left out)
      CHECK(fp.contains(o.key) == (rec.contains(o.key) && o.kind == sagips::options::Kind::shapes_run));
    });
    return rows;
  };
  CHECK(check_rows(c, record, fingerprint) == 40);
  CHECK(check_rows(x, record["exchange"], fingerprint["exchange"]) == 13);
}

TEST_CASE("options: a strategy's options are a set; summary.json and the refusal list read it") {
  namespace ex = sagips::exchange;
  CHECK(ex::flags_read(ex::Traits<ex::AsyncRing>::options) ==
        "group-size outer-period mode rma rma-barrier chunk-threshold compression");
  CHECK(ex::flags_read(ex::Traits<ex::ParameterServer>::options) == "masters sync-every ps-algorithm easgd-alpha compression");
  CHECK(ex::flags_read(ex::Reads::none) == "");
  ex::Config x;
  const auto j = sagips::options::to_json(x, ex::read_by(ex::Reads::masters));
  std::set<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
  CHECK(keys == std::set<std::string>{"strategy", "timeout_seconds", "masters"});
}
