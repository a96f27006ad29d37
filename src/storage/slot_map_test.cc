// SlotMap (engine series id -> series number in one segment file) agrees with a plain map in
// both of its forms, dense (the file holds most ids of its range) and sparse; Version shares a
// map between files holding the same series and only then.
#include <map>
#include <random>

#include "gtest/gtest.h"
#include "storage/engine.h"

namespace dc {
namespace {

using engine_internal::SlotMap;
using engine_internal::Version;

// Checks every id in [lo, hi] against the reference.
void ExpectSame(const std::map<uint32_t, uint32_t>& ref, const SlotMap& m, uint64_t lo,
                uint64_t hi) {
  for (uint64_t id = lo; id <= hi; ++id) {
    auto it = ref.find(static_cast<uint32_t>(id));
    const int64_t want = it == ref.end() ? -1 : int64_t{it->second};
    ASSERT_EQ(m.NumberOf(static_cast<uint32_t>(id)), want) << "id " << id;
  }
}

TEST(SlotMapTest, AgreesWithAMapDenseAndSparse) {
  std::mt19937 rng(7);
  // keep: the share of ids in [base, base + 4000) the file holds (dense from 1/2 up).
  for (double keep : {1.0, 0.9, 0.5, 0.45, 0.1, 0.001}) {
    for (uint32_t base : {0u, 1u, 1000u, UINT32_MAX - 4000u}) {
      std::vector<uint32_t> ids;  // by series number: a file lists series in key order
      std::bernoulli_distribution take(keep);
      for (uint32_t i = 0; i < 4000; ++i) {
        if (take(rng)) ids.push_back(base + i);
      }
      std::shuffle(ids.begin(), ids.end(), rng);
      std::map<uint32_t, uint32_t> ref;
      for (size_t n = 0; n < ids.size(); ++n) ref[ids[n]] = static_cast<uint32_t>(n);
      SlotMap m(ids);
      ExpectSame(ref, m, base > 100 ? base - 100 : 0, std::min<uint64_t>(UINT32_MAX, base + 4100u));
      EXPECT_TRUE(m.Same(ids, SlotMap::Print(ids)));
    }
  }
}

TEST(SlotMapTest, EmptyAndSingle) {
  SlotMap empty({});
  EXPECT_EQ(empty.NumberOf(0), -1);
  EXPECT_EQ(empty.NumberOf(UINT32_MAX), -1);
  SlotMap one({UINT32_MAX - 1});
  EXPECT_EQ(one.NumberOf(UINT32_MAX - 1), 0);
  EXPECT_EQ(one.NumberOf(UINT32_MAX), -1);
  EXPECT_EQ(one.NumberOf(UINT32_MAX - 2), -1);
  EXPECT_EQ(one.NumberOf(0), -1);
  SlotMap two({3'000'000, 3});  // far apart: sparse
  EXPECT_EQ(two.NumberOf(3), 1);
  EXPECT_EQ(two.NumberOf(3'000'000), 0);
  EXPECT_EQ(two.NumberOf(4), -1);
}

TEST(SlotMapTest, VersionSharesAMapOnlyBetweenFilesOfTheSameSeries) {
  Version v;
  const std::vector<uint32_t> a = {5, 2, 9, 7}, same_ids_other_order = {2, 5, 9, 7},
                              fewer = {5, 2, 9}, more = {5, 2, 9, 7, 8};
  auto ma = v.ShareOrMake(a);
  v.slots[reinterpret_cast<const dc::SegmentReader*>(0x10)] = ma;
  EXPECT_EQ(v.ShareOrMake(a), ma);
  for (const auto& other : {same_ids_other_order, fewer, more}) {
    auto m = v.ShareOrMake(other);
    EXPECT_NE(m, ma);
    for (size_t n = 0; n < other.size(); ++n) EXPECT_EQ(m->NumberOf(other[n]), int64_t(n));
  }
}

}  // namespace
}  // namespace dc
