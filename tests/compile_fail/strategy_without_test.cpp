// Must not compile: an exchange strategy written as a user would, but without test().
#include <sagips/exchange.hpp>

struct Forgetful {
  static constexpr const char* name = "forgetful";
  template <class T, class Space>
  class Impl : public sagips::exchange::NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const sagips::exchange::Config&, std::size_t) : sagips::exchange::NoServer<T, Space>(comm) {}
    void start(Kokkos::View<T*, Space>, std::int64_t) {}
    void finish() {}
  };
};

int main() { return sagips::exchange::check_strategy<Forgetful>() ? 0 : 1; }
