// The live-stream hub: points go to the subscribers of their site only, a full queue drops the
// subscriber (never blocks the publisher), the stream limit, heartbeats and the end.
#include "server/stream.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace dc::server {
namespace {

constexpr int64_t kSec = 1'000'000'000;

PointBatch Batch(int n_a, int n_b) {
  PointBatch b;
  for (int i = 0; i < n_a; ++i) b.Add("meter,id=m1,site=a value", 1000 + i, i);
  for (int i = 0; i < n_b; ++i) b.Add("meter,id=m1,site=b value", 1000 + i, i);
  return b;
}

TEST(PointHub, PointsGoToTheirSitesSubscribersOnly) {
  PointHub hub(StreamOptions{});
  auto a = hub.Subscribe("a");
  ASSERT_TRUE(a.ok());
  int wakes = 0;
  (*a)->SetWake([&] { ++wakes; });
  hub.Publish(Batch(3, 5));
  bool ended = true;
  auto got = (*a)->Take(&ended);
  EXPECT_FALSE(ended);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].series, "meter,id=m1,site=a value");
  EXPECT_EQ(got[2].t, 1002);
  EXPECT_EQ(wakes, 1);  // one wake per batch, not per point
  hub.Publish(Batch(0, 5));
  EXPECT_TRUE((*a)->Take(&ended).empty());
}

TEST(PointHub, AFullQueueDropsTheSubscriber) {
  StreamOptions o;
  o.queue_points = 10;
  PointHub hub(o);
  auto a = hub.Subscribe("a");
  ASSERT_TRUE(a.ok());
  hub.Publish(Batch(6, 0));
  hub.Publish(Batch(6, 0));  // 12 > 10: dropped, its queue emptied
  bool ended = false;
  EXPECT_TRUE((*a)->Take(&ended).empty());
  EXPECT_TRUE(ended);
  EXPECT_TRUE((*a)->ended());
}

TEST(PointHub, LimitOfStreamsAndClose) {
  StreamOptions o;
  o.max_streams = 2;
  PointHub hub(o);
  auto s1 = hub.Subscribe("a");
  auto s2 = hub.Subscribe("b");
  ASSERT_TRUE(s1.ok() && s2.ok());
  auto s3 = hub.Subscribe("a");
  EXPECT_EQ(s3.status().code(), absl::StatusCode::kUnavailable);
  hub.Unsubscribe(s2->get());
  EXPECT_TRUE(hub.Subscribe("c").ok());
  hub.Close();
  EXPECT_TRUE((*s1)->ended());
  EXPECT_EQ(hub.Subscribe("d").status().code(), absl::StatusCode::kUnavailable);
}

TEST(EventStream, EventsHeartbeatsAndEnd) {
  PointHub hub(StreamOptions{});
  auto sub = hub.Subscribe("a");
  ASSERT_TRUE(sub.ok());
  {
    EventStream s(hub, *sub, /*now_ns=*/100 * kSec, /*end_ns=*/200 * kSec, /*epoch_ms=*/true);
    std::string out;
    EXPECT_TRUE(s.Next(101 * kSec, &out));
    EXPECT_EQ(out, "");  // nothing yet, heartbeat not due
    EXPECT_EQ(s.WaitNs(101 * kSec), 14 * kSec);
    PointBatch b;
    b.Add("meter,id=m1,site=a value", 1'700'000'000'123'456'789, 42.5);
    hub.Publish(b);
    EXPECT_TRUE(s.Next(102 * kSec, &out));
    EXPECT_EQ(out,
              "data: {\"series\":\"meter,id=m1,site=a value\",\"t\":1700000000123,\"v\":42.5}\n\n");
    out.clear();
    EXPECT_TRUE(s.Next(117 * kSec, &out));
    EXPECT_EQ(out, ": heartbeat\n\n");
    out.clear();
    EXPECT_EQ(s.WaitNs(120 * kSec), 12 * kSec);
    EXPECT_TRUE(s.Next(190 * kSec, &out));
    EXPECT_EQ(out, ": heartbeat\n\n");
    out.clear();
    EXPECT_EQ(s.WaitNs(190 * kSec), 10 * kSec);  // the end comes before the next heartbeat
    EXPECT_FALSE(s.Next(200 * kSec, &out));
    EXPECT_EQ(hub.size(), 1u);
  }
  EXPECT_EQ(hub.size(), 0u);  // the stream's end unsubscribes
}

TEST(EventStream, TimesInRfc3339AndNonFiniteAsNull) {
  PointHub hub(StreamOptions{});
  auto sub = hub.Subscribe("a");
  ASSERT_TRUE(sub.ok());
  EventStream s(hub, *sub, 0, 0, /*epoch_ms=*/false);
  PointBatch b;
  b.Add("meter,id=m1,site=a value", 0, std::nan(""));
  hub.Publish(b);
  std::string out;
  EXPECT_TRUE(s.Next(1, &out));
  EXPECT_EQ(out,
            "data: {\"series\":\"meter,id=m1,site=a "
            "value\",\"t\":\"1970-01-01T00:00:00+00:00\",\"v\":null}\n\n");
}

}  // namespace
}  // namespace dc::server
