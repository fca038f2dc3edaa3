// What a training rank works from (train/inputs.hpp): a step's random streams are the model's (one
// sequence per model and data set, each rank's counters at its first parameter set), a model's data is
// the whole data set or its own bootstrap resample, and the shard's spec is the configuration's.
#include <doctest/doctest.h>

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <sagips/core/random.hpp>
#include <sagips/core/views.hpp>
#include <sagips/train/config.hpp>
#include <sagips/train/inputs.hpp>
#include <set>

namespace {

namespace train = sagips::train;
using sagips::HostMatrix;
using sagips::random::Purpose;

HostMatrix<float> numbered(int n) {  // row i is (i, -i): each row says which event it is
  HostMatrix<float> h("numbered", n, 2);
  for (int i = 0; i < n; ++i) {
    h(i, 0) = static_cast<float>(i);
    h(i, 1) = -static_cast<float>(i);
  }
  return h;
}

}  // namespace

TEST_CASE("a step's streams: one sequence per model and data set, each rank's counters at its first set") {
  train::TrainerConfig c;
  c.seed = 7;
  c.param_samples = 4;
  const train::Membership model0{0, 2, 3}, model1{1, 2, 3};
  constexpr auto noise = Purpose::generator_noise;
  const auto a = train::step_keys(c, model0, 0, 0, 11), b = train::step_keys(c, model0, 2, 0, 11);
  CHECK(a.key(noise) == b.key(noise));  // the ranks of a model draw from one sequence
  CHECK(a.first_set == 0);
  CHECK(b.first_set == 8);                                // rank 2 starts at the model's set 2 x 4
  CHECK(b.first_event(16) == 128);
  std::set<std::uint64_t> streams;
  for (const auto& m : {model0, model1})
    for (int data_set = 0; data_set < 3; ++data_set) streams.insert(train::step_keys(c, m, 0, data_set, 11).stream);
  CHECK(streams.size() == 6);  // two models x three data sets: six sequences
  CHECK(train::step_keys(c, model0, 0, 0, 12).key(noise) != a.key(noise));  // a new step
  c.seed = 8;
  CHECK(train::step_keys(c, model0, 0, 0, 11).key(noise) != a.key(noise));  // a new seed
}

TEST_CASE("a model's data: the data set itself, or with the bootstrap and several models its own resample") {
  const auto data = numbered(200);
  HostMatrix<const float> whole = data;
  train::TrainerConfig c;
  c.bootstrap = false;
  CHECK(train::member_data(c, train::Membership{1, 4, 1}, whole).data() == whole.data());
  c.bootstrap = true;
  CHECK(train::member_data(c, train::Membership{0, 1, 4}, whole).data() == whole.data());  // one model: no resample

  const auto r0 = train::member_data(c, train::Membership{0, 4, 1}, whole);
  const auto r0_again = train::member_data(c, train::Membership{0, 4, 1}, whole);
  const auto r1 = train::member_data(c, train::Membership{1, 4, 1}, whole);
  REQUIRE(r0.extent(0) == 200);
  REQUIRE(r0.extent(1) == 2);
  int same_as_other_model = 0;
  std::set<int> drawn;
  for (int i = 0; i < 200; ++i) {
    const int k = static_cast<int>(r0(i, 0));
    REQUIRE(r0(i, 1) == -r0(i, 0));  // whole rows of the data
    CHECK(r0_again(i, 0) == r0(i, 0));  // the same resample every time for the same model and data seed
    same_as_other_model += r1(i, 0) == r0(i, 0);
    drawn.insert(k);
  }
  CHECK(same_as_other_model < 20);  // another model, another resample (1 in 200 per row by chance)
  // With replacement: about 1 - 1/e = 63% of the events appear.
  CHECK(drawn.size() > 100);
  CHECK(drawn.size() < 150);
  c.data_seed += 1;
  const auto other_seed = train::member_data(c, train::Membership{0, 4, 1}, whole);
  int same = 0;
  for (int i = 0; i < 200; ++i) same += other_seed(i, 0) == r0(i, 0);
  CHECK(same < 20);
}

TEST_CASE("the shard's spec is the configuration's") {
  train::TrainerConfig c;
  c.shard_fraction = 0.25;
  c.shard_layout = sagips::sim::ShardLayout::strata;
  c.param_samples = 6;
  c.events_per_sample = 48;
  const auto s = train::shard_spec(c);
  CHECK(s.fraction == 0.25);
  CHECK(s.layout == sagips::sim::ShardLayout::strata);
  CHECK(s.sets_per_rank == 6);
  CHECK(s.events_per_set == 48);
  CHECK(s.count == 0);
}
