#pragma once
// The resume fingerprint: the part of a run's configuration record that a resumed run must share
// with the run that wrote the checkpoint. The record is the trainer's (Trainer::configuration_json):
// the training options, "strategy", and the exchange options under "exchange". Left out are the
// rows each struct declares operational (how many steps, where and how often to write, how long a
// collective may stall): they decide how a run is carried out, not what it computes.

#include <nlohmann/json.hpp>

#include "sagips/exchange/config.hpp"
#include "sagips/options/json.hpp"
#include "sagips/train/config.hpp"

namespace sagips::train {

inline nlohmann::json resume_fingerprint(const nlohmann::json& config) {
  if (!config.is_object()) return config;  // not a trainer's record (a test's, a foreign program's): as is
  nlohmann::json f = options::without_kind<TrainerConfig>(config, options::Kind::operational);
  if (f.contains("exchange") && f["exchange"].is_object())
    f["exchange"] = options::without_kind<exchange::Config>(f["exchange"], options::Kind::operational);
  return f;
}

}  // namespace sagips::train
