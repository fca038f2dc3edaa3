// What one training step costs a device, counted through Kokkos' profiling hooks (Kokkos::Tools), so
// that a CPU build keeps a GPU run from waiting where it need not:
//  - no allocation (buffers are made once, at their largest size);
//  - with Kokkos 4 (which reports fences; Kokkos 3.4 reports none, so there only the allocations are
//    counted): no global fence (every copy and fill on the execution space's instance) and at most
//    one reduction into a host value (the exchange's finiteness check of the gradient, which the
//    vote needs), not one per loss or per density check.
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "mpi_test.hpp"
#include "trainer_support.hpp"

using namespace trainer_support;

SAGIPS_MPI_TEST_RANKS(1, 3);

namespace {
struct Counts {
  long allocations = 0, global_fences = 0, host_reductions = 0;
  std::vector<std::string> names;  // what was counted, for the failure message
};
Counts counts;
bool armed = false;

void on_allocate(const Kokkos_Profiling_SpaceHandle, const char* label, const void*, const uint64_t) {
  if (!armed) return;
  ++counts.allocations;
  counts.names.push_back(std::string("allocation ") + label);
}
void on_fence(const char* name, const uint32_t device, uint64_t* handle) {
  *handle = 0;
  if (!armed || std::strstr(name, "Profile Tool Fence") != nullptr) return;  // Kokkos' own, around tool callbacks
  const std::uint32_t instance_bits = device & 0x00ffffffu;  // 0: global; 0x00ffffff: a deep copy's global fence
  if (instance_bits == 0 || instance_bits == 0x00ffffffu) {
    ++counts.global_fences;
    counts.names.push_back(std::string("global fence ") + name);
  }
  if (std::strstr(name, "result being value, not view") != nullptr) {
    ++counts.host_reductions;
    counts.names.push_back(std::string("host reduction ") + name);
  }
}
void on_end_fence(uint64_t) {}

struct Hooks {
  Hooks() {
    Kokkos::Tools::Experimental::set_allocate_data_callback(&on_allocate);
    Kokkos::Tools::Experimental::set_begin_fence_callback(&on_fence);
    Kokkos::Tools::Experimental::set_end_fence_callback(&on_end_fence);
  }
  ~Hooks() {
    Kokkos::Tools::Experimental::set_allocate_data_callback(nullptr);
    Kokkos::Tools::Experimental::set_begin_fence_callback(nullptr);
    Kokkos::Tools::Experimental::set_end_fence_callback(nullptr);
  }
};

template <class Pipeline>
void check_one_step(const sagips::train::TrainerConfig& c, Pipeline pipe) {
  ex::Config x;
  x.group_size = 1;
  sagips::Trainer<Pipeline, Gen, Disc, sagips::loss::LeastSquares, ex::AsyncRing> t(
      sagips::testing::comm(), c, x, pipe, real_data(), sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds());
  Hooks hooks;
  for (long s = 1; s <= 3; ++s) t.train_step(s);  // warm-up: every buffer at its size
  counts = Counts{};
  armed = true;
  t.train_step(4);
  armed = false;
  std::string what;
  for (const auto& n : counts.names) what += n + "; ";
  CAPTURE(what);
  CHECK(counts.allocations == 0);
#if KOKKOS_VERSION >= 40000
  CHECK(counts.global_fences == 0);
  CHECK(counts.host_reductions <= 1);
#endif
}
}  // namespace

TEST_CASE("one training step allocates nothing, fences no device globally, reduces into the host once") {
  const fs::path out = shared_tmp("budget");
  auto c = small(out);
  c.disc_steps = 2;        // the extra update: forwards without Jacobians between steps with
  c.generator_noise = 0;   // the default: the noise is filled, not drawn
  check_one_step(c, Pipe());
#if KOKKOS_VERSION < 40000
  MESSAGE("Kokkos " << KOKKOS_VERSION << " reports no fences: only allocations are counted here (the fence budget "
          "runs on Kokkos 4 builds: scripts/check-backend)");
#endif
  MPI_Barrier(sagips::testing::comm());
  if (sagips::testing::rank() == 0) fs::remove_all(out);
}
