#include "acquire/source.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

// A source that writes a point every millisecond from its own thread, or fails to start.
class TickSource : public Source {
 public:
  TickSource(std::string name, Sink& sink, bool fail)
      : stats_(std::move(name), "test"), sink_(sink), fail_(fail) {}
  ~TickSource() override { Stop(); }
  absl::Status Start() override {
    if (fail_) return absl::UnavailableError("cannot bind 127.0.0.1:1");
    stats_.SetRunning(true);
    thread_ = std::thread([this] {
      int64_t t = 0;
      while (!stop_.load()) {
        PointBatch b;
        b.Add("m,id=a v", ++t, 1.0);
        if (sink_.Write(b).ok()) stats_.AddPoints(1, t);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    return absl::OkStatus();
  }
  void Stop() override {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    stats_.SetRunning(false);
  }
  SourceState State() const override { return stats_.Snapshot(); }

 private:
  SourceStats stats_;
  Sink& sink_;
  bool fail_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class CountingSink : public Sink {
 public:
  absl::Status Write(const PointBatch& b) override {
    n_ += static_cast<int64_t>(b.size());
    return absl::OkStatus();
  }
  std::atomic<int64_t> n_{0};
};

TEST(SourceRegistry, AFailingSourceDoesNotStopTheOthers) {
  CountingSink sink;
  SourceRegistry reg;
  reg.Add(std::make_unique<TickSource>("good", sink, false));
  reg.Add(std::make_unique<TickSource>("bad", sink, true));
  auto errors = reg.StartAll();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message().find("source \"bad\" (test): cannot bind"), std::string::npos);
  while (sink.n_.load() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto states = reg.States();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_TRUE(states[0].running);
  EXPECT_GE(states[0].points, 1);
  EXPECT_FALSE(states[1].running);
  EXPECT_EQ(states[1].errors, 1);
  EXPECT_NE(states[1].last_error.find("cannot start"), std::string::npos);
  reg.StopAll();
  int64_t after = sink.n_.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(sink.n_.load(), after);  // nothing written after Stop
  EXPECT_FALSE(reg.States()[0].running);
}

TEST(SourceStats, KeepsTheLastErrorAndCounts) {
  SourceStats s("b", "mqtt");
  s.SetRunning(true);
  s.SetConnected(true);
  s.AddMessages(3);
  s.AddPoints(5, 100);
  s.AddError("payload on plant/a is not JSON", 200);
  s.AddError(std::string(5000, 'x'), 300);
  SourceState st = s.Snapshot();
  EXPECT_EQ(st.messages, 3);
  EXPECT_EQ(st.points, 5);
  EXPECT_EQ(st.last_data_ns, 100);
  EXPECT_EQ(st.errors, 2);
  EXPECT_EQ(st.last_error.size(), 1024u);
  EXPECT_EQ(st.last_error_ns, 300);
  s.SetRunning(false);
  EXPECT_FALSE(s.Snapshot().connected);
}

}  // namespace
}  // namespace dc::acquire
