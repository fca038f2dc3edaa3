#pragma once
// Several data sets, one set of physics parameters: the parameter vector of a joint fit, and each
// data set's theory seen through it.
//
// A global fit shares the physics parameters between its data sets and gives each data set its own
// nuisance parameters (a nuclear correction for a deuteron target, a detector's scale, ...). Here each
// data set has its own theory; its first `Shared` parameters are the shared ones (the same meaning,
// bounds, names and truth in every data set: checked when the bounds are read), the rest its own.
// Joint<Shared, Theories...> lays them out in one vector, the generator's output:
//
//   [ shared (Shared) | data set 0's own | data set 1's own | ... ]
//
//   using J = sagips::sim::Joint<4, Dis<Proton, 140>, Dis<Proton, 63>, Dis<Deuteron, 89>>;   // 4 + 0 + 0 + 1
//   J::DataSet<2> theory;          // the deuteron's density over all 5 parameters (a theory itself)
//   J::names()                     // lambda_u, K_u, lambda_d, K_d, h_D[2]
//
// DataSet<K> reads the shared parameters and its own, so its gradient with respect to another data
// set's nuisances is zero: that data set's ranks move them, and the exchange carries them to all.
// A nuisance's name carries its data set's index ("h_D[2]"), so two data sets may both call theirs
// "norm". Every theory must state lower_bounds() and upper_bounds() (the generator's range); truth()
// and names() are used when every theory states them.

#include <Kokkos_Core.hpp>
#include <array>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "sagips/runtime/error.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

template <int Shared, class... Theories>
struct Joint {
  static_assert(sizeof...(Theories) >= 1, "Joint: name at least one data set's theory");
  static_assert(Shared >= 1, "Joint: at least one parameter must be shared (else fit the data sets apart)");
  static_assert(((Theories::num_params >= Shared) && ...),
                "Joint: every data set's theory has the shared parameters first, so at least Shared of them");
  static_assert((has_bounds_v<Theories> && ...), "Joint: every data set's theory states lower_bounds() and upper_bounds()");

  static constexpr int data_sets = sizeof...(Theories);
  static constexpr int num_params = Shared + ((Theories::num_params - Shared) + ...);
  template <int K>
  using theory_at = std::tuple_element_t<K, std::tuple<Theories...>>;

  // Where data set K's own parameters start in the joint vector.
  template <int K>
  static constexpr int offset() {
    constexpr int own[] = {(Theories::num_params - Shared)...};
    int o = Shared;
    for (int k = 0; k < K; ++k) o += own[k];
    return o;
  }

  // Data set K's theory over the joint parameters: a theory in its own right (sim/theory.hpp), whose
  // names, bounds and truth are the joint vector's.
  template <int K>
  struct DataSet {
    using Inner = theory_at<K>;
    static constexpr int num_params = Joint::num_params;
    static constexpr int dim = Inner::dim;
    static constexpr int first_own = offset<K>();

    Inner inner{};

    template <class S, class X>
    KOKKOS_INLINE_FUNCTION S operator()(const S* p, const X* x) const {
      S q[Inner::num_params];
      for (int j = 0; j < Shared; ++j) q[j] = p[j];
      for (int j = Shared; j < Inner::num_params; ++j) q[j] = p[first_own + j - Shared];
      return inner(q, x);
    }
    static Box<dim> domain() { return Inner::domain(); }
    static bool in_region(const double* event) {
      if constexpr (has_region_v<Inner>) return Inner::in_region(event);
      else return (void)event, true;
    }
    static std::string name() { return theory_name<Inner>(); }
    static std::array<double, num_params> lower_bounds() { return Joint::lower_bounds(); }
    static std::array<double, num_params> upper_bounds() { return Joint::upper_bounds(); }
    static std::array<const char*, num_params> names() { return Joint::names(); }
    template <class J = Joint, class = std::enable_if_t<J::has_truth>>
    static std::array<double, num_params> truth() { return Joint::truth(); }
  };

  static constexpr bool has_truth = (has_truth_v<Theories> && ...);

  static std::array<double, num_params> lower_bounds() {
    return gather("lower bound", [](auto t) { return decltype(t)::type::lower_bounds(); });
  }
  static std::array<double, num_params> upper_bounds() {
    return gather("upper bound", [](auto t) { return decltype(t)::type::upper_bounds(); });
  }
  template <class J = Joint, class = std::enable_if_t<J::has_truth>>
  static std::array<double, num_params> truth() {
    return gather("true value", [](auto t) { return decltype(t)::type::truth(); });
  }
  // The shared parameters' names, then each nuisance's as "name[data set]"; the strings live as long
  // as the program.
  static std::array<const char*, num_params> names() {
    static const std::vector<std::string> all = [] {
      std::vector<std::string> n;
      int k = 0;
      auto add = [&](auto t) {
        const auto own = parameter_names<typename decltype(t)::type>();
        if (k == 0)
          for (int j = 0; j < Shared; ++j) n.push_back(own[j]);
        for (std::size_t j = Shared; j < own.size(); ++j) n.push_back(own[j] + "[" + std::to_string(k) + "]");
        ++k;
      };
      (add(std::common_type<Theories>{}), ...);
      return n;
    }();
    std::array<const char*, num_params> out{};
    for (int j = 0; j < num_params; ++j) out[j] = all[j].c_str();
    return out;
  }

 private:
  // Data set 0's shared values, each data set's own values after them; a shared value that another
  // data set states differently is an error naming both.
  template <class Get>
  static std::array<double, num_params> gather(const char* what, Get get) {
    std::array<double, num_params> out{};
    int k = 0, at = Shared;
    auto add = [&](auto t) {
      using Th = typename decltype(t)::type;
      const auto v = get(t);
      const auto names = parameter_names<Th>();
      for (int j = 0; j < Shared; ++j) {
        if (k == 0) out[j] = v[j];
        SAGIPS_REQUIRE(v[j] == out[j], "joint fit: data set " << k << " (" << theory_name<Th>() << ") gives the shared "
                                                              << "parameter " << names[j] << " the " << what << " "
                                                              << v[j] << ", data set 0 gives it " << out[j]);
      }
      for (int j = Shared; j < Th::num_params; ++j) out[at++] = v[j];
      ++k;
    };
    (add(std::common_type<Theories>{}), ...);
    return out;
  }
};

}  // namespace sagips::sim
