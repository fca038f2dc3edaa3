// BinaryWriter/BinaryReader: round trip, and clear errors on a wrong name, size, type or truncation.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <sagips/runtime/serialize.hpp>
#include <sstream>

TEST_CASE("sections round-trip: value, string, vector and a View") {
  Kokkos::View<float*> v("v", 5);
  Kokkos::parallel_for(5, KOKKOS_LAMBDA(int i) { v(i) = 0.5f * i; });
  std::stringstream buf;
  sagips::BinaryWriter w(buf);
  w.value("step", std::int64_t{42});
  w.string("config", "lr=1e-4");
  w.vector("doubles", std::vector<double>{1.5, -2.0});
  w.view("params", v);

  Kokkos::View<float*> back("back", 5);
  std::int64_t step = 0;
  std::string config;
  std::vector<double> d;
  sagips::BinaryReader r(buf);
  r.value("step", step);
  r.string("config", config);
  r.vector("doubles", d);
  r.view("params", back);
  CHECK(step == 42);
  CHECK(config == "lr=1e-4");
  CHECK(d == std::vector<double>{1.5, -2.0});
  auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), back);
  for (int i = 0; i < 5; ++i) CHECK(h(i) == 0.5f * i);
}

TEST_CASE("a mismatch is a clear error") {
  std::stringstream buf;
  sagips::BinaryWriter w(buf);
  w.view("params", Kokkos::View<float*>("p", 4));
  const std::string bytes = buf.str();

  auto read_into = [&](const std::string& name, auto view) {
    std::stringstream in(bytes);
    sagips::BinaryReader r(in, "ckpt.bin");
    r.view(name, view);
  };
  CHECK_THROWS_WITH_AS(read_into("weights", Kokkos::View<float*>("x", 4)),
                       "ckpt.bin: expected section 'weights', found 'params'", sagips::Error);
  CHECK_THROWS_WITH_AS(read_into("params", Kokkos::View<float*>("x", 5)),
                       "ckpt.bin: section 'params' holds 4 elements, expected 5", sagips::Error);
  CHECK_THROWS_WITH_AS(read_into("params", Kokkos::View<double*>("x", 4)),
                       "ckpt.bin: section 'params' has 4-byte elements, expected 8", sagips::Error);
  std::stringstream cut(bytes.substr(0, bytes.size() - 3));
  sagips::BinaryReader r(cut, "ckpt.bin");
  Kokkos::View<float*> x("x", 4);
  CHECK_THROWS_WITH_AS(r.view("params", x), "ckpt.bin: truncated in section 'params'", sagips::Error);
}
