// The HJ 212 listener over real sockets on 127.0.0.1.
#include "acquire/hj212_listener.h"

#include <sys/resource.h>

#include <thread>

#include "acquire/hj212_testing.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

using hj212::Frame;
using testing::Client;
using testing::DataPacket;
using testing::RecordingSink;

constexpr char kMn[] = "010000A8900016F000169DC0";

class ListenerTest : public ::testing::Test {
 protected:
  void StartListener() {
    options_.port = 0;
    options_.address = "127.0.0.1";
    options_.stations[kMn] = Hj212Station{"123456", "plant-a"};
    options_.default_site = "other";
    listener_ = MakeHj212Listener(options_, sink_);
    ASSERT_TRUE(listener_->Start().ok());
  }
  int64_t Errors() const { return listener_->State().errors; }
  // The key of SO2 real-time values of station `mn` in `site`.
  static std::string Key(const std::string& mn, const std::string& site = "plant-a") {
    return "cems,code=a21026,mn=" + mn + ",site=" + site + " rtd";
  }
  void TearDown() override {
    if (listener_) listener_->Stop();
  }

  Hj212ListenerOptions options_;
  RecordingSink sink_;
  std::unique_ptr<Hj212Listener> listener_;
};

TEST_F(ListenerTest, StoresDataThenReplies9014) {
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 12.5))));
  auto replies = c.ReadFrames(1, 5000);
  ASSERT_EQ(replies.size(), 1u);
  auto reply = hj212::ParseData(replies[0]);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->cn, 9014);
  EXPECT_EQ(reply->mn, kMn);
  EXPECT_EQ(reply->qn, hj212::ParseData(DataPacket(kMn, 1, 12.5))->qn);
  auto points = sink_.Points();
  ASSERT_EQ(points.size(), 2u);  // rtd and flag
  bool found = false;
  for (const auto& [k, e] : points) {
    if (k.first == Key(kMn)) {
      found = true;
      EXPECT_EQ(e.v, 12.5);
      EXPECT_EQ(e.count, 1);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(listener_->State().points, 2);
}

TEST_F(ListenerTest, NoReplyWhenFlagDoesNotAsk) {
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0, "123456", 4))));
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 2, 2.0))));  // this one asks
  auto replies = c.ReadFrames(2, 1000);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(hj212::ParseData(replies[0])->qn, hj212::ParseData(DataPacket(kMn, 2, 2.0))->qn);
  EXPECT_EQ(sink_.size(), 4u);
}

TEST_F(ListenerTest, No9014WhenTheSinkFails) {
  StartListener();
  sink_.SetFail(true);
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0))));
  EXPECT_TRUE(c.ReadFrames(1, 500).empty());
  EXPECT_EQ(Errors(), 1);
  sink_.SetFail(false);  // the station sends again
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0))));
  EXPECT_EQ(c.ReadFrames(1, 5000).size(), 1u);
  EXPECT_EQ(sink_.size(), 2u);
}

TEST_F(ListenerTest, SplitPacketsEachStoredAndAnswered) {
  StartListener();
  Client c(listener_->port());
  std::string stream;
  for (int pno = 1; pno <= 3; ++pno) {
    stream += Frame(DataPacket(kMn, 10 + pno, pno, "123456", 7, absl::StrCat(";PNUM=3;PNO=", pno)));
  }
  ASSERT_TRUE(c.Send(stream));  // three packets in one write
  EXPECT_EQ(c.ReadFrames(3, 5000).size(), 3u);
  EXPECT_EQ(sink_.size(), 6u);
}

TEST_F(ListenerTest, BadCrcBadLengthAndGarbageRejectedGoodKept) {
  StartListener();
  Client c(listener_->port());
  std::string bad_crc = Frame(DataPacket(kMn, 1, 1.0));
  bad_crc[bad_crc.size() - 3] = bad_crc[bad_crc.size() - 3] == '0' ? '1' : '0';
  std::string bad_len = Frame(DataPacket(kMn, 2, 2.0));
  bad_len[5] = bad_len[5] == '9' ? '8' : '9';  // the length's last digit
  std::string stream =
      "\x01\xff garbage" + bad_crc + bad_len + "noise" + Frame(DataPacket(kMn, 3, 3.0));
  ASSERT_TRUE(c.Send(stream));
  auto replies = c.ReadFrames(3, 1500);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(hj212::ParseData(replies[0])->qn, hj212::ParseData(DataPacket(kMn, 3, 3.0))->qn);
  auto points = sink_.Points();
  EXPECT_EQ(points.size(), 2u);
  for (const auto& [k, e] : points) {
    if (k.first == Key(kMn)) {
      EXPECT_EQ(e.v, 3.0);
    }
  }
  EXPECT_GE(Errors(), 2);
}

TEST_F(ListenerTest, SlowSenderOneBytePer10ms) {
  StartListener();
  Client c(listener_->port());
  std::string frame = Frame(DataPacket(kMn, 1, 7.0));
  for (char ch : frame) {
    ASSERT_TRUE(c.Send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(c.ReadFrames(1, 5000).size(), 1u);
  EXPECT_EQ(sink_.size(), 2u);
  EXPECT_EQ(Errors(), 0);
}

TEST_F(ListenerTest, IdleConnectionClosed) {
  options_.idle_timeout = absl::Milliseconds(300);
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0))));
  ASSERT_EQ(c.ReadFrames(1, 5000).size(), 1u);
  auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  c.ReadFrames(1, 5000, &closed);
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(closed);
  EXPECT_GE(waited, 0.2);
  EXPECT_LT(waited, 3.0);
  for (int i = 0; i < 100 && listener_->connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(listener_->connections(), 0);
}

TEST_F(ListenerTest, PasswordsAndUnknownStations) {
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0, "wrong"))));
  auto r = c.ReadFrames(1, 5000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(hj212::ParseData(r[0])->cn, 9011);
  EXPECT_EQ(*hj212::ParseData(r[0])->CpValue("QnRtn"), "3");
  ASSERT_TRUE(c.Send(Frame(DataPacket("UNKNOWN01", 2, 2.0))));
  r = c.ReadFrames(1, 5000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(*hj212::ParseData(r[0])->CpValue("QnRtn"), "4");
  EXPECT_EQ(sink_.size(), 0u);
  EXPECT_EQ(Errors(), 2);
}

TEST_F(ListenerTest, UnknownStationsAcceptedIntoDefaultSite) {
  options_.accept_unknown = true;
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(DataPacket("UNKNOWN01", 2, 2.0, "any"))));
  ASSERT_EQ(c.ReadFrames(1, 5000).size(), 1u);
  EXPECT_EQ(sink_.Points().count({Key("UNKNOWN01", "other"), sink_.Points().begin()->first.second}),
            1u);
}

TEST_F(ListenerTest, CommandRequestsGet9011And9012) {
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(
      absl::StrCat("QN=20250301101500001;ST=31;CN=1011;PW=123456;MN=", kMn, ";Flag=5;CP=&&&&"))));
  auto r = c.ReadFrames(2, 5000);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(hj212::ParseData(r[0])->cn, 9011);
  EXPECT_EQ(hj212::ParseData(r[1])->cn, 9012);
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_F(ListenerTest, StrictModeRejectsWhatLenientTolerates) {
  options_.strict = true;
  StartListener();
  Client c(listener_->port());
  std::string lower = Frame(DataPacket(kMn, 1, 1.0));
  for (size_t i = lower.size() - 6; i < lower.size() - 2; ++i)
    lower[i] = static_cast<char>(std::tolower(lower[i]));
  bool has_letter = lower.substr(lower.size() - 6, 4).find_first_of("abcdef") != std::string::npos;
  ASSERT_TRUE(c.Send(lower + Frame(DataPacket(kMn, 2, 2.0))));
  EXPECT_EQ(c.ReadFrames(2, 1500).size(), has_letter ? 1u : 2u);
}

class FailingOutbox : public Hj212Outbox {
 public:
  absl::Status Enqueue(const std::vector<std::string>& data) override {
    if (fail) return absl::UnavailableError("queue disk full (test)");
    queued += data.size();
    return absl::OkStatus();
  }
  bool fail = true;
  size_t queued = 0;
};

TEST_F(ListenerTest, No9014WhenThePacketCannotBeQueuedForForwarding) {
  FailingOutbox outbox;
  options_.forward = &outbox;
  StartListener();
  Client c(listener_->port());
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0))));
  EXPECT_TRUE(c.ReadFrames(1, 500).empty());
  EXPECT_EQ(Errors(), 1);
  outbox.fail = false;
  ASSERT_TRUE(c.Send(Frame(DataPacket(kMn, 1, 1.0))));
  EXPECT_EQ(c.ReadFrames(1, 5000).size(), 1u);
  EXPECT_EQ(outbox.queued, 1u);
}

TEST_F(ListenerTest, ConnectionsBeyondTheLimitAreClosed) {
  options_.max_connections = 2;
  StartListener();
  Client a(listener_->port()), b(listener_->port());
  ASSERT_TRUE(a.Send(Frame(DataPacket(kMn, 1, 1.0))));
  ASSERT_TRUE(b.Send(Frame(DataPacket(kMn, 2, 2.0))));
  ASSERT_EQ(a.ReadFrames(1, 5000).size(), 1u);
  ASSERT_EQ(b.ReadFrames(1, 5000).size(), 1u);
  Client third(listener_->port());
  bool closed = false;
  (void)third.Send(Frame(DataPacket(kMn, 3, 3.0)));
  EXPECT_TRUE(third.ReadFrames(1, 5000, &closed).empty());
  EXPECT_TRUE(closed);
  EXPECT_EQ(listener_->connections(), 2);
}

// Many stations over many connections: every point stored exactly once, every packet answered.
TEST_F(ListenerTest, ThousandConcurrentStations) {
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2200) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  options_.accept_unknown = true;
  options_.threads = 2;
  StartListener();
  constexpr int kStations = 1000, kPackets = 5;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kStations; ++i) {
    clients.push_back(std::make_unique<Client>(listener_->port()));
    ASSERT_TRUE(clients.back()->ok()) << i;
  }
  for (int round = 0; round < kPackets; ++round) {
    for (int i = 0; i < kStations; ++i) {
      ASSERT_TRUE(clients[i]->Send(Frame(DataPacket(absl::StrCat("ST", i), round, i + round))));
    }
  }
  for (int i = 0; i < kStations; ++i) {
    ASSERT_EQ(clients[i]->ReadFrames(kPackets, 20000).size(), size_t{kPackets}) << i;
  }
  EXPECT_EQ(listener_->connections(), kStations);
  auto points = sink_.Points();
  EXPECT_EQ(points.size(), size_t{kStations * kPackets * 2});
  for (const auto& [k, e] : points) ASSERT_EQ(e.count, 1) << k.first;
  EXPECT_EQ(listener_->State().messages, kStations * kPackets);
  EXPECT_EQ(Errors(), 0);
}

}  // namespace
}  // namespace dc::acquire
