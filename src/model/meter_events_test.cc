#include "model/meter_events.h"

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace dc::model {
namespace {

std::string Dir(const char* name) {
  std::string d = std::string(DC_BINARY_DIR) + "/meter_events_test_" + name;
  std::filesystem::remove_all(d);
  return d;
}

TEST(MeterEvents, AddListRemovePersist) {
  std::string dir = Dir("basic");
  {
    MeterEvents ev(Env::Default(), dir);
    auto none = ev.Swaps("plant-a", "grid-in");
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_TRUE(none->empty());
    ASSERT_TRUE(ev.Add("plant-a", "grid-in", {200, 5000, 0, "new meter #2"}).ok());
    ASSERT_TRUE(ev.Add("plant-a", "grid-in", {100, 3000.5, 10, ""}).ok());
    ASSERT_TRUE(ev.Add("plant-a", "grid-2", {100, 1, 2, ""}).ok());
    EXPECT_EQ(ev.Add("plant-a", "grid-in", {100, 1, 1, ""}).code(),
              absl::StatusCode::kAlreadyExists);
  }
  MeterEvents ev(Env::Default(), dir);  // a new instance reads the file
  auto swaps = ev.Swaps("plant-a", "grid-in");
  ASSERT_TRUE(swaps.ok()) << swaps.status();
  ASSERT_EQ(swaps->size(), 2u);
  EXPECT_EQ((*swaps)[0].t, 100);  // sorted by time
  EXPECT_EQ((*swaps)[0].old_final, 3000.5);
  EXPECT_EQ((*swaps)[1].note, "new meter #2");
  auto counter = ToCounterSwaps(*swaps);
  EXPECT_TRUE(CounterSwapsValid(counter));
  EXPECT_EQ(counter[1].old_final, 5000);
  EXPECT_EQ(ev.Remove("plant-a", "grid-in", 150).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(ev.Remove("plant-a", "grid-in", 100).ok());
  EXPECT_EQ(ev.Swaps("plant-a", "grid-in")->size(), 1u);
  EXPECT_EQ(ev.Swaps("plant-a", "grid-2")->size(), 1u);
  EXPECT_TRUE(ev.Swaps("plant-b", "grid-in")->empty());  // sites never share a file
  // Private to the owner.
  struct stat st;
  ASSERT_EQ(stat(ev.PathOf("plant-a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(ev.PathOf("plant-a") + ".tmp"));
}

TEST(MeterEvents, BadInputIsRefusedAndChangesNothing) {
  std::string dir = Dir("bad");
  MeterEvents ev(Env::Default(), dir);
  ASSERT_TRUE(ev.Add("s", "m", {1, 10, 0, ""}).ok());
  for (MeterSwap bad :
       {MeterSwap{2, std::nan(""), 0, ""}, MeterSwap{2, 1, -1, ""}, MeterSwap{2, 1, INFINITY, ""},
        MeterSwap{2, 1, 0, "a\nb"}, MeterSwap{2, 1, 0, std::string(501, 'x')},
        MeterSwap{2, 1, 0, std::string("\xff\xfe")}}) {
    EXPECT_EQ(ev.Add("s", "m", bad).code(), absl::StatusCode::kInvalidArgument) << bad.note;
  }
  for (const char* site : {"", "../etc", "A", "a/b", "a.json"}) {
    EXPECT_EQ(ev.Add(site, "m", {2, 1, 0, ""}).code(), absl::StatusCode::kInvalidArgument) << site;
    EXPECT_EQ(ev.Swaps(site, "m").status().code(), absl::StatusCode::kInvalidArgument) << site;
  }
  EXPECT_EQ(ev.Add("s", "", {2, 1, 0, ""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ev.Add("s", "m\x01", {2, 1, 0, ""}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ev.Swaps("s", "m")->size(), 1u);
}

TEST(MeterEvents, CorruptFileIsDataLossNamingTheFile) {
  std::string dir = Dir("corrupt");
  MeterEvents ev(Env::Default(), dir);
  ASSERT_TRUE(ev.Add("s", "m", {1, 10, 0, ""}).ok());
  const std::string path = ev.PathOf("s");
  for (
      const char* text :
      {"{", "[]", R"({"version":2,"meters":{}})", R"({"version":1})",
       R"({"version":1,"meters":{"m":[{"t_ns":"x"}]}})",
       R"({"version":1,"meters":{"m":[{"t_ns":1,"old_final":-1,"new_initial":0}]}})",
       R"({"version":1,"meters":{"m":[{"t_ns":1,"old_final":1,"new_initial":0},{"t_ns":1,"old_final":2,"new_initial":0}]}})"}) {
    std::ofstream(path, std::ios::trunc) << text;
    auto r = ev.Swaps("s", "m");
    ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << text;
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status();
    // A write never replaces a file it cannot read.
    EXPECT_EQ(ev.Add("s", "m", {5, 1, 0, ""}).code(), absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace dc::model
