#pragma once
// The one rule for the names a user's part answers to (a strategy, a loss, an optimizer: what
// --strategy, --loss, --generator-optimizer, summary.json and checkpoints call it): lower-case letters,
// digits and '-', starting with a letter or digit ("async-ring", "least-squares", "adam"). A contract
// checks it at compile time.

namespace sagips {

constexpr bool well_formed_name(const char* s) {
  if (s == nullptr || *s == '\0' || *s == '-') return false;
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return false;
  return true;
}

}  // namespace sagips
