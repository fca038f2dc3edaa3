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
// Use sagips::math functions inside operator() (they have the Dual overloads).

#include <cxxabi.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "sagips/autodiff/dual.hpp"
#include "sagips/core/error.hpp"

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
struct has_bounds : std::false_type {};
template <class T>
struct has_bounds<T, std::void_t<decltype(T::lower_bounds()), decltype(T::upper_bounds())>> : std::true_type {};
template <class T, class = void>
struct has_names : std::false_type {};
template <class T>
struct has_names<T, std::void_t<decltype(T::names())>> : std::true_type {};
template <class T, class = void>
struct is_theory : std::false_type {};
template <class T>
struct is_theory<T, std::void_t<decltype(T::num_params), decltype(T::dim), decltype(T::domain())>>
    : std::bool_constant<(T::num_params > 0) && (T::dim > 0)> {};
}  // namespace detail

namespace detail {
template <class T, class = void>
struct has_name : std::false_type {};
template <class T>
struct has_name<T, std::void_t<decltype(T::name())>> : std::true_type {};
}  // namespace detail

template <class T>
inline constexpr bool has_truth_v = detail::has_truth<T>::value;
template <class T>
inline constexpr bool has_bounds_v = detail::has_bounds<T>::value;
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
