// Losses against finite differences (with weights), numerical stability, and the optimizers: an Adam
// step by hand, SGD with momentum, exact save/restore, and a small regression that converges.
#include <doctest/doctest.h>

#include <cmath>
#include <sagips/loss.hpp>
#include <sagips/nn.hpp>
#include <sagips/optim.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "user_loss.hpp"

using sagips::loss::Label;

TEST_CASE_TEMPLATE("each loss's gradients in o and in the weights match finite differences", L,
                   sagips::loss::LeastSquares, sagips::loss::BceWithLogits, sagips::loss::Wasserstein,
                   user::PseudoHuber) {
  const int n = 6;
  const auto o = gradcheck::random_matrix<double>(n, 1, 3, 2.0);
  sagips::Vector<double> w("w", n);
  auto hw = Kokkos::create_mirror_view(Kokkos::HostSpace(), w);
  for (int i = 0; i < n; ++i) hw(i) = 0.5 + 0.25 * i;
  Kokkos::deep_copy(w, hw);
  for (Label label : {Label::real, Label::fake}) {
    sagips::Matrix<double> d_out("d_out", n, 1);
    sagips::Vector<double> d_w("d_w", n);
    const double value = L::evaluate(sagips::ConstMatrix<double>(o), label, sagips::ConstVector<double>(w), 3.0, d_out, d_w);
    auto ho = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), o);
    auto hd = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d_out);
    auto hdw = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d_w);
    auto eval = [&] {
      return L::evaluate(sagips::ConstMatrix<double>(o), label, sagips::ConstVector<double>(w), 3.0,
                         sagips::Matrix<double>(), sagips::Vector<double>());
    };
    CHECK(eval() == doctest::Approx(value));
    const double h = 1e-6;
    for (int i = 0; i < n; ++i) {
      const double s = ho(i, 0);
      ho(i, 0) = s + h;
      Kokkos::deep_copy(o, ho);
      const double lp = eval();
      ho(i, 0) = s - h;
      Kokkos::deep_copy(o, ho);
      const double lm = eval();
      ho(i, 0) = s;
      Kokkos::deep_copy(o, ho);
      CHECK(hd(i, 0) == doctest::Approx((lp - lm) / (2 * h)).epsilon(1e-7));
      const double sw = hw(i);
      hw(i) = sw + h;
      Kokkos::deep_copy(w, hw);
      const double wp = eval();
      hw(i) = sw - h;
      Kokkos::deep_copy(w, hw);
      const double wm = eval();
      hw(i) = sw;
      Kokkos::deep_copy(w, hw);
      CHECK(hdw(i) == doctest::Approx((wp - wm) / (2 * h)).epsilon(1e-7));
    }
  }
}

TEST_CASE("least squares has the LSGAN targets; BCE with logits stays finite at extreme logits") {
  sagips::Matrix<float> o("o", 2, 1);
  auto h = Kokkos::create_mirror_view(Kokkos::HostSpace(), o);
  h(0, 0) = 1.0f;
  h(1, 0) = 0.0f;
  Kokkos::deep_copy(o, h);
  const sagips::Vector<float> none;
  CHECK(sagips::loss::LeastSquares::evaluate<float>(o, Label::real, none, 2.0f, {}, {}) == doctest::Approx(0.5));
  CHECK(sagips::loss::LeastSquares::evaluate<float>(o, Label::fake, none, 2.0f, {}, {}) == doctest::Approx(0.5));
  h(0, 0) = 100.0f;
  h(1, 0) = -100.0f;
  Kokkos::deep_copy(o, h);
  sagips::Matrix<float> d("d", 2, 1);
  const float real = sagips::loss::BceWithLogits::evaluate<float>(o, Label::real, none, 1.0f, d, {});
  CHECK(std::isfinite(real));
  CHECK(real == doctest::Approx(100.0).epsilon(1e-5));  // softplus(100) from the event at -100
  auto hd = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d);
  CHECK(hd(0, 0) == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(hd(1, 0) == doctest::Approx(-1.0));
  CHECK_THROWS_AS(sagips::loss::LeastSquares::evaluate<float>(o, Label::real, sagips::Vector<float>("w", 3), 1.0f, {}, {}),
                  sagips::Error);
}

TEST_CASE("one Adam step equals the hand computation; state saves and restores exactly") {
  sagips::Vector<double> p("p", 3), g("g", 3);
  auto hp = Kokkos::create_mirror_view(Kokkos::HostSpace(), p);
  auto hg = Kokkos::create_mirror_view(Kokkos::HostSpace(), g);
  const double p0[3] = {1.0, -2.0, 0.5}, g0[3] = {0.1, -0.3, 2.0};
  for (int i = 0; i < 3; ++i) {
    hp(i) = p0[i];
    hg(i) = g0[i];
  }
  Kokkos::deep_copy(p, hp);
  Kokkos::deep_copy(g, hg);
  sagips::optim::Adam<double>::Config c;
  c.lr = 0.01;
  sagips::optim::Adam<double> adam(3, c);
  adam.step(p, g);
  hp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
  for (int i = 0; i < 3; ++i) {
    // t = 1: m = (1 - b1) g, v = (1 - b2) g^2, m_hat = g, v_hat = g^2: step = lr g / (|g| + eps')
    const double m = 0.5 * g0[i], v = 0.001 * g0[i] * g0[i];
    const double expected = p0[i] - 0.01 / 0.5 * m / (std::sqrt(v) / std::sqrt(0.001) + 1e-8);
    CHECK(hp(i) == doctest::Approx(expected).epsilon(1e-14));
  }
  // Save after one step, take two more; a restored copy taking the same two steps agrees exactly.
  std::stringstream buf;
  sagips::BinaryWriter w(buf);
  adam.save(w, "adam");
  auto snapshot = gradcheck::snapshot(p);
  adam.step(p, g);
  adam.step(p, g);
  sagips::optim::Adam<double> restored(3, c);
  sagips::BinaryReader r(buf);
  restored.load(r, "adam");
  CHECK(restored.steps() == 1);
  sagips::Vector<double> q("q", 3);
  Kokkos::deep_copy(q, snapshot);
  restored.step(q, g);
  restored.step(q, g);
  auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
  auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), q);
  for (int i = 0; i < 3; ++i) CHECK(a(i) == b(i));
}

TEST_CASE("SGD with momentum follows b <- mu b + g, theta <- theta - lr b") {
  sagips::Vector<double> p("p", 1), g("g", 1);
  Kokkos::deep_copy(p, 1.0);
  Kokkos::deep_copy(g, 2.0);
  sagips::optim::Sgd<double> sgd(1, {0.1, 0.9});  // Config{lr, momentum}
  sgd.step(p, g);  // b = 2, p = 0.8
  sgd.step(p, g);  // b = 0.9 * 2 + 2 = 3.8, p = 0.8 - 0.38 = 0.42
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
  CHECK(h(0) == doctest::Approx(0.42).epsilon(1e-14));
}

namespace user {
// A user's optimizer, written from the contract in sagips/optim/contract.hpp: sign descent.
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
// Broken ones: no set_lr; a name with a capital letter.
template <class T>
struct NoSetLr {
  static constexpr const char* name = "no-set-lr";
  NoSetLr(std::size_t, const sagips::optim::Settings&) {}
  void step(sagips::Vector<T>, sagips::ConstVector<T>) {}
  void save(sagips::BinaryWriter&, const std::string&) const {}
  void load(sagips::BinaryReader&, const std::string&) {}
};
template <class T>
struct Shouting : SignDescent<T> {
  static constexpr const char* name = "Shouting";
  using SignDescent<T>::SignDescent;
};
}  // namespace user

TEST_CASE("optimizers: Adam, Sgd and a user's meet the contract; a missing member or a bad name does not") {
  namespace o = sagips::optim;
  static_assert(o::check_optimizer<o::Adam, float>() && o::check_optimizer<o::Adam, double>());
  static_assert(o::check_optimizer<o::Sgd, float>() && o::check_optimizer<user::SignDescent, double>());
  static_assert(!o::is_optimizer_v<user::NoSetLr, float>);
  static_assert(!o::is_optimizer_v<user::Shouting, float>);
  CHECK(o::Builtin::names() == std::vector<std::string>{"adam", "sgd"});
}

TEST_CASE("optim::Choice builds the optimizer it is named: the same steps, the same saved state; other names are refused") {
  namespace o = sagips::optim;
  using Choice = o::Choice<o::Adam, o::Sgd, user::SignDescent>;
  o::Settings s;
  s.lr = 0.1;
  s.momentum = 0.5;
  auto run = [](auto& opt) {
    sagips::Vector<double> p("p", 3), g("g", 3);
    auto hg = Kokkos::create_mirror_view(g);
    hg(0) = 1.5, hg(1) = -0.25, hg(2) = 0;
    Kokkos::deep_copy(g, hg);
    Kokkos::deep_copy(p, 1.0);
    for (int k = 0; k < 3; ++k) opt.step(p, g);
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p);
    return std::vector<double>(h.data(), h.data() + 3);
  };
  Choice::For<double> sgd(3, "sgd", s), adam(3, "adam", s), sign(3, "sign-descent", s);
  o::Sgd<double> plain_sgd(3, s);
  o::Adam<double> plain_adam(3, s);
  CHECK(std::string(sgd.name()) == "sgd");
  CHECK(run(sgd) == run(plain_sgd));
  CHECK(run(adam) == run(plain_adam));
  double down = 1, up = 1;
  for (int k = 0; k < 3; ++k) down -= 0.1, up += 0.1;  // the same roundings as three steps
  CHECK(run(sign) == std::vector<double>{down, up, 1});
  // Saved and restored through the choice: the next steps agree.
  std::stringstream bytes;
  sagips::BinaryWriter w(bytes);
  sgd.save(w, "generator.sgd");
  Choice::For<double> restored(3, "sgd", s);
  sagips::BinaryReader r(bytes, "test");
  restored.load(r, "generator.sgd");
  CHECK(run(restored) == run(sgd));
  CHECK_THROWS_WITH_AS(Choice::For<double>(3, "lbfgs", s), "unknown optimizer 'lbfgs' (choose adam, sgd, sign-descent)",
                       sagips::Error);
}

TEST_CASE("a small MLP fits y = sin x with Adam") {
  namespace nn = sagips::nn;
  using Net = nn::Mlp<1, 1, nn::Hidden<32, 32>, nn::Tanh>;
  Net net;
  net.initialize(3);
  const int n = 128;
  sagips::Matrix<float> x("x", n, 1), target("t", n, 1), d("d", n, 1);
  auto hx = Kokkos::create_mirror_view(Kokkos::HostSpace(), x);
  auto ht = Kokkos::create_mirror_view(Kokkos::HostSpace(), target);
  for (int i = 0; i < n; ++i) {
    hx(i, 0) = -3.0f + 6.0f * i / (n - 1);
    ht(i, 0) = std::sin(hx(i, 0));
  }
  Kokkos::deep_copy(x, hx);
  Kokkos::deep_copy(target, ht);
  sagips::optim::Adam<float>::Config c;
  c.lr = 1e-2f;
  c.beta1 = 0.9f;
  sagips::optim::Adam<float> adam(Net::num_params, c);
  auto ctx = net.make_context(n);
  float mse = 0;
  for (int step = 0; step < 1500; ++step) {
    const auto y = net.forward(ctx, x);
    mse = 0;
    Kokkos::parallel_reduce(
        n, KOKKOS_LAMBDA(int i, float& acc) {
          const float e = y(i, 0) - target(i, 0);
          d(i, 0) = 2 * e / n;
          acc += e * e / n;
        },
        mse);
    net.backward(ctx, d, sagips::Matrix<float>(), nn::ParamGrad::overwrite);
    adam.step(net.params(), net.grads());
  }
  CHECK(mse < 1e-3f);
}
