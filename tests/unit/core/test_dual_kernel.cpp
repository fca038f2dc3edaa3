// sagips::math inside a Kokkos kernel: every function of math_cases.hpp, in float, double and Dual
// numbers, agrees with the same call on the host; outside its domain every function returns NaN, as
// the standard library's does.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <algorithm>
#include <limits>
#include <string>
#include <sagips/autodiff/dual.hpp>
#include <utility>
#include <vector>

#include "math_cases.hpp"

using namespace math_cases;

namespace {
// Every function of the tables evaluated in one kernel for scalar type S; returns value and first
// derivative (0 for plain S) of every (function, point), unary then binary.
template <class S>
std::vector<std::pair<double, double>> in_kernel(const std::vector<int>& fs, const std::vector<double>& xs,
                                                 const std::vector<double>& ys) {
  const int n = static_cast<int>(fs.size());
  Kokkos::View<int*> f("f", n);
  Kokkos::View<double*> x("x", n), y("y", n);
  Kokkos::View<double* [2]> out("out", n);
  auto hf = Kokkos::create_mirror_view(f);
  auto hx = Kokkos::create_mirror_view(x);
  auto hy = Kokkos::create_mirror_view(y);
  for (int i = 0; i < n; ++i) hf(i) = fs[i], hx(i) = xs[i], hy(i) = ys[i];
  Kokkos::deep_copy(f, hf);
  Kokkos::deep_copy(x, hx);
  Kokkos::deep_copy(y, hy);
  Kokkos::parallel_for(
      "math_functions", Kokkos::RangePolicy<>(0, n), KOKKOS_LAMBDA(int i) {
        // Every capture is used before the `if constexpr`: nvcc refuses a device lambda whose first
        // use of a capture is inside one (tests/lint/nvcc_rules.py keeps it so).
        const int fi = f(i);
        const double xi = x(i), yi = y(i);
        double value = 0, derivative = 0;
        if constexpr (sagips::autodiff::is_dual_v<S>) {
          using T = typename S::value_type;
          const S a = S::variable(T(xi), 0);
          const S r = fi < num_unary ? unary(fi, a) : binary(fi - num_unary, a, T(yi));
          value = r.v;
          derivative = r.d[0];
        } else {
          value = fi < num_unary ? unary(fi, S(xi)) : binary(fi - num_unary, S(xi), S(yi));
        }
        out(i, 0) = value;
        out(i, 1) = derivative;
      });
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), out);
  std::vector<std::pair<double, double>> result(n);
  for (int i = 0; i < n; ++i) result[i] = {h(i, 0), h(i, 1)};
  return result;
}
}  // namespace

TEST_CASE_TEMPLATE("math: every function runs inside a Kokkos kernel", S, float, double, Dual<float, 1>,
                   Dual<double, 1>, Dual<double, 3>) {
  std::vector<int> fs;
  std::vector<double> xs, ys;
  for (const auto& c : unary_cases())
    for (double x : c.points) fs.push_back(c.f), xs.push_back(x), ys.push_back(0);
  for (const auto& c : binary_cases())
    for (auto [a, b] : c.points) fs.push_back(num_unary + c.f), xs.push_back(a), ys.push_back(b);
  const auto got = in_kernel<S>(fs, xs, ys);
  for (std::size_t i = 0; i < fs.size(); ++i) {
    CAPTURE(fs[i]);
    CAPTURE(xs[i]);
    S host;
    double value, deriv = 0;
    if constexpr (sagips::autodiff::is_dual_v<S>) {
      using T = typename S::value_type;
      const S a = S::variable(T(xs[i]), 0);
      host = fs[i] < num_unary ? unary(fs[i], a) : binary(fs[i] - num_unary, a, T(ys[i]));
      value = host.v, deriv = host.d[0];
    } else {
      host = fs[i] < num_unary ? unary(fs[i], S(xs[i])) : binary(fs[i] - num_unary, S(xs[i]), S(ys[i]));
      value = host;
    }
    // On a host backend the kernel runs the host's code and must agree bit for bit. A GPU has its own
    // math library (CUDA's differs from glibc by a few ulps: pow 2, tgamma 10 in double), so there
    // the kernel must agree to 64 ulps of the value type, with NaN and infinities agreeing exactly.
    constexpr bool host_backend =
        Kokkos::SpaceAccessibility<Kokkos::HostSpace, Kokkos::DefaultExecutionSpace::memory_space>::accessible;
    auto same = [](double a, double b) {
      if (a == b || (std::isnan(a) && std::isnan(b))) return true;
      if (host_backend || !std::isfinite(a) || !std::isfinite(b)) return false;
      const double tol = 64 * double(std::numeric_limits<typename value_of<S>::type>::epsilon());
      const double scale = std::max(std::abs(a), std::abs(b));
      return std::abs(a - b) <= tol * scale || scale <= tol;  // both next to zero: a cancellation
    };
    CHECK(same(got[i].first, value));
    CHECK(same(got[i].second, deriv));
  }
}

TEST_CASE_TEMPLATE("math: outside the domain the value is NaN, as for the standard functions", T, float,
                   double) {
  using D = Dual<T, 2>;
  for (const auto& c : unary_cases()) {
    for (double x0 : c.outside) {
      CAPTURE(std::string(c.name));
      CAPTURE(x0);
      const T x = static_cast<T>(x0);
      if (c.f != Digamma) CHECK(std::isnan(reference(c.f, x)));
      CHECK(std::isnan(unary(c.f, x)));
      const D y = unary(c.f, D::variable(x, 0));
      CHECK(std::isnan(y.v));
      CHECK_FALSE(m::isfinite(y));
    }
  }
  CHECK(std::isnan(m::pow(T(-2), T(0.5))));
  CHECK(std::isnan(m::pow(D::variable(T(-2), 0), T(0.5)).v));
  CHECK(std::isnan(m::pow(T(-2), D::variable(T(0.5), 0)).v));
  CHECK(std::isnan(m::pow(D::variable(T(-2), 0), D::variable(T(0.5), 1)).v));
  // NaN in, NaN out
  const T nan = std::numeric_limits<T>::quiet_NaN();
  for (const auto& c : unary_cases()) {
    CAPTURE(std::string(c.name));
    CHECK(std::isnan(unary(c.f, nan)));
    CHECK(std::isnan(unary(c.f, D::variable(nan, 0)).v));
  }
}
