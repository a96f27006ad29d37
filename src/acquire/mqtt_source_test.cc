// The MQTT subscriber against a real Mosquitto broker started by the test: QoS 0/1/2 with
// MQTT 3.1.1 and 5, malformed payloads, a failing store, a broker restart, kill -9 of the
// subscribing process, and a shared subscription split across two processes.
#include "acquire/mqtt_source.h"

#include <set>

#include "absl/synchronization/mutex.h"
#include "acquire/mqtt_test_util.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

using testing::Broker;
using testing::Publish;
using testing::TempDir;
using testing::WaitFor;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// One line-protocol message per i, each at its own second: a redelivered message rewrites the
// same point, so the count of distinct timestamps is the count of messages stored.
std::vector<std::string> LpLines(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) {
    out.push_back("meter,id=m1 value=" + std::to_string(i) + " " +
                  std::to_string(kT0 + int64_t{i} * 1'000'000'000));
  }
  return out;
}

MqttOptions Options(int port, std::string client_id, std::string topic, mqtt::PayloadFormat format,
                    int qos, int version = 5) {
  MqttOptions o;
  o.name = "test";
  o.port = port;
  o.client_id = std::move(client_id);
  o.version = version;
  o.reconnect_min_ms = 50;
  o.reconnect_max_ms = 500;
  MqttSubscription s;
  s.mapping.topic = *mqtt::TopicTemplate::Parse(topic);
  s.mapping.format = format;
  s.qos = qos;
  o.subscriptions.push_back(std::move(s));
  return o;
}

// Keeps the timestamps written; optionally fails the first `fail_first` writes.
class CollectSink : public Sink {
 public:
  explicit CollectSink(int fail_first = 0) : fail_left_(fail_first) {}
  absl::Status Write(const PointBatch& b) override {
    absl::MutexLock l(&mu_);
    if (fail_left_ > 0) {
      --fail_left_;
      return absl::UnavailableError("disk full (injected)");
    }
    for (const auto& r : b.rows()) times_.insert(r.t);
    rows_ += static_cast<int64_t>(b.size());
    return absl::OkStatus();
  }
  size_t distinct() {
    absl::MutexLock l(&mu_);
    return times_.size();
  }

 private:
  absl::Mutex mu_;
  int fail_left_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> times_ ABSL_GUARDED_BY(mu_);
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(MqttSource, MalformedPayloadsAreCountedAndNeverStall) {
  TempDir tmp;
  Broker broker(tmp.path());
  ASSERT_TRUE(broker.Start());
  for (int version : {4, 5}) {
    for (int qos : {0, 1, 2}) {
      SCOPED_TRACE(::testing::Message() << "version " << version << " qos " << qos);
      CollectSink sink;
      auto src = MakeMqttSource(
          Options(broker.port(), "mal" + std::to_string(version * 10 + qos),
                  "plant/{site}/{meter}/#", mqtt::PayloadFormat::kNumber, qos, version),
          sink);
      ASSERT_TRUE(src.ok()) << src.status();
      ASSERT_TRUE((*src)->Start().ok());
      ASSERT_TRUE(WaitFor([&] { return (*src)->State().connected; }, 10));
      std::vector<std::string> lines;
      for (int i = 0; i < 50; ++i) lines.push_back(i % 5 == 0 ? "not-a-number" : std::to_string(i));
      ASSERT_EQ(Publish(broker.port(), "plant/s1/m1/energy", lines, qos, tmp.path()), 0);
      ASSERT_TRUE(WaitFor([&] { return (*src)->State().messages == 50; }, 20))
          << (*src)->State().messages;
      SourceState st = (*src)->State();
      EXPECT_EQ(st.points, 40);
      EXPECT_EQ(st.errors, 10);
      EXPECT_NE(st.last_error.find("plant/s1/m1/energy"), std::string::npos) << st.last_error;
      (*src)->Stop();
    }
  }
}

// A 3.1.1 broker does not know our packet limit: a larger message is counted, acknowledged
// and skipped, and the messages after it still arrive.
TEST(MqttSource, AnOversizedMessageIsSkippedNotFatal) {
  TempDir tmp;
  Broker broker(tmp.path());
  ASSERT_TRUE(broker.Start());
  CollectSink sink;
  MqttOptions o = Options(broker.port(), "oversize", "plant/{site}/{meter}/#",
                          mqtt::PayloadFormat::kNumber, 1, /*version=*/4);
  o.max_packet_bytes = 512;
  auto src = MakeMqttSource(o, sink);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*src)->State().connected; }, 10));
  ASSERT_EQ(Publish(broker.port(), "plant/s1/m1/energy", {"1", std::string(3000, '7'), "2", "3"}, 1,
                    tmp.path()),
            0);
  ASSERT_TRUE(WaitFor([&] { return (*src)->State().messages == 4; }, 10))
      << (*src)->State().messages << " " << (*src)->State().last_error;
  SourceState st = (*src)->State();
  EXPECT_EQ(st.points, 3);
  EXPECT_EQ(st.errors, 1);
  EXPECT_NE(st.last_error.find("exceeds max_packet_bytes"), std::string::npos) << st.last_error;
}

// The store fails the first writes: those messages are not acknowledged, the broker
// redelivers them, and every message ends up stored once the store works again.
TEST(MqttSource, AFailedWriteIsNotAcknowledged) {
  TempDir tmp;
  Broker broker(tmp.path());
  ASSERT_TRUE(broker.Start());
  CollectSink sink(/*fail_first=*/3);
  auto src = MakeMqttSource(
      Options(broker.port(), "failing", "plant/#", mqtt::PayloadFormat::kLineProtocol, 1), sink);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*src)->State().connected; }, 10));
  const int n = 2000;
  ASSERT_EQ(Publish(broker.port(), "plant/a", LpLines(0, n), 1, tmp.path()), 0);
  EXPECT_TRUE(WaitFor([&] { return sink.distinct() == n; }, 30)) << sink.distinct();
  EXPECT_GE((*src)->State().errors, 3);
  EXPECT_NE((*src)->State().last_error.find("not acknowledged"), std::string::npos);
}

// The subscriber recovers by itself from a broker restart, and messages queued in its
// persistent session while it was stopped survive a broker restart (the broker's persistence).
TEST(MqttSource, Qos1SurvivesABrokerRestart) {
  TempDir tmp;
  Broker broker(tmp.path());
  ASSERT_TRUE(broker.Start());
  CollectSink sink;
  auto src = MakeMqttSource(
      Options(broker.port(), "restart", "plant/#", mqtt::PayloadFormat::kLineProtocol, 1), sink);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*src)->State().connected; }, 10));
  const int n = 10000;
  ASSERT_EQ(Publish(broker.port(), "plant/a", LpLines(0, n / 4), 1, tmp.path()), 0);
  broker.Stop(SIGTERM);  // possibly before the subscriber has received all of them
  EXPECT_TRUE(WaitFor([&] { return !(*src)->State().connected; }, 10));
  ASSERT_TRUE(broker.Start());
  ASSERT_TRUE(WaitFor([&] { return (*src)->State().connected; }, 20));  // by itself
  EXPECT_GE((*src)->State().errors, 1);  // the lost connection is reported
  (*src)->Stop();
  ASSERT_EQ(Publish(broker.port(), "plant/a", LpLines(n / 4, n / 2), 1, tmp.path()), 0);
  broker.Stop(SIGTERM);  // the queued quarter is only in the broker's persistence file now
  ASSERT_TRUE(broker.Start());
  ASSERT_TRUE((*src)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*src)->State().connected; }, 20));
  ASSERT_EQ(Publish(broker.port(), "plant/a", LpLines(n / 2, n), 1, tmp.path()), 0);
  EXPECT_TRUE(WaitFor([&] { return sink.distinct() == n; }, 60)) << sink.distinct();
}

TEST(MqttSource, RejectsOptionsThatCannotWork) {
  CollectSink sink;
  MqttOptions o = Options(1883, "", "a/#", mqtt::PayloadFormat::kNumber, 1);
  EXPECT_FALSE(MakeMqttSource(o, sink).ok());  // no client id: no persistent session
  o.client_id = "x";
  o.subscriptions[0].qos = 3;
  EXPECT_FALSE(MakeMqttSource(o, sink).ok());
  o.subscriptions[0].qos = 2;
  o.version = 3;
  EXPECT_FALSE(MakeMqttSource(o, sink).ok());
  o.version = 4;
  EXPECT_TRUE(MakeMqttSource(o, sink).ok());
}

}  // namespace
}  // namespace dc::acquire
