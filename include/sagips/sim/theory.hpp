#pragma once
// The theory contract. A user writes the unnormalised density once, as a template on the scalar type,
// so it runs with float, double and Dual<T, P> inside Kokkos kernels; parameter derivatives come
// from the dual numbers, never from hand-written code:
//
//   struct MyTheory {
//     static constexpr int num_params = 2;     // P
//     static constexpr int dim = 1;            // D: event dimension (1 or 2 for the grid samplers)
//     template <class S, class X>              // S: float, double or Dual; X: the coordinate type
//     KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const { ... }
//     static sagips::sim::Box<1> domain();     // where events live
//     // optional:
//     static std::array<double, 2> truth();                                   // residuals, real data
//     static std::array<double, 2> lower_bounds(), upper_bounds();             // generator output range
//     static std::array<const char*, 2> names();                              // for printing
//   };
//
// As a list (check_theory<Theory>() asserts each point at compile time; the pipeline calls it):
//   1. static constexpr int num_params >= 1, the number of physics parameters P
//   2. static constexpr int dim >= 1, the event dimension D
//   3. static Box<dim> domain(), where events live (a positive, finite width in every dimension)
//   4. a const call operator, templated on the parameter scalar S and the coordinate scalar X, that
//      returns the unnormalised density (>= 0, finite) as an S: callable with (S, X) = (float, float),
//      (double, double), (Dual<float, P>, float) and (Dual<double, P>, double)
//   5. optional: truth(), lower_bounds(), upper_bounds(), names(), name()
// Use sagips::math functions inside operator() (they have the Dual overloads). Check the derivatives
// with sagips::testing::check_theory_gradient (sagips/testing/gradients.hpp).

#include <cxxabi.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>
#include <type_traits>
#include <utility>
#include <typeinfo>

#include "sagips/autodiff/dual.hpp"
#include "sagips/runtime/error.hpp"

namespace sagips::sim {

template <int D>
struct Box {
  std::array<double, D> lower{}, upper{};
};

namespace detail {
template <class T, class = void>
struct has_truth : std::false_type {};
template <class T>
struct has_truth<T, std::void_t<decltype(T::truth())>> : std::true_type {};
template <class T, class = void>
struct has_region : std::false_type {};
template <class T>
struct has_region<T, std::void_t<decltype(bool(T::in_region(std::declval<const double*>())))>> : std::true_type {};
template <class T, class = void>
struct has_bounds : std::false_type {};
template <class T>
struct has_bounds<T, std::void_t<decltype(T::lower_bounds()), decltype(T::upper_bounds())>> : std::true_type {};
template <class T, class = void>
struct has_names : std::false_type {};
template <class T>
struct has_names<T, std::void_t<decltype(T::names())>> : std::true_type {};
template <class T, class = void>
struct has_name : std::false_type {};
template <class T>
struct has_name<T, std::void_t<decltype(T::name())>> : std::true_type {};

// The call operator with parameter scalar S and coordinate scalar X, returning an S.
template <class Theory, class S, class X, class = void>
struct density_callable : std::false_type {};
template <class Theory, class S, class X>
struct density_callable<Theory, S, X,
                        std::void_t<decltype(std::declval<const Theory&>()(std::declval<const S*>(),
                                                                            std::declval<const X*>()))>>
    : std::is_convertible<decltype(std::declval<const Theory&>()(std::declval<const S*>(), std::declval<const X*>())),
                          S> {};

template <class Theory, class = void>
struct count_of {  // num_params and dim, when both are integral constants
  static constexpr bool ok = false;
  static constexpr int params = 1, dim = 1;
};
template <class Theory>
struct count_of<Theory, std::void_t<std::integral_constant<int, Theory::num_params>,
                                    std::integral_constant<int, Theory::dim>>> {
  static constexpr bool ok = true;
  static constexpr int params = Theory::num_params, dim = Theory::dim;
};

template <class Theory, int D, class = void>
struct has_domain : std::false_type {};
template <class Theory, int D>
struct has_domain<Theory, D, std::void_t<decltype(Theory::domain())>>
    : std::is_convertible<decltype(Theory::domain()), Box<D>> {};

template <class Theory>
struct TheoryContract {
  using Counts = count_of<Theory>;
  static constexpr bool counts = Counts::ok;
  static constexpr bool params_positive = Counts::params >= 1;
  static constexpr bool dim_positive = Counts::dim >= 1;
  static constexpr bool domain = has_domain<Theory, Counts::dim>::value;
  static constexpr bool plain_call =
      density_callable<Theory, float, float>::value && density_callable<Theory, double, double>::value;
  static constexpr int duals = Counts::params >= 1 ? Counts::params : 1;
  static constexpr bool dual_call = density_callable<Theory, autodiff::Dual<float, duals>, float>::value &&
                                    density_callable<Theory, autodiff::Dual<double, duals>, double>::value;
  static constexpr bool holds = counts && params_positive && dim_positive && domain && plain_call && dual_call;
};
}  // namespace detail

// True when Theory meets the contract; otherwise the first point it misses, as a static_assert (the
// compiler's note "required from check_theory<Theory>" names the theory).
template <class Theory>
constexpr bool check_theory() {
  using C = detail::TheoryContract<Theory>;
  static_assert(C::counts, "a theory needs `static constexpr int num_params` and `static constexpr int dim`");
  static_assert(!C::counts || C::params_positive, "a theory's num_params must be at least 1");
  static_assert(!C::counts || C::dim_positive, "a theory's dim (the event dimension) must be at least 1");
  static_assert(!C::counts || C::domain, "a theory needs `static Box<dim> domain()`, the region where events live");
  static_assert(!C::counts || C::plain_call,
                "a theory's operator() must be a template on the parameter and coordinate scalars: "
                "`template <class S, class X> S operator()(const S* p, const X* x) const`");
  static_assert(!C::counts || !C::plain_call || C::dual_call,
                "a theory's operator() must accept Dual<T, num_params> parameters with T coordinates "
                "(write it with the parameter scalar S and sagips::math functions throughout)");
  return C::holds;
}

namespace detail {
template <class T, class = void>
struct is_theory : std::false_type {};
template <class T>
struct is_theory<T, std::enable_if_t<TheoryContract<T>::holds>> : std::true_type {};
}  // namespace detail

template <class T>
inline constexpr bool has_truth_v = detail::has_truth<T>::value;
template <class T>
inline constexpr bool has_bounds_v = detail::has_bounds<T>::value;
// Optional: `static bool in_region(const double* event)`, the selection (cuts) inside the domain where
// a theory's density is defined; the maximum-likelihood fit reads only the events it selects, as an
// analysis applies its cuts to the data.
template <class T>
inline constexpr bool has_region_v = detail::has_region<T>::value;
template <class T>
inline constexpr bool has_names_v = detail::has_names<T>::value;
template <class T>
inline constexpr bool is_theory_v = detail::is_theory<T>::value;

// A readable name: Theory::name() when the theory has one, else its demangled type name.
template <class Theory>
std::string theory_name() {
  if constexpr (detail::has_name<Theory>::value) {
    return Theory::name();
  } else {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(typeid(Theory).name(), nullptr, nullptr, &status),
                                             std::free);
    return status == 0 && d ? std::string(d.get()) : std::string(typeid(Theory).name());
  }
}

// The parameters' names: Theory::names() when the theory has them, else p0, p1, ...
template <class Theory>
std::vector<std::string> parameter_names() {
  std::vector<std::string> names;
  if constexpr (has_names_v<Theory>) {
    for (const char* n : Theory::names()) names.push_back(n);
  } else {
    for (int j = 0; j < Theory::num_params; ++j) names.push_back("p" + std::to_string(j));
  }
  return names;
}

// The parameters' true values when the theory states them (Theory::truth()), else none.
template <class Theory>
std::vector<double> truth_values() {
  if constexpr (has_truth_v<Theory>) {
    const auto t = Theory::truth();
    return std::vector<double>(t.begin(), t.end());
  } else {
    return {};
  }
}

// The domain, checked: every dimension must have a positive, finite width.
template <class Theory>
Box<Theory::dim> checked_domain() {
  const Box<Theory::dim> box = Theory::domain();
  for (int d = 0; d < Theory::dim; ++d)
    SAGIPS_REQUIRE(box.upper[d] > box.lower[d] && box.upper[d] - box.lower[d] < 1e300,
                   "theory domain: dimension " << d << " is [" << box.lower[d] << ", " << box.upper[d]
                                               << "], which has no positive finite width");
  return box;
}

}  // namespace sagips::sim
