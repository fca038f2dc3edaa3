#pragma once
// The headers check: each generated translation unit registers the header it compiled.
#include <set>
#include <string>

namespace sagips_headers {
inline std::set<std::string>& registry() {
  static std::set<std::string> r;
  return r;
}
struct Registered {
  explicit Registered(const char* header) { registry().insert(header); }
};
}  // namespace sagips_headers
