#include "server/config.h"

#include "gtest/gtest.h"

namespace dc::server {
namespace {

TEST(ConfigTest, AppliesEveryKind) {
  ServeConfig c;
  absl::Status s = ApplyConfigToml(R"(
data_dir = "/var/lib/dc"
[http]
listen = "0.0.0.0:9000"
auth = true
threads = 3
max_body_bytes = 1048576
request_timeout = "5s"
[storage]
fsync = "always"
retention = "365d"
compaction_mb_per_s = 0
[log]
level = "debug"
)",
                                   "test.toml", &c);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.data_dir, "/var/lib/dc");
  EXPECT_EQ(c.http.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.http.threads, 3);
  EXPECT_EQ(c.http.max_body_bytes, 1048576u);
  EXPECT_EQ(c.http.request_timeout_ns, 5'000'000'000);
  EXPECT_EQ(c.fsync, "always");
  EXPECT_EQ(c.retention, "365d");
  EXPECT_EQ(c.compaction_mb_per_s, 0);
  EXPECT_EQ(c.log_level, "debug");
}

std::string Error(std::string_view toml) {
  ServeConfig c;
  absl::Status s = ApplyConfigToml(toml, "f.toml", &c);
  EXPECT_FALSE(s.ok()) << toml;
  return std::string(s.message());
}

TEST(ConfigTest, ErrorsNameKeyAndLine) {
  EXPECT_NE(Error("[http]\nlisen = \"x\"\n").find("http.lisen (line 2): unknown key"),
            std::string::npos);
  EXPECT_NE(Error("[http]\nthreads = \"two\"\n").find("must be an integer"), std::string::npos);
  EXPECT_NE(Error("[http]\nlisten = \"nope\"\n").find("HOST:PORT"), std::string::npos);
  EXPECT_NE(Error("[storage]\nfsync = \"sometimes\"\n").find("storage.fsync"), std::string::npos);
  EXPECT_NE(Error("[http]\nidle_timeout = \"0\"\n").find("greater than 0"), std::string::npos);
  EXPECT_NE(Error("[storage]\ncompaction_mb_per_s = -1\n").find("0..100000"), std::string::npos);
  EXPECT_NE(Error("[log]\nlevel = \"loud\"\n").find("log.level"), std::string::npos);
  EXPECT_NE(Error("data_dir = \n").find("f.toml line 1"), std::string::npos);
}

TEST(ListenTest, ParseAndLoopback) {
  auto a = ParseListen("[::1]:8086");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8086);
  EXPECT_EQ(ParseListen(":8086")->host, "");
  EXPECT_FALSE(ParseListen("8086").ok());
  EXPECT_FALSE(ParseListen("h:70000").ok());
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("127.8.9.1"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("localhost"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback(""));
  EXPECT_FALSE(IsLoopback("10.0.0.1"));
  EXPECT_FALSE(IsLoopback("example.com"));
}

}  // namespace
}  // namespace dc::server

namespace dc::server {
namespace {

TEST(ConfigTest, ExampleFileIsValidAndHoldsTheDefaults) {
  ServeConfig defaults;
  ServeConfig c;
  absl::Status s = LoadConfigFile(DC_SOURCE_DIR "/dualcarbon.example.toml", &c);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(c.http.listen, defaults.http.listen);
  EXPECT_EQ(c.http.auth, defaults.http.auth);
  EXPECT_EQ(c.http.max_body_bytes, defaults.http.max_body_bytes);
  EXPECT_EQ(c.http.max_header_bytes, defaults.http.max_header_bytes);
  EXPECT_EQ(c.http.request_timeout_ns, defaults.http.request_timeout_ns);
  EXPECT_EQ(c.http.idle_timeout_ns, defaults.http.idle_timeout_ns);
  EXPECT_EQ(c.http.write_timeout_ns, defaults.http.write_timeout_ns);
  EXPECT_EQ(c.http.shutdown_grace_ns, defaults.http.shutdown_grace_ns);
  EXPECT_EQ(c.fsync, defaults.fsync);
  EXPECT_EQ(c.retention, defaults.retention);
  EXPECT_EQ(c.compaction_mb_per_s, defaults.compaction_mb_per_s);
  EXPECT_EQ(c.log_level, defaults.log_level);
}

TEST(ConfigTest, DeepOrHugeFilesAreErrorsNotCrashes) {
  std::string dots = "[http]\nx";
  for (int i = 0; i < 100000; ++i) dots += ".a";
  dots += " = 1\n";
  std::string e = Error(dots);
  EXPECT_NE(e.find("f.toml line 2, column"), std::string::npos) << e;
  EXPECT_NE(e.find("TOML nests deeper than 32 levels"), std::string::npos) << e;
  e = Error("a = " + std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_NE(e.find("nests deeper"), std::string::npos) << e;
  std::string tables = "a = ";
  for (int i = 0; i < 100; ++i) tables += "{a = ";
  e = Error(tables + "\n");
  EXPECT_NE(e.find("nests deeper"), std::string::npos) << e;
  e = Error("# " + std::string(kMaxConfigBytes, 'x') + "\n");
  EXPECT_NE(e.find("larger than the limit of 1048576 bytes"), std::string::npos) << e;
  ServeConfig c;
  absl::Status s = LoadConfigFile(::testing::TempDir(), &c);
  EXPECT_NE(std::string(s.message()).find("is a directory, expected a configuration file"),
            std::string::npos)
      << s;
}

}  // namespace
}  // namespace dc::server
