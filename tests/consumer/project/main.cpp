// A program written against the installed sagips headers only: MPI, Kokkos, a dual number,
// the counter-based generator, a network with an activation of the user's own (docs/networks.md's
// ELU) and an optimizer of the user's own (docs/training.md's sign descent), all through
// #include <sagips/...>.
#include <sagips/sagips.hpp>

#include <cmath>
#include <cstdio>
#include <string>

template <class T>
class SignDescent {
 public:
  static constexpr const char* name = "sign-descent";
  SignDescent(std::size_t, const sagips::optim::Settings& s) : lr_(static_cast<T>(s.lr)) {}
  void step(sagips::Vector<T> params, sagips::ConstVector<T> grads) {
    const T lr = lr_;
    Kokkos::parallel_for(
        "sign_descent", Kokkos::RangePolicy<sagips::ExecSpace>(0, params.extent(0)), KOKKOS_LAMBDA(std::size_t i) {
          params(i) -= grads(i) > T(0) ? lr : (grads(i) < T(0) ? -lr : T(0));
        });
  }
  void set_lr(T lr) { lr_ = lr; }
  void save(sagips::BinaryWriter& w, const std::string& section) const { w.value(section + ".lr", lr_); }
  void load(sagips::BinaryReader& r, const std::string& section) { r.value(section + ".lr", lr_); }

 private:
  T lr_;
};
static_assert(sagips::optim::check_optimizer<SignDescent, float>(), "");

// ELU: z for z > 0, a (e^z - 1) below (a: the layer's slope parameter); its derivative from the output.
struct Elu {
  template <class T>
  KOKKOS_INLINE_FUNCTION static T apply(T z, T a) { return z > T(0) ? z : a * sagips::math::expm1(z); }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T y, T a) { return y > T(0) ? T(1) : y + a; }
};
static_assert(sagips::nn::check_activation<Elu>(), "");

// A pointwise loss of the user's own (docs/training.md's): l and dl/do only; Pointwise brings the loop.
struct PseudoHuber : sagips::loss::Pointwise<PseudoHuber> {
  static constexpr const char* name = "pseudo-huber";
  template <class T>
  KOKKOS_INLINE_FUNCTION static T value(T o, bool real) {
    const T e = real ? o - T(1) : o;
    return sagips::math::sqrt(T(1) + e * e) - T(1);
  }
  template <class T>
  KOKKOS_INLINE_FUNCTION static T derivative(T o, bool real) {
    const T e = real ? o - T(1) : o;
    return e / sagips::math::sqrt(T(1) + e * e);
  }
};
static_assert(sagips::loss::check_loss<sagips::loss::Choice<sagips::loss::LeastSquares, PseudoHuber>>(), "");

int main(int argc, char** argv) {
  return sagips::run_main(argc, argv, [](sagips::Environment& env) {
    using D = sagips::autodiff::Dual<double, 1>;
    const D x = D::variable(2.0, 0);
    const D y = sagips::math::exp(x) * x;  // d/dx (x e^x) = (1 + x) e^x
    const double expected = 3.0 * std::exp(2.0);
    int ok = std::abs(y.d[0] - expected) < 1e-12 ? 1 : 0;
    double local = 0;
    const sagips::random::CounterRng rng(sagips::random::stream_key(1, env.rank(), 1));
    Kokkos::parallel_reduce(
        "mean", 4000, KOKKOS_LAMBDA(int i, double& acc) { acc += rng.uniform<double>(i); }, local);
    // A dense network's forward pass: Eigen's matrix products in this translation unit, which must
    // compile warning-free under -Wall -Wextra -Werror with the native instruction set.
    sagips::nn::Mlp<2, 1, sagips::nn::Hidden<16, 16>, Elu> net;
    auto ctx = net.make_context(64);
    sagips::Matrix<float> in("in", 64, 2);
    Kokkos::deep_copy(in, 0.5f);
    const auto out = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.forward(ctx, in));
    if (!std::isfinite(out(0, 0))) ok = 0;
    // The user's optimizer, chosen by name beside the built-ins, one step of 0.25 down a positive gradient.
    sagips::optim::Settings settings;
    settings.lr = 0.25;
    sagips::optim::Choice<sagips::optim::Adam, sagips::optim::Sgd, SignDescent>::For<float> opt(4, "sign-descent",
                                                                                             settings);
    sagips::Vector<float> params("params", 4), grads("grads", 4);
    Kokkos::deep_copy(params, 1.0f);
    Kokkos::deep_copy(grads, 3.0f);
    opt.step(params, grads);
    const auto stepped = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
    if (stepped(3) != 0.75f) ok = 0;
    // The user's loss, chosen by name: o = 1 on fake events costs sqrt(2) - 1 each.
    const sagips::loss::Choice<sagips::loss::LeastSquares, PseudoHuber> loss("pseudo-huber");
    sagips::Matrix<double> o("o", 8, 1), d_o("d_o", 8, 1);
    Kokkos::deep_copy(o, 1.0);
    const double l = loss.evaluate<double>(o, sagips::loss::Label::fake, {}, 8.0, d_o, {});
    if (std::abs(l - (std::sqrt(2.0) - 1)) > 1e-12) ok = 0;
    int all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, env.comm());
    if (env.is_root())
      std::printf("consumer: %d rank(s), %s, derivative %s, uniform mean on rank 0 %.3f\n", env.size(),
                  env.execution_space().c_str(), all_ok ? "ok" : "WRONG", local / 4000);
    return all_ok ? 0 : 1;
  });
}
