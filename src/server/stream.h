// Live points for server-sent events (docs/api.md "Live stream"): a small publish/subscribe hub
// fed by the write path, and the incrementally written response body of GET /api/v1/stream.
//
// Publishing never waits for a subscriber: each has a bounded queue, and a subscriber whose
// queue is full is dropped (its stream ends; the client reconnects or polls). Thread-safe.
#ifndef DC_SERVER_STREAM_H_
#define DC_SERVER_STREAM_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/sample.h"

namespace dc::server {

struct StreamOptions {
  size_t max_streams = 64;                // concurrent subscribers; more get 503
  size_t queue_points = 4096;             // points queued per subscriber before it is dropped
  int64_t heartbeat_ns = 15'000'000'000;  // a comment line after this long without data
};

// The points of one site, queued for one stream.
class Subscription {
 public:
  struct Point {
    std::string series;
    int64_t t;
    double v;
  };
  Subscription(std::string site, size_t capacity) : site_(std::move(site)), capacity_(capacity) {}
  const std::string& site() const { return site_; }
  // `wake` is called (on the publishing thread, without locks held) when points arrive or the
  // subscription ends; it must not block.
  void SetWake(std::function<void()> wake);
  // Takes the queued points. `ended` is set when the subscription was dropped or closed.
  std::vector<Point> Take(bool* ended);
  // True once dropped or closed.
  bool ended();
  // Called by the hub.
  void Offer(const std::vector<Point>& points);
  void End();

 private:
  const std::string site_;
  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<Point> queue_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
};

class PointHub {
 public:
  explicit PointHub(StreamOptions options) : options_(options) {}
  const StreamOptions& options() const { return options_; }
  // A new subscription to the points of series tagged site=`site`. Unavailable when
  // max_streams are open or the hub is closed.
  absl::StatusOr<std::shared_ptr<Subscription>> Subscribe(const std::string& site);
  void Unsubscribe(const Subscription* s);
  // Offers the batch's points to the subscribers of their sites. Cheap with no subscribers.
  void Publish(const PointBatch& batch);
  // Ends every subscription and refuses new ones (server stop).
  void Close();
  size_t size();

 private:
  const StreamOptions options_;
  std::atomic<size_t> count_{0};
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subs_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The body of a text/event-stream response, written as it comes (session.h). Next() is called
// on the connection's strand when woken, or after WaitNs() without a wake.
class EventStream {
 public:
  // `now_ns`, `end_ns`: monotonic times of now and of the stream's end (0 = never);
  // `epoch_ms`: times as epoch ms.
  EventStream(PointHub& hub, std::shared_ptr<Subscription> sub, int64_t now_ns, int64_t end_ns,
              bool epoch_ms);
  ~EventStream();
  void Start(std::function<void()> wake) { sub_->SetWake(std::move(wake)); }
  // Appends what is ready to *out (events, or a heartbeat comment when due); false when the
  // stream has ended (after *out is sent).
  bool Next(int64_t now_ns, std::string* out);
  // How long the caller may wait before calling Next() again unwoken.
  int64_t WaitNs(int64_t now_ns) const;
  // True once the subscription was dropped (a slow reader) or closed (server stop).
  bool ended() { return sub_->ended(); }

 private:
  PointHub& hub_;
  std::shared_ptr<Subscription> sub_;
  const int64_t end_ns_;
  const bool epoch_ms_;
  int64_t last_sent_ns_ = 0;
};

}  // namespace dc::server

#endif  // DC_SERVER_STREAM_H_
