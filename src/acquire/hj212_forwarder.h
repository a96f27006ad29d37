// Forwarding HJ 212 packets to an upstream platform (a regulator's) over TCP, store and
// forward: the listener queues the data segments of the packets it stored (Hj212Outbox) in a
// DurableQueue under the data directory; one thread sends them upstream, re-framed, in order.
//
// Delivery: a record is consumed (its position committed durably) only after the upstream's
// 9014 for that packet's MN and QN when the packet's Flag asks for a reply (and wait_reply is
// on), or after it was written to the socket when it does not. A link outage therefore loses
// nothing, and a packet the upstream acknowledged is never sent again. The limits (at least
// once, not exactly once): a crash between the upstream's 9014 and the commit, or a 9014 lost
// with the link, sends the packet again after reconnecting; the upstream sees the same MN and
// QN twice and can drop it. A packet that wants no reply and is lost in the kernel buffers
// when the link breaks is lost to the upstream (TCP gives no delivery receipt).
#ifndef DC_ACQUIRE_HJ212_FORWARDER_H_
#define DC_ACQUIRE_HJ212_FORWARDER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "acquire/durable_queue.h"
#include "acquire/hj212_listener.h"
#include "acquire/source.h"

namespace dc::acquire {

struct Hj212ForwarderOptions {
  std::string name = "hj212-forward";  // source name in /api/v1/sources
  std::string upstream;                // "host:port"
  std::string queue_dir;               // the durable queue's directory
  Env* env = nullptr;                  // nullptr = Env::Default()
  bool wait_reply = true;  // commit packets that ask for a reply only after the upstream's 9014
  absl::Duration reply_timeout = absl::Seconds(30);  // no 9014 in time: reconnect, send again
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration backoff_min = absl::Seconds(1);   // reconnect delay, doubled up to backoff_max,
  absl::Duration backoff_max = absl::Seconds(60);  // with ±25 % jitter
  int window = 32;                                 // packets sent before waiting for their replies
};

class Hj212Forwarder final : public Source, public Hj212Outbox {
 public:
  // Opens (recovering) the queue; does not connect yet.
  static absl::StatusOr<std::unique_ptr<Hj212Forwarder>> Open(const Hj212ForwarderOptions& options);
  ~Hj212Forwarder() override;

  absl::Status Start() override;
  void Stop() override;
  SourceState State() const override { return stats_.Snapshot(); }
  absl::Status Enqueue(const std::vector<std::string>& data_segments) override;

  int64_t pending() const { return queue_->pending_records(); }

 private:
  struct Link;
  Hj212Forwarder(const Hj212ForwarderOptions& options, std::unique_ptr<DurableQueue> queue);
  void Run();
  // Sends one window; returns false when the link must be dropped.
  bool SendWindow(Link& link, const std::vector<QueueRecord>& records);
  void Backoff(absl::Duration* delay);

  const Hj212ForwarderOptions options_;
  std::unique_ptr<DurableQueue> queue_;
  SourceStats stats_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_HJ212_FORWARDER_H_
