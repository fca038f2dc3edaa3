// Must not compile: a sample distance written as a user would, but its Impl lacks evaluate().
#include <sagips/objective.hpp>

struct Forgetful {
  static constexpr const char* name = "forgetful";
  template <class T, int D>
  struct Impl {
    explicit Impl(const sagips::objective::Settings&) {}
  };
};

int main() { return sagips::objective::check_distance<Forgetful>() ? 0 : 1; }
