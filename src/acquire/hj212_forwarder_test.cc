// Forwarding through a real upstream on 127.0.0.1 that goes away and comes back.
#include "acquire/hj212_forwarder.h"

#include <filesystem>
#include <set>
#include <thread>

#include "acquire/hj212_testing.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

using testing::Client;
using testing::DataPacket;
using testing::RecordingSink;

// A regulator's platform: accepts connections, records every data segment received and
// answers 9014 when asked. Stop() closes its listener and every connection.
class Upstream {
 public:
  ~Upstream() { Stop(); }
  int Start(int port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof(a);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    stop_ = false;
    thread_ = std::thread([this] { Run(); });
    return ntohs(a.sin_port);
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> Received() {
    absl::MutexLock l(&mu_);
    return received_;
  }
  void SetReply(bool reply) { reply_ = reply; }

 private:
  void Run() {
    std::vector<std::pair<int, hj212::FrameSplitter>> conns;
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : conns) fds.push_back({c.first, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN)
        conns.emplace_back(::accept(listen_fd_, nullptr, nullptr), hj212::FrameSplitter());
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto& [fd, splitter] = conns[i - 1];
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          ::close(fd);
          fd = -1;
          continue;
        }
        splitter.Append(std::string_view(buf, static_cast<size_t>(n)));
        std::string data, error;
        hj212::FrameSplitter::Result r;
        while ((r = splitter.Next(&data, &error)) != hj212::FrameSplitter::Result::kNeedMore) {
          if (r != hj212::FrameSplitter::Result::kFrame) continue;
          {
            absl::MutexLock l(&mu_);
            received_.push_back(data);
          }
          auto p = hj212::ParseData(data);
          if (reply_ && p.ok() && p->wants_reply()) {
            std::string reply = hj212::Frame(hj212::ReplyData(*p, 9014, 0));
            (void)!::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
          }
        }
      }
      std::erase_if(conns, [](auto& c) { return c.first < 0; });
    }
    for (auto& c : conns) ::close(c.first);
    ::close(listen_fd_);
  }

  int listen_fd_ = -1;
  std::atomic<bool> stop_{false}, reply_{true};
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> received_ ABSL_GUARDED_BY(mu_);
};

bool WaitFor(const std::function<bool()>& f, int ms = 15000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

class ForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/fwd-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Hj212Forwarder> OpenForwarder(int port) {
    Hj212ForwarderOptions o;
    o.upstream = absl::StrCat("127.0.0.1:", port);
    o.queue_dir = dir_;
    o.backoff_min = absl::Milliseconds(20);
    o.backoff_max = absl::Milliseconds(100);
    o.reply_timeout = absl::Seconds(2);
    o.window = 8;
    auto f = Hj212Forwarder::Open(o);
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? std::move(*f) : nullptr;
  }
  std::unique_ptr<Hj212Listener> StartListener(Hj212Forwarder* f) {
    Hj212ListenerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.accept_unknown = true;
    o.forward = f;
    auto l = MakeHj212Listener(o, sink_);
    EXPECT_TRUE(l->Start().ok());
    return l;
  }
  // Sends packets [from, to) of station MN "FWD" and waits for their 9014.
  static void SendPackets(Client& c, int from, int to, std::vector<std::string>* sent) {
    std::string bytes;
    for (int i = from; i < to; ++i) {
      sent->push_back(DataPacket("FWD", i, i));
      bytes += hj212::Frame(sent->back());
    }
    ASSERT_TRUE(c.Send(bytes));
    ASSERT_EQ(c.ReadFrames(static_cast<size_t>(to - from), 10000).size(), size_t(to - from));
  }
  static void ExpectExactlyOnce(const std::vector<std::string>& sent,
                                const std::vector<std::string>& received) {
    std::multiset<std::string> got(received.begin(), received.end());
    EXPECT_EQ(received.size(), sent.size());
    for (const std::string& s : sent) EXPECT_EQ(got.count(s), 1u) << s;
  }

  std::string dir_;
  RecordingSink sink_;
};

TEST_F(ForwarderTest, UpstreamGoesAwayAndComesBack) {
  Upstream up;
  int port = up.Start(0);
  ASSERT_GT(port, 0);
  auto fwd = OpenForwarder(port);
  ASSERT_TRUE(fwd->Start().ok());
  auto listener = StartListener(fwd.get());
  Client c(listener->port());
  std::vector<std::string> sent;
  SendPackets(c, 0, 40, &sent);
  ASSERT_TRUE(WaitFor([&] { return up.Received().size() >= 40; }));
  up.Stop();                       // the regulator's platform goes away
  SendPackets(c, 40, 100, &sent);  // still stored and acknowledged locally
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(up.Received().size(), 40u);
  EXPECT_TRUE(WaitFor([&] { return fwd->pending() == 60; }));
  EXPECT_FALSE(fwd->State().connected);
  ASSERT_EQ(up.Start(port), port);  // ... and comes back
  ASSERT_TRUE(WaitFor([&] { return fwd->pending() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ExpectExactlyOnce(sent, up.Received());
  EXPECT_EQ(fwd->State().messages, 100);
  EXPECT_GT(fwd->State().errors, 0);
}

TEST_F(ForwarderTest, QueueSurvivesARestartOfTheNode) {
  Upstream up;
  int port = up.Start(0);
  up.Stop();  // down from the start
  std::vector<std::string> sent;
  {
    auto fwd = OpenForwarder(port);
    ASSERT_TRUE(fwd->Start().ok());
    auto listener = StartListener(fwd.get());
    Client c(listener->port());
    SendPackets(c, 0, 30, &sent);
    listener->Stop();
    fwd->Stop();
  }
  ASSERT_EQ(up.Start(port), port);
  auto fwd = OpenForwarder(port);
  EXPECT_EQ(fwd->pending(), 30);
  ASSERT_TRUE(fwd->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return fwd->pending() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ExpectExactlyOnce(sent, up.Received());
}

TEST_F(ForwarderTest, NoReplyFromUpstreamMeansSendAgain) {
  Upstream up;
  up.SetReply(false);
  int port = up.Start(0);
  auto fwd = OpenForwarder(port);
  ASSERT_TRUE(fwd->Start().ok());
  ASSERT_TRUE(fwd->Enqueue({DataPacket("FWD", 1, 1.0)}).ok());
  ASSERT_TRUE(WaitFor([&] { return up.Received().size() >= 2; }, 10000));  // sent again
  EXPECT_EQ(fwd->pending(), 1);
  up.SetReply(true);
  ASSERT_TRUE(WaitFor([&] { return fwd->pending() == 0; }));
  // Packets that ask for no reply are consumed once written.
  ASSERT_TRUE(fwd->Enqueue({DataPacket("FWD", 2, 2.0, "123456", 4)}).ok());
  ASSERT_TRUE(WaitFor([&] { return fwd->pending() == 0; }));
}

}  // namespace
}  // namespace dc::acquire
