// The watched folder: stable files are imported once and moved; bad files go to failed/.
#include "acquire/folder_source.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

namespace fs = std::filesystem;

class MemorySink final : public Sink {
 public:
  absl::Status Write(const PointBatch& b) override {
    absl::MutexLock l(&mu_);
    if (fail_) return absl::UnavailableError("disk full");
    for (const auto& r : b.rows()) points_.emplace_back(b.keys()[r.series], r.v);
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, double>> points() {
    absl::MutexLock l(&mu_);
    return points_;
  }
  void set_fail(bool f) {
    absl::MutexLock l(&mu_);
    fail_ = f;
  }

 private:
  absl::Mutex mu_;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<std::string, double>> points_ ABSL_GUARDED_BY(mu_);
};

std::string Dir(const std::string& name) {
  fs::path d = fs::path(::testing::TempDir()) / ("folder_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

void Put(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

FolderOptions Options(const std::string& dir) {
  toml::table t{{"path", dir}, {"format", "wide"}, {"map", toml::array{"a=m,id=a value"}}};
  auto o = ParseFolderOptions(t, 0);
  EXPECT_TRUE(o.ok()) << o.status();
  return *o;
}

TEST(FolderSource, StableFileIsImportedOnceAndMovedToDone) {
  std::string dir = Dir("done");
  MemorySink sink;
  FolderSource src(Options(dir), sink);
  Put(dir + "/r.csv", "time,a\n2025-01-01T00:00:00Z,1\n2025-01-01T00:15:00Z,x\n");
  Put(dir + "/skip.txt", "not matched");
  src.PollOnce();  // first sight: not yet known to be stable
  EXPECT_TRUE(sink.points().empty());
  src.PollOnce();
  ASSERT_EQ(sink.points().size(), 1u);
  EXPECT_EQ(sink.points()[0].first, "m,id=a value");
  EXPECT_FALSE(fs::exists(dir + "/r.csv"));
  EXPECT_TRUE(fs::exists(dir + "/done/r.csv"));
  EXPECT_TRUE(absl::StrContains(Read(dir + "/done/r.csv.errors.txt"),
                                "r.csv:3: column 2: \"x\" is not a number"));
  EXPECT_TRUE(fs::exists(dir + "/skip.txt"));
  src.PollOnce();
  src.PollOnce();
  EXPECT_EQ(sink.points().size(), 1u);  // never again
  SourceState st = src.State();
  EXPECT_EQ(st.kind, "folder");
  EXPECT_EQ(st.points, 1);
  EXPECT_EQ(st.messages, 1);
  EXPECT_EQ(st.errors, 1);
  EXPECT_TRUE(absl::StrContains(st.last_error, "1 bad rows")) << st.last_error;
  // The same name again is a new file: imported, kept beside the first.
  Put(dir + "/r.csv", "time,a\n2025-01-02T00:00:00Z,2\n");
  src.PollOnce();
  src.PollOnce();
  EXPECT_EQ(sink.points().size(), 2u);
  EXPECT_TRUE(fs::exists(dir + "/done/r.csv.1"));
}

TEST(FolderSource, GrowingFileWaitsAndBadFileGoesToFailed) {
  std::string dir = Dir("failed");
  MemorySink sink;
  FolderSource src(Options(dir), sink);
  Put(dir + "/g.csv", "time,a\n");
  src.PollOnce();
  Put(dir + "/g.csv", "time,a\n2025-01-01T00:00:00Z,1\n");  // still being written
  src.PollOnce();
  EXPECT_TRUE(fs::exists(dir + "/g.csv"));
  src.PollOnce();
  EXPECT_TRUE(fs::exists(dir + "/done/g.csv"));
  Put(dir + "/bad.csv", "when,a\nx,1\n");
  src.PollOnce();
  src.PollOnce();
  EXPECT_TRUE(fs::exists(dir + "/failed/bad.csv"));
  EXPECT_TRUE(absl::StrContains(Read(dir + "/failed/bad.csv.errors.txt"), "bad.csv:2: time \"x\""))
      << Read(dir + "/failed/bad.csv.errors.txt");
}

TEST(FolderSource, FailedWriteLeavesTheFileForTheNextPoll) {
  std::string dir = Dir("retry");
  MemorySink sink;
  FolderSource src(Options(dir), sink);
  Put(dir + "/r.csv", "time,a\n2025-01-01T00:00:00Z,1\n");
  sink.set_fail(true);
  src.PollOnce();
  src.PollOnce();
  EXPECT_TRUE(fs::exists(dir + "/r.csv"));
  EXPECT_TRUE(absl::StrContains(src.State().last_error, "write failed")) << src.State().last_error;
  sink.set_fail(false);
  src.PollOnce();
  src.PollOnce();
  EXPECT_TRUE(fs::exists(dir + "/done/r.csv"));
  EXPECT_EQ(sink.points().size(), 1u);
}

TEST(FolderOptions, ErrorsNameTheTableAndKey) {
  auto o = ParseFolderOptions(toml::table{{"pattern", "*.csv"}}, 2);
  EXPECT_EQ(o.status().message(), "folder[2]: path is required (the folder to watch)");
  o = ParseFolderOptions(toml::table{{"path", "/x"}, {"colour", "red"}}, 0);
  EXPECT_TRUE(absl::StrContains(o.status().message(), "unknown import option \"colour\""));
  o = ParseFolderOptions(toml::table{{"path", "/x"}, {"poll_interval", "1y"}}, 0);
  EXPECT_FALSE(o.ok());
  o = ParseFolderOptions(toml::table{{"path", "/x"}, {"dayfirst", true}, {"tz", "Asia/Seoul"}}, 0);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->csv.dayfirst);
  EXPECT_EQ(o->name, "folder:/x");
}

}  // namespace
}  // namespace dc::acquire

namespace dc::acquire {
namespace {

// The [[folder]] block of dualcarbon.example.toml, uncommented, is a valid configuration.
TEST(FolderOptions, TheExampleConfigurationParses) {
  std::ifstream in(DC_SOURCE_DIR "/dualcarbon.example.toml");
  std::string line, block;
  bool in_folder = false;
  while (std::getline(in, line)) {
    if (line == "# [[folder]]") in_folder = true;
    if (!in_folder) continue;
    if (absl::StartsWith(line, "# # ")) {  // an optional key: uncomment it too
      block += line.substr(4) + "\n";
    } else if (absl::StartsWith(line, "# ")) {
      block += line.substr(2) + "\n";
    } else {
      break;
    }
  }
  ASSERT_FALSE(block.empty());
  toml::table root = toml::parse(block);
  auto folders = ParseFolders(root);
  ASSERT_TRUE(folders.ok()) << folders.status() << "\n" << block;
  ASSERT_EQ(folders->size(), 1u);
  EXPECT_EQ((*folders)[0].path, "/srv/dualcarbon/inbox");
  EXPECT_EQ((*folders)[0].csv.site, "plant-a");
}

}  // namespace
}  // namespace dc::acquire
