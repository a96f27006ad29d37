#include "acquire/mqtt_source.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "acquire/mqtt_transport.h"
#include "acquire/mqtt_wire.h"
#include "common/strings.h"
#include "spdlog/spdlog.h"

namespace dc::acquire {
namespace {

namespace wire = mqtt::wire;

constexpr int64_t kMs = 1'000'000;
constexpr size_t kReadChunk = 256 << 10;

// Malformed-payload reports: every one is counted in the stats; the log gets at most one line
// per interval, saying how many were not shown.
class RateLimitedLog {
 public:
  RateLimitedLog(std::string source, int64_t interval_ns)
      : source_(std::move(source)), interval_ns_(interval_ns) {}
  void Warn(std::string_view what, int64_t mono_ns) {
    if (last_ns_ != 0 && mono_ns - last_ns_ < interval_ns_) {
      ++suppressed_;
      return;
    }
    if (suppressed_ > 0) {
      spdlog::warn("mqtt {}: {} (and {} more malformed messages not logged)", source_, what,
                   suppressed_);
    } else {
      spdlog::warn("mqtt {}: {}", source_, what);
    }
    last_ns_ = mono_ns;
    suppressed_ = 0;
  }

 private:
  std::string source_;
  int64_t interval_ns_;
  int64_t last_ns_ = 0;
  int64_t suppressed_ = 0;
};

class MqttSource final : public Source {
 public:
  MqttSource(MqttOptions o, Sink& sink)
      : o_(std::move(o)),
        sink_(sink),
        env_(o_.env != nullptr ? o_.env : Env::Default()),
        stats_(o_.name, "mqtt"),
        log_(o_.name, int64_t{o_.log_interval_s} * 1000 * kMs),
        rng_(std::random_device{}()) {}
  ~MqttSource() override { Stop(); }

  absl::Status Start() override {
    if (thread_.joinable()) return absl::OkStatus();
    stop_.store(false);
    stats_.SetRunning(true);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }
  void Stop() override {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    stats_.SetRunning(false);
    stats_.SetConnected(false);
  }
  SourceState State() const override { return stats_.Snapshot(); }

 private:
  void Run();
  absl::Status Session();
  absl::Status Handshake(MqttTransport& t);
  absl::Status Pump(MqttTransport& t);
  absl::Status HandlePackets(MqttTransport& t);
  absl::StatusOr<size_t> SkipOversized(std::string_view rest);
  absl::Status HandlePacket(const wire::Packet& p);
  void OnPublish(const wire::Publish& m);
  absl::Status Flush(MqttTransport& t);
  absl::Status KeepAlive(MqttTransport& t);
  absl::Status Send(MqttTransport& t, std::string_view bytes);
  void SleepBackoff(int attempt);
  void Error(std::string_view what) { stats_.AddError(what, env_->NowNanos()); }

  const MqttOptions o_;
  Sink& sink_;
  Env* env_;
  SourceStats stats_;
  RateLimitedLog log_;
  std::mt19937_64 rng_;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  // Connection state, used by the source's thread only.
  std::unique_ptr<char[]> read_buf_ = std::make_unique<char[]>(kReadChunk);
  std::string in_;           // bytes read, not yet parsed
  size_t skip_left_ = 0;     // bytes of an oversized message still to discard
  PointBatch batch_;         // points of the messages not yet written
  std::string acks_;         // PUBACK/PUBREC/PUBCOMP to send once batch_ is durable
  int pending_ = 0;          // messages in batch_
  int64_t deadline_ns_ = 0;  // monotonic: write batch_ by then
  int64_t last_sent_ns_ = 0;
  int64_t ping_sent_ns_ = 0;  // 0 = no PINGREQ outstanding
  bool subscribed_ = false;
  std::vector<std::pair<std::string, std::string>> scratch_tags_;
};

void MqttSource::Run() {
  int attempt = 0;
  while (!stop_.load()) {
    absl::Status s = Session();
    stats_.SetConnected(false);
    if (stop_.load()) break;
    if (subscribed_) attempt = 0;  // the last session worked: start the backoff again
    Error(absl::StrCat("broker ", o_.host, ":", o_.port, ": ", s.message()));
    spdlog::warn("mqtt {}: {}:{}: {}; reconnecting", o_.name, o_.host, o_.port, SV(s.message()));
    SleepBackoff(attempt++);
  }
}

// Exponential backoff from reconnect_min_ms to reconnect_max_ms, each delay drawn uniformly
// from [d/2, d] so that many subscribers do not reconnect in step after a broker restart.
void MqttSource::SleepBackoff(int attempt) {
  int64_t d = o_.reconnect_min_ms;
  for (int i = 0; i < attempt && d < o_.reconnect_max_ms; ++i) d *= 2;
  d = std::min<int64_t>(d, o_.reconnect_max_ms);
  int64_t ms = std::uniform_int_distribution<int64_t>(d / 2, d)(rng_);
  int64_t until = env_->MonotonicNanos() + ms * kMs;
  while (!stop_.load() && env_->MonotonicNanos() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::Status MqttSource::Session() {
  in_.clear();
  skip_left_ = 0;
  batch_.Clear();
  acks_.clear();
  pending_ = 0;
  ping_sent_ns_ = 0;
  subscribed_ = false;
  auto t = ConnectMqttTransport(o_.host, o_.port, o_.tls, o_.connect_timeout_ms);
  if (!t.ok()) return t.status();
  if (absl::Status s = Handshake(**t); !s.ok()) return s;
  absl::Status s = Pump(**t);
  // Whatever was received is written (QoS 0 points are not lost on a disconnect); QoS 1/2
  // messages whose acknowledgement does not reach the broker are redelivered.
  if (pending_ > 0 || !acks_.empty()) {
    if (absl::Status f = Flush(**t); !f.ok() && s.ok()) s = f;
  }
  if (stop_.load()) {
    std::string bye;
    wire::AppendDisconnect(&bye);
    (void)(*t)->WriteAll(bye);  // best effort: the broker keeps the session either way
  }
  return s;
}

absl::Status MqttSource::Handshake(MqttTransport& t) {
  wire::ConnectOptions c;
  c.version = o_.version;
  c.client_id = o_.client_id;
  c.clean = o_.clean_session;
  c.keepalive_s = o_.keepalive_s;
  c.username = o_.username;
  c.password = o_.password;
  c.session_expiry_s = o_.session_expiry_s;
  c.receive_maximum = static_cast<uint16_t>(std::min(o_.batch_max, 65535));
  c.maximum_packet_size = static_cast<uint32_t>(o_.max_packet_bytes);
  std::string out;
  wire::AppendConnect(c, &out);
  if (absl::Status s = Send(t, out); !s.ok()) return s;
  int64_t until = env_->MonotonicNanos() + int64_t{o_.connect_timeout_ms} * kMs;
  while (env_->MonotonicNanos() < until && !stop_.load()) {
    char buf[512];
    auto n = t.Read(buf, sizeof buf, 100);
    if (!n.ok()) return n.status();
    in_.append(buf, *n);
    auto p = wire::NextPacket(in_, o_.max_packet_bytes);
    if (!p.ok()) return p.status();
    if (p->size == 0) continue;
    if (p->type != wire::kConnack) return absl::DataLossError("the broker did not send CONNACK");
    auto ack = wire::DecodeConnack(o_.version, *p);
    if (!ack.ok()) return ack.status();
    in_.erase(0, p->size);
    if (ack->reason != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("connection refused: ", wire::ConnackReasonText(o_.version, ack->reason)));
    }
    std::vector<wire::Subscription> subs;
    for (const MqttSubscription& s : o_.subscriptions) {
      subs.push_back({s.mapping.topic.filter(), s.qos});
    }
    out.clear();
    wire::AppendSubscribe(o_.version, 1, subs, &out);
    return Send(t, out);
  }
  return absl::DeadlineExceededError("no CONNACK from the broker within connect_timeout_ms");
}

// Reads and handles packets. The batch is written when the socket has nothing more to read
// right now, after batch_ms, or at batch_max messages — so a broker that waits for our acks
// (its in-flight window) is never kept waiting longer than one write.
absl::Status MqttSource::Pump(MqttTransport& t) {
  while (!stop_.load()) {
    bool waiting = pending_ > 0 || !acks_.empty();
    auto n = t.Read(read_buf_.get(), kReadChunk, waiting ? 0 : 100);
    if (!n.ok()) return n.status();
    if (*n > 0) {
      in_.append(read_buf_.get(), *n);
      if (absl::Status s = HandlePackets(t); !s.ok()) return s;
    } else if (waiting) {
      if (absl::Status s = Flush(t); !s.ok()) return s;
    }
    if ((pending_ > 0 || !acks_.empty()) && env_->MonotonicNanos() >= deadline_ns_) {
      if (absl::Status s = Flush(t); !s.ok()) return s;
    }
    if (absl::Status s = KeepAlive(t); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MqttSource::HandlePackets(MqttTransport& t) {
  size_t skip = std::min(skip_left_, in_.size());  // the rest of an oversized message
  in_.erase(0, skip);
  skip_left_ -= skip;
  size_t pos = 0;
  while (true) {
    std::string_view rest = std::string_view(in_).substr(pos);
    auto p = wire::NextPacket(rest, o_.max_packet_bytes);
    if (p.status().code() == absl::StatusCode::kResourceExhausted) {
      auto consumed = SkipOversized(rest);
      if (!consumed.ok()) return consumed.status();
      if (*consumed == 0) break;  // its topic has not arrived yet
      pos += *consumed;
      continue;
    }
    if (!p.ok()) return p.status();
    if (p->size == 0) break;
    if (absl::Status s = HandlePacket(*p); !s.ok()) return s;
    pos += p->size;
    if (pending_ >= o_.batch_max) {
      if (absl::Status s = Flush(t); !s.ok()) return s;
    }
  }
  in_.erase(0, pos);
  return absl::OkStatus();
}

// A PUBLISH larger than max_packet_bytes (a 3.1.1 broker does not know our limit): counted as
// malformed, acknowledged with its batch and discarded as it arrives, so it cannot block the
// subscription. Returns the bytes of `rest` used, 0 until its topic and packet id are there.
absl::StatusOr<size_t> MqttSource::SkipOversized(std::string_view rest) {
  auto h = wire::PeekHead(rest);
  if (!h.ok()) return h.status();
  if (h->type != wire::kPublish) {
    return absl::ResourceExhaustedError(
        absl::StrCat("MQTT packet of ", h->size, " bytes exceeds max_packet_bytes"));
  }
  if (rest.size() < h->header + 2) return 0;
  size_t topic_len =
      (static_cast<uint8_t>(rest[h->header]) << 8) | static_cast<uint8_t>(rest[h->header + 1]);
  int qos = (h->flags >> 1) & 3;
  size_t need = h->header + 2 + topic_len + (qos > 0 ? 2 : 0) + (o_.version == wire::kV5 ? 4 : 0);
  if (rest.size() < std::min(need, h->size)) return 0;
  size_t used = std::min(rest.size(), h->size);
  wire::Packet partial{wire::kPublish, h->flags, rest.substr(h->header, used - h->header), 0};
  auto m = wire::DecodePublish(o_.version, partial);
  if (!m.ok()) return m.status();
  if (pending_ == 0 && acks_.empty()) deadline_ns_ = env_->MonotonicNanos() + o_.batch_ms * kMs;
  ++pending_;
  if (m->qos == 1) wire::AppendAck(wire::kPuback, m->packet_id, &acks_);
  if (m->qos == 2) wire::AppendAck(wire::kPubrec, m->packet_id, &acks_);
  std::string what =
      absl::StrCat("topic '", AV(m->topic), "': message of ", h->size,
                   " bytes exceeds max_packet_bytes = ", o_.max_packet_bytes, "; skipped");
  Error(what);
  log_.Warn(what, env_->MonotonicNanos());
  skip_left_ = h->size - used;
  return used;
}

absl::Status MqttSource::HandlePacket(const wire::Packet& p) {
  switch (p.type) {
    case wire::kPublish: {
      auto m = wire::DecodePublish(o_.version, p);
      if (!m.ok()) return m.status();
      OnPublish(*m);
      return absl::OkStatus();
    }
    case wire::kPubrel: {  // QoS 2, second half: our PUBREC was sent after the points were durable
      int reason = 0;
      auto id = wire::DecodeAckId(p, &reason);
      if (!id.ok()) return id.status();
      if (pending_ == 0 && acks_.empty()) deadline_ns_ = env_->MonotonicNanos();
      wire::AppendAck(wire::kPubcomp, *id, &acks_);
      return absl::OkStatus();
    }
    case wire::kSuback: {
      auto s = wire::DecodeSuback(o_.version, p);
      if (!s.ok()) return s.status();
      for (size_t i = 0; i < s->codes.size() && i < o_.subscriptions.size(); ++i) {
        if (s->codes[i] >= 0x80) {
          Error(absl::StrCat("subscription '", o_.subscriptions[i].mapping.topic.filter(),
                             "' refused by the broker (code ", s->codes[i], ")"));
        }
      }
      subscribed_ = true;
      stats_.SetConnected(true);
      return absl::OkStatus();
    }
    case wire::kPingresp:
      ping_sent_ns_ = 0;
      return absl::OkStatus();
    case wire::kDisconnect:
      return absl::UnavailableError(
          absl::StrCat("the broker disconnected (reason ", wire::DecodeDisconnectReason(p), ")"));
    default:  // PUBACK/PUBREC/PUBCOMP of publishes we never send: ignored
      return absl::OkStatus();
  }
}

void MqttSource::OnPublish(const wire::Publish& m) {
  if (pending_ == 0 && acks_.empty()) deadline_ns_ = env_->MonotonicNanos() + o_.batch_ms * kMs;
  ++pending_;
  if (m.qos == 1) wire::AppendAck(wire::kPuback, m.packet_id, &acks_);
  if (m.qos == 2) wire::AppendAck(wire::kPubrec, m.packet_id, &acks_);
  const MqttSubscription* sub = &o_.subscriptions.front();
  if (o_.subscriptions.size() > 1) {
    sub = nullptr;
    for (const MqttSubscription& s : o_.subscriptions) {
      if (s.mapping.topic.Match(m.topic, &scratch_tags_)) {
        sub = &s;
        break;
      }
    }
  }
  std::vector<std::string> errors;
  if (sub == nullptr) {
    errors.push_back("topic matches no configured template");
  } else {
    errors = mqtt::MapMessage(sub->mapping, m.topic, m.payload, env_->NowNanos(), &batch_).errors;
  }
  if (errors.empty()) return;
  std::string what = absl::StrCat("topic '", AV(m.topic), "': ", errors.front());
  if (errors.size() > 1) absl::StrAppend(&what, " (+", errors.size() - 1, " more)");
  Error(what);
  log_.Warn(what, env_->MonotonicNanos());
}

// Writes the batch and, only once it is durable, sends the acknowledgements of its messages.
// If the write fails nothing is acknowledged: the connection is dropped and the broker
// redelivers the QoS 1/2 messages to the next session.
absl::Status MqttSource::Flush(MqttTransport& t) {
  if (!batch_.empty()) {
    if (absl::Status s = sink_.Write(batch_); !s.ok()) {
      batch_.Clear();
      acks_.clear();
      pending_ = 0;
      return absl::UnavailableError(
          absl::StrCat("storing points failed, not acknowledged: ", s.message()));
    }
    stats_.AddPoints(static_cast<int64_t>(batch_.size()), env_->NowNanos());
  }
  stats_.AddMessages(pending_);
  batch_.Clear();
  pending_ = 0;
  std::string acks;
  acks.swap(acks_);
  return Send(t, acks);
}

absl::Status MqttSource::KeepAlive(MqttTransport& t) {
  if (o_.keepalive_s <= 0) return absl::OkStatus();
  int64_t now = env_->MonotonicNanos();
  int64_t period = int64_t{o_.keepalive_s} * 1000 * kMs;
  if (ping_sent_ns_ != 0 && now - ping_sent_ns_ > period) {
    return absl::DeadlineExceededError("no PINGRESP within keepalive_s");
  }
  if (ping_sent_ns_ == 0 && now - last_sent_ns_ >= period / 2) {
    std::string ping;
    wire::AppendPingreq(&ping);
    ping_sent_ns_ = now;
    return Send(t, ping);
  }
  return absl::OkStatus();
}

absl::Status MqttSource::Send(MqttTransport& t, std::string_view bytes) {
  if (bytes.empty()) return absl::OkStatus();
  last_sent_ns_ = env_->MonotonicNanos();
  return t.WriteAll(bytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Source>> MakeMqttSource(const MqttOptions& options, Sink& sink) {
  std::string where = absl::StrCat("mqtt source '", options.name, "': ");
  if (options.client_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "client_id is required (the broker keeps the session under it)"));
  }
  if (options.version != wire::kV311 && options.version != wire::kV5) {
    return absl::InvalidArgumentError(absl::StrCat(where, "version must be 4 (3.1.1) or 5"));
  }
  if (options.subscriptions.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "no subscription"));
  }
  for (const MqttSubscription& s : options.subscriptions) {
    if (s.qos < 0 || s.qos > 2) {
      return absl::InvalidArgumentError(absl::StrCat(where, "qos must be 0, 1 or 2"));
    }
  }
  if (options.batch_max < 1 || options.batch_ms < 0 || options.reconnect_min_ms < 1 ||
      options.reconnect_max_ms < options.reconnect_min_ms) {
    return absl::InvalidArgumentError(
        absl::StrCat(where,
                     "batch_max >= 1, batch_ms >= 0 and "
                     "1 <= reconnect_min_ms <= reconnect_max_ms are required"));
  }
  return std::unique_ptr<Source>(std::make_unique<MqttSource>(options, sink));
}

}  // namespace dc::acquire
