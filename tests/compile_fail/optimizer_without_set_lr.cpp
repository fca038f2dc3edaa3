// Must not compile: an optimizer written as a user would, but without set_lr(), given to the trainer's
// run-time choice.
#include <sagips/optim.hpp>

template <class T>
class Forgetful {
 public:
  static constexpr const char* name = "forgetful";
  Forgetful(std::size_t, const sagips::optim::Settings&) {}
  void step(sagips::Vector<T>, sagips::ConstVector<T>) {}
  void save(sagips::BinaryWriter&, const std::string&) const {}
  void load(sagips::BinaryReader&, const std::string&) {}
};

int main() {
  sagips::optim::Choice<sagips::optim::Adam, Forgetful>::For<float> opt(4, "forgetful", sagips::optim::Settings{});
  return 0;
}
