// The shared main of the unit-test executables: MPI (one rank), then Kokkos, then doctest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <sagips/runtime/environment.hpp>

int main(int argc, char** argv) {
  sagips::Environment env(argc, argv);
  if (env.size() != 1) {
    if (env.is_root())
      std::fprintf(stderr, "%s: unit tests run on one rank; this one was started on %d\n", argv[0],
                   env.size());
    return 2;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
