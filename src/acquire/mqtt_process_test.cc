// The MQTT subscriber in child processes writing to real stores: kill -9 of the subscriber
// loses nothing (QoS 1, persistent session), and a shared subscription split across two
// processes stores every message exactly once. The child is this binary re-run with
// --gtest_filter=MqttChild.Run and its settings in the environment.
#include <cstdlib>
#include <set>

#include "acquire/mqtt_source.h"
#include "acquire/mqtt_test_util.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

namespace fs = std::filesystem;
using testing::Broker;
using testing::Publish;
using testing::TempDir;
using testing::WaitFor;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

std::vector<std::string> LpLines(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    out.push_back("meter,id=m1 value=" + std::to_string(i) + " " +
                  std::to_string(kT0 + int64_t{i} * 1'000'000'000));
  }
  return out;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

void WriteStatus(const std::string& dir, bool connected, size_t points) {
  {
    std::ofstream f(dir + "/status.tmp");
    f << (connected ? 1 : 0) << " " << points << "\n";
  }
  fs::rename(dir + "/status.tmp", dir + "/status");
}

// The child: runs the subscriber into a store in $DC_MQTT_CHILD_DIR/store until the file
// "stop" appears, reporting "connected points" (distinct points in its store) in "status".
TEST(MqttChild, Run) {
  std::string dir = Env("DC_MQTT_CHILD_DIR");
  if (dir.empty()) GTEST_SKIP() << "runs only as a child of the tests below";
  StoreOptions so;
  so.dir = dir + "/store";
  auto store = Store::Open(so);
  ASSERT_TRUE(store.ok()) << store.status();
  testing::StoreSink sink(**store);
  MqttOptions o;
  o.name = "child";
  o.port = std::stoi(Env("DC_MQTT_PORT"));
  o.client_id = Env("DC_MQTT_CLIENT");
  o.reconnect_min_ms = 50;
  o.reconnect_max_ms = 500;
  MqttSubscription s;
  s.mapping.topic = *mqtt::TopicTemplate::Parse(Env("DC_MQTT_TOPIC"));
  s.mapping.format = mqtt::PayloadFormat::kLineProtocol;
  s.qos = 1;
  o.subscriptions.push_back(std::move(s));
  auto src = MakeMqttSource(o, sink);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Start().ok());
  while (!fs::exists(dir + "/stop")) {
    WriteStatus(dir, (*src)->State().connected, testing::AllTimes(**store).size());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*src)->Stop();
  ASSERT_TRUE((*store)->Sync().ok());
}

struct Status {
  bool connected = false;
  size_t points = 0;
};

Status ReadStatus(const std::string& dir) {
  Status s;
  std::ifstream f(dir + "/status");
  int c = 0;
  if (f >> c >> s.points) s.connected = c == 1;
  return s;
}

pid_t StartChild(const std::string& dir, int port, const std::string& client,
                 const std::string& topic) {
  fs::create_directories(dir);
  fs::remove(dir + "/status");
  fs::remove(dir + "/stop");
  return testing::Spawn(
      {fs::read_symlink("/proc/self/exe").string(), "--gtest_filter=MqttChild.Run"},
      {{"DC_MQTT_CHILD_DIR", dir},
       {"DC_MQTT_PORT", std::to_string(port)},
       {"DC_MQTT_CLIENT", client},
       {"DC_MQTT_TOPIC", topic}});
}

int StopChild(const std::string& dir, pid_t pid) {
  std::ofstream(dir + "/stop") << "\n";
  return testing::Wait(pid);
}

std::vector<int64_t> StoredTimes(const std::string& dir) {
  StoreOptions so;
  so.dir = dir + "/store";
  auto store = Store::Open(so);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  return testing::AllTimes(**store);
}

TEST(MqttProcess, KillNineOfTheSubscriberLosesNothing) {
  TempDir tmp;
  Broker broker(tmp.path());
  ASSERT_TRUE(broker.Start());
  std::string dir = tmp.path() + "/sub";
  pid_t child = StartChild(dir, broker.port(), "dc-kill", "plant/#");
  ASSERT_TRUE(WaitFor([&] { return ReadStatus(dir).connected; }, 20));
  const int n = 20000;
  pid_t pub = -1;
  Publish(broker.port(), "plant/a", LpLines(n), 1, tmp.path(), /*wait=*/false, &pub);
  ASSERT_TRUE(WaitFor([&] { return ReadStatus(dir).points >= n / 10; }, 30));
  ::kill(child, SIGKILL);  // mid-stream
  testing::Wait(child);
  size_t before = ReadStatus(dir).points;
  EXPECT_LT(before, static_cast<size_t>(n)) << "the kill came too late to test anything";
  EXPECT_EQ(testing::Wait(pub), 0);  // the rest is queued in the session while we are down
  child = StartChild(dir, broker.port(), "dc-kill", "plant/#");
  EXPECT_TRUE(WaitFor([&] { return ReadStatus(dir).points == n; }, 60)) << ReadStatus(dir).points;
  EXPECT_EQ(StopChild(dir, child), 0);
  std::vector<int64_t> times = StoredTimes(dir);
  EXPECT_EQ(std::set<int64_t>(times.begin(), times.end()).size(), static_cast<size_t>(n));
}

TEST(MqttProcess, SharedSubscriptionStoresEveryMessageOnce) {
  TempDir tmp;
  Broker broker(tmp.path());
  ASSERT_TRUE(broker.Start());
  std::string a = tmp.path() + "/a", b = tmp.path() + "/b";
  pid_t pa = StartChild(a, broker.port(), "dc-share-a", "$share/dc/plant/#");
  pid_t pb = StartChild(b, broker.port(), "dc-share-b", "$share/dc/plant/#");
  ASSERT_TRUE(WaitFor([&] { return ReadStatus(a).connected && ReadStatus(b).connected; }, 20));
  const int n = 10000;
  ASSERT_EQ(Publish(broker.port(), "plant/a", LpLines(n), 1, tmp.path()), 0);
  EXPECT_TRUE(WaitFor([&] { return ReadStatus(a).points + ReadStatus(b).points == n; }, 60));
  EXPECT_EQ(StopChild(a, pa), 0);
  EXPECT_EQ(StopChild(b, pb), 0);
  std::vector<int64_t> ta = StoredTimes(a), tb = StoredTimes(b);
  EXPECT_GT(ta.size(), 0u);
  EXPECT_GT(tb.size(), 0u);
  EXPECT_EQ(ta.size() + tb.size(), static_cast<size_t>(n));
  std::set<int64_t> all(ta.begin(), ta.end());
  all.insert(tb.begin(), tb.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(n));  // no message stored by both
}

}  // namespace
}  // namespace dc::acquire
