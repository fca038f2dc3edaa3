#pragma once
// What the trainer's MPI tests share: a small proxy problem, a run of it with any exchange strategy,
// a scratch folder every rank agrees on, and metrics.csv without its measured rates.
#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sagips/sagips.hpp>
#include <string>
#include <vector>

#include "mpi_test.hpp"

namespace trainer_support {

namespace fs = std::filesystem;
namespace sim = sagips::sim;
namespace ex = sagips::exchange;
using Pipe = sim::Pipeline<sim::Proxy2D, sim::InverseCdf2D<32>, sim::GaussianSmearing>;
using Gen = sagips::nn::Mlp<10, 5, sagips::nn::Hidden<32, 32>, sagips::nn::LeakyRelu, sagips::nn::Sigmoid>;
using Disc = sagips::nn::Mlp<2, 1, sagips::nn::Hidden<32, 32>, sagips::nn::LeakyRelu>;


inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A scratch folder whose name every rank agrees on (rank 0's, broadcast).
inline fs::path shared_tmp(const std::string& name) {
  char buf[128] = {0};
  if (sagips::testing::rank() == 0) {
    const fs::path p = fs::temp_directory_path() / ("sagips-train-" + name + "-" + std::to_string(getpid()));
    fs::remove_all(p);
    std::snprintf(buf, sizeof buf, "%s", p.c_str());
  }
  MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, sagips::testing::comm());
  return buf;
}

// Regenerated per call (cheap): a cached static View would outlive Kokkos::finalize.
inline sagips::HostMatrix<const float> real_data() {
  Pipe pipe;
  return sim::generate_events(pipe, sim::Proxy2D::truth(), 20000, 5);
}

inline sagips::train::TrainerConfig small(const fs::path& out) {
  sagips::train::TrainerConfig c;
  c.steps = 24;
  c.param_samples = 4;
  c.events_per_sample = 32;
  c.metrics_every = 4;
  c.checkpoint_every = 12;
  c.eval_samples = 50;
  c.progress_every = 1000;
  c.output_dir = out.string();
  return c;
}

template <class Exchange>
sagips::train::TrainingResult run(const sagips::train::TrainerConfig& c, const ex::Config& x, std::vector<float>* gen = nullptr,
                   std::vector<float>* disc = nullptr) {
  sagips::Trainer<Pipe, Gen, Disc, sagips::loss::LeastSquares, Exchange> t(
      sagips::testing::comm(), c, x, Pipe(), real_data(), sim::Proxy2D::lower_bounds(), sim::Proxy2D::upper_bounds());
  auto summary = t.run();
  if (gen) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t.generator().params());
    gen->assign(h.data(), h.data() + h.extent(0));
  }
  if (disc) {
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), t.discriminator().params());
    disc->assign(h.data(), h.data() + h.extent(0));
  }
  return summary;
}

// metrics.csv without its last two columns (the measured rates, which differ run to run).
inline std::string read_metrics(const fs::path& p) {
  std::ifstream in(p);
  std::string line, out;
  while (std::getline(in, line)) {
    const auto cut = line.rfind(',', line.rfind(',') - 1);
    out += line.substr(0, cut) + "\n";
  }
  return out;
}

}  // namespace trainer_support
