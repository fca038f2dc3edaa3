// Example 1: the environment, a Kokkos kernel on every rank, and an MPI reduction.
//
// Each rank throws --points random points into the unit square with its own random stream and
// counts those inside the quarter circle; the ranks add their counts and rank 0 prints pi.
//
//   mpirun -np 4 ./hello --points 1000000
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <sagips/sagips.hpp>

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [&](sagips::Environment& env) {
    CLI::App app{"sagips example 1: ranks, Kokkos and MPI together (Monte Carlo estimate of pi)"};
    long points = 1000000;
    std::uint64_t seed = 1;
    app.add_option("--points", points, "points per rank")->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "random seed");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return env.is_root() ? app.exit(e) : (e.get_exit_code());
    }

    // Every rank has its own stream: same seed, different rank.
    const sagips::random::CounterRng rng(
        sagips::random::stream_key(seed, env.rank(), sagips::random::Purpose::user));
    long inside = 0;
    Kokkos::parallel_reduce(
        "count_inside", points, KOKKOS_LAMBDA(long i, long& acc) {
          double u[4];
          rng.uniform4(static_cast<std::uint64_t>(i), u);
          acc += (u[0] * u[0] + u[1] * u[1] < 1.0) ? 1 : 0;
        },
        inside);
    long total_inside = 0;
    MPI_Reduce(&inside, &total_inside, 1, MPI_LONG, MPI_SUM, 0, env.comm());
    if (env.is_root()) {
      const double n = static_cast<double>(points) * env.size();
      const double pi = 4.0 * static_cast<double>(total_inside) / n;
      const double sigma = 4.0 * std::sqrt(M_PI / 4 * (1 - M_PI / 4) / n);
      std::printf("sagips %s: %d rank(s) on Kokkos %s\n", SAGIPS_VERSION_STRING, env.size(),
                  env.execution_space().c_str());
      std::printf("pi ~ %.6f +- %.6f from %.0f points (error %.2f sigma)\n", pi, sigma, n,
                  (pi - M_PI) / sigma);
      if (std::abs(pi - M_PI) > 5 * sigma) {
        std::printf("the estimate is more than 5 sigma off: something is wrong\n");
        return 1;
      }
    }
    return 0;
  });
}
