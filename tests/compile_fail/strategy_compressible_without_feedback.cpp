// Must not compile: a strategy that declares `compressible` (its messages may be sent in 16 bits) but
// gives the exchanger no way to hand it the error-feedback residual.
#include <sagips/exchange.hpp>

struct Lossy {
  static constexpr const char* name = "lossy";
  static constexpr bool compressible = true;
  template <class T, class Space>
  class Impl {
   public:
    Impl(MPI_Comm, const sagips::exchange::Config&, std::size_t) {}
    void start(Kokkos::View<T*, Space>, std::int64_t) {}
    bool test() { return true; }
    void finish() {}
    const sagips::exchange::Stats& stats() const { return stats_; }
    std::vector<int> contributors(std::int64_t) const { return {0}; }
    bool is_server() const { return false; }
    void serve(Kokkos::View<T*, Space>, const sagips::exchange::ServerApply<T, Space>&) {}
    void after_update(Kokkos::View<T*, Space>) {}
    void worker_done() {}

   private:
    sagips::exchange::Stats stats_;
  };
};

int main() { return sagips::exchange::check_strategy<Lossy>() ? 0 : 1; }
