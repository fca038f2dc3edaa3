#pragma once
// A hyper-parameter search space: named dimensions over run-time options, declared in JSON (a file the
// search reads, docs/hpo.md):
//
//   {"lr_generator":  {"log":    [1e-4, 1e-2]},      a real, uniform in its logarithm
//    "beta1":         {"real":   [0.0, 0.9]},        a real, uniform
//    "disc_steps":    {"int":    [1, 4]},            a whole number, uniform, both ends included
//    "objective":     {"choice": ["gan", "energy"]}} one of the names
//
// A point is a JSON object {name: value}, so it applies to any struct with option rows by key
// (options/assign.hpp). Each dimension maps to [0, 1] and back (to_unit / from_unit) for the
// model-based search: log and real linearly in the (log) value, int and choice by equal bins.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sagips/core/random.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::hpo {

struct Dimension {
  enum class Kind { real, log, integer, choice };
  std::string name;
  Kind kind = Kind::real;
  double lo = 0, hi = 1;             // real, log, integer
  std::vector<nlohmann::json> choices;  // choice

  // u in [0, 1] to a value of the dimension.
  nlohmann::json from_unit(double u) const {
    u = std::clamp(u, 0.0, 1.0);
    switch (kind) {
      case Kind::real: return std::clamp(lo + u * (hi - lo), lo, hi);
      case Kind::log: return std::clamp(std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))), lo, hi);  // (rounding)
      case Kind::integer: {
        const long n = static_cast<long>(hi - lo) + 1;
        return static_cast<long>(lo) + std::min(n - 1, static_cast<long>(u * static_cast<double>(n)));
      }
      case Kind::choice: {
        const auto n = static_cast<long>(choices.size());
        return choices[static_cast<std::size_t>(std::min(n - 1, static_cast<long>(u * static_cast<double>(n))))];
      }
    }
    return nullptr;
  }
  // A value of the dimension to [0, 1] (the centre of its bin for int and choice).
  double to_unit(const nlohmann::json& v) const {
    if (kind != Kind::choice)
      SAGIPS_REQUIRE(v.is_number() && v.get<double>() >= lo && v.get<double>() <= hi,
                     "search space: " << v.dump() << " is outside " << name << "'s range [" << lo << ", " << hi << "]");
    switch (kind) {
      case Kind::real: return (v.get<double>() - lo) / (hi - lo);
      case Kind::log: return (std::log(v.get<double>()) - std::log(lo)) / (std::log(hi) - std::log(lo));
      case Kind::integer: return (v.get<double>() - lo + 0.5) / (hi - lo + 1);
      case Kind::choice: {
        const auto it = std::find(choices.begin(), choices.end(), v);
        SAGIPS_REQUIRE(it != choices.end(), "search space: " << v.dump() << " is not a choice of " << name);
        return (static_cast<double>(it - choices.begin()) + 0.5) / static_cast<double>(choices.size());
      }
    }
    return 0;
  }
};

class Space {
 public:
  Space() = default;

  // From {"name": {"log"|"real"|"int": [lo, hi]} | {"choice": [...]}, ...}; an empty space, an unknown
  // kind, lo >= hi, a log range not above zero or an empty choice is an Error naming the dimension.
  static Space from_json(const nlohmann::json& j) {
    SAGIPS_REQUIRE(j.is_object(), "search space: a JSON object {name: {kind: range}} is needed, got " << j.dump());
    SAGIPS_REQUIRE(!j.empty(), "search space: it is empty (name at least one option to search)");
    Space s;
    for (const auto& [name, spec] : j.items()) {
      SAGIPS_REQUIRE(spec.is_object() && spec.size() == 1,
                     "search space: " << name << " needs one of {\"log\": [lo, hi]}, {\"real\": [lo, hi]}, "
                                      << "{\"int\": [lo, hi]}, {\"choice\": [...]}; got " << spec.dump());
      Dimension d;
      d.name = name;
      const auto& [kind, range] = *spec.items().begin();
      if (kind == "choice") {
        d.kind = Dimension::Kind::choice;
        SAGIPS_REQUIRE(range.is_array() && !range.empty(), "search space: " << name << "'s choices are empty");
        for (const auto& c : range) d.choices.push_back(c);
      } else {
        SAGIPS_REQUIRE(kind == "log" || kind == "real" || kind == "int",
                       "search space: " << name << " has the unknown kind '" << kind << "' (log, real, int or choice)");
        SAGIPS_REQUIRE(range.is_array() && range.size() == 2 && range[0].is_number() && range[1].is_number(),
                       "search space: " << name << " needs a range [lo, hi], got " << range.dump());
        d.kind = kind == "log" ? Dimension::Kind::log : kind == "real" ? Dimension::Kind::real : Dimension::Kind::integer;
        d.lo = range[0].get<double>();
        d.hi = range[1].get<double>();
        SAGIPS_REQUIRE(std::isfinite(d.lo) && std::isfinite(d.hi) && d.lo < d.hi,
                       "search space: " << name << "'s range [" << d.lo << ", " << d.hi << "] is empty or not finite");
        SAGIPS_REQUIRE(d.kind != Dimension::Kind::log || d.lo > 0,
                       "search space: " << name << " is searched in its logarithm, so its range must be above 0");
        SAGIPS_REQUIRE(d.kind != Dimension::Kind::integer || (d.lo == std::floor(d.lo) && d.hi == std::floor(d.hi)),
                       "search space: " << name << "'s range [" << d.lo << ", " << d.hi << "] is not whole numbers");
      }
      s.dims_.push_back(std::move(d));
    }
    return s;
  }

  const std::vector<Dimension>& dimensions() const { return dims_; }
  int size() const { return static_cast<int>(dims_.size()); }

  nlohmann::json from_unit(const std::vector<double>& u) const {
    nlohmann::json p = nlohmann::json::object();
    for (std::size_t k = 0; k < dims_.size(); ++k) p[dims_[k].name] = dims_[k].from_unit(u[k]);
    return p;
  }
  std::vector<double> to_unit(const nlohmann::json& point) const {
    std::vector<double> u(dims_.size());
    for (std::size_t k = 0; k < dims_.size(); ++k) {
      SAGIPS_REQUIRE(point.contains(dims_[k].name), "search space: the point " << point.dump() << " has no "
                                                                                << dims_[k].name);
      u[k] = dims_[k].to_unit(point[dims_[k].name]);
    }
    return u;
  }

  // Uniform draws: point `index` of the stream `key` (counter-based, so a resumed search draws the same).
  nlohmann::json sample(std::uint64_t key, std::uint64_t index) const {
    const random::CounterRng rng(key);
    std::vector<double> u(dims_.size());
    for (std::size_t k = 0; k < u.size(); ++k) {
      double v[4];
      rng.uniform4(index, v, static_cast<std::uint32_t>(k));
      u[k] = v[0];
    }
    return from_unit(u);
  }

 private:
  std::vector<Dimension> dims_;
};

}  // namespace sagips::hpo
