#include "acquire/hj212_config.h"

#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

absl::StatusOr<Hj212Config> Parse(std::string_view text) {
  return ParseHj212Options(toml::parse(text), "/var/lib/dualcarbon");
}

TEST(Hj212ConfigTest, FullConfiguration) {
  auto c = Parse(R"(
data_dir = "/elsewhere"
[[hj212]]
name = "cems"
listen = "127.0.0.1:9212"
mode = "strict"
idle_timeout = "90s"
unknown_stations = "accept"
default_site = "plant-a"
forward = true
[[hj212.stations]]
mn = "010000A8900016F000169DC0"
password = "123456"
site = "plant-b"
[[hj212.stations]]
mn = "M2"
[hj212_forward]
upstream = "regulator.example.cn:8212"
wait_reply = false
reply_timeout = "10s"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->listeners.size(), 1u);
  const Hj212ListenerOptions& l = c->listeners[0].options;
  EXPECT_EQ(l.name, "cems");
  EXPECT_EQ(l.address, "127.0.0.1");
  EXPECT_EQ(l.port, 9212);
  EXPECT_TRUE(l.strict);
  EXPECT_EQ(l.idle_timeout, absl::Seconds(90));
  EXPECT_TRUE(l.accept_unknown);
  EXPECT_TRUE(c->listeners[0].forward);
  ASSERT_EQ(l.stations.size(), 2u);
  EXPECT_EQ(l.stations.at("010000A8900016F000169DC0").password, "123456");
  EXPECT_EQ(l.stations.at("010000A8900016F000169DC0").site, "plant-b");
  ASSERT_TRUE(c->forward.has_value());
  EXPECT_EQ(c->forward->upstream, "regulator.example.cn:8212");
  EXPECT_EQ(c->forward->queue_dir, "/var/lib/dualcarbon/hj212-forward");
  EXPECT_FALSE(c->forward->wait_reply);
  EXPECT_EQ(c->forward->reply_timeout, absl::Seconds(10));
}

TEST(Hj212ConfigTest, NoSectionsNoSources) {
  auto c = Parse("data_dir = \"/x\"\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->listeners.empty());
  EXPECT_FALSE(c->forward.has_value());
}

TEST(Hj212ConfigTest, ErrorsNameTheKeyAndLine) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"[[hj212]]\nlisten = \"nope\"\n", "hj212.listen (line 2)"},
      {"[[hj212]]\nmode = \"loose\"\n", "strict"},
      {"[[hj212]]\nidle_timeout = \"soon\"\n", "duration"},
      {"[[hj212]]\nport = 1\n", "unknown key"},
      {"[[hj212]]\n[[hj212.stations]]\npassword = \"x\"\n", "needs an mn"},
      {"[[hj212]]\n[[hj212.stations]]\nmn = \"A\"\n[[hj212.stations]]\nmn = \"A\"\n", "twice"},
      {"[[hj212]]\nforward = true\n", "[hj212_forward]"},
      {"[hj212_forward]\nwait_reply = true\n", "upstream"},
      {"hj212 = 3\n", "array of tables"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status();
  }
}

}  // namespace
}  // namespace dc::acquire
