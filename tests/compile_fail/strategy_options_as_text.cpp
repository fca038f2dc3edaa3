// Must not compile: a strategy that says the options it reads as text (the old spelling), which no
// compiler could check; they are a set, sagips::exchange::Reads.
#include <sagips/exchange.hpp>

struct Wordy {
  static constexpr const char* name = "wordy";
  static constexpr const char* options = "group-size";
  template <class T, class Space>
  class Impl : public sagips::exchange::NoServer<T, Space> {
   public:
    Impl(MPI_Comm comm, const sagips::exchange::Config&, std::size_t) : sagips::exchange::NoServer<T, Space>(comm) {}
    void start(Kokkos::View<T*, Space>, std::int64_t) {}
    bool test() { return true; }
    void finish() {}
  };
};

int main() { return sagips::exchange::check_strategy<Wordy>() ? 0 : 1; }
