// Every public header was compiled in a translation unit of its own (the build did that); at test
// time this checks that the set compiled is exactly the set of headers now in include/, so a header
// added after configuring is not silently left unchecked.
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "registry.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s INCLUDE_DIR\n", argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path root(argv[1]);
  std::set<std::string> on_disk;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().extension() == ".hpp")
      on_disk.insert(fs::relative(entry.path(), root).generic_string());
  const auto& compiled = sagips_headers::registry();
  int missing = 0;
  for (const auto& h : on_disk) {
    if (compiled.count(h)) {
      std::printf("ok      %s\n", h.c_str());
    } else {
      std::printf("MISSING %s (not compiled on its own: reconfigure the build)\n", h.c_str());
      ++missing;
    }
  }
  for (const auto& h : compiled)
    if (!on_disk.count(h)) std::printf("note    %s was compiled but is no longer in %s\n", h.c_str(), argv[1]);
  std::printf("%zu headers compiled on their own, %d missing\n", compiled.size(), missing);
  return (missing == 0 && !on_disk.empty()) ? 0 : 1;
}
