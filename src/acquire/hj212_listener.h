// The HJ 212-2017 TCP listener: emission monitors (CEMS data loggers) connect and send data
// packets; the listener stores their values through a Sink and answers as the standard asks.
// Framing, parsing and the point mapping are the codec's (ingest/hj212.h); docs in
// docs/protocols/hj212.md.
//
// Per connection: fragments reassembled and several packets per read split (FrameSplitter),
// any number of stations (MN), an idle timeout. Per packet: the station's password checked
// (MN → {password, site}, unknown MN accepted into the default site or rejected), data packets
// (CN 2011/2051/2061/2031 and any CN with a DataTime) stored, then — only once the Sink has
// written them — 9014 sent when the packet's Flag asks; other requests answered 9011 (+ 9012).
// Bad frames and packets are counted as errors, logged rate-limited, never stored.
#ifndef DC_ACQUIRE_HJ212_LISTENER_H_
#define DC_ACQUIRE_HJ212_LISTENER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "acquire/source.h"
#include "ingest/hj212.h"

namespace dc::acquire {

// Where the listener hands the data segments of packets it stored, to be forwarded upstream
// (Hj212Forwarder). Thread-safe. Returns once they are queued durably.
class Hj212Outbox {
 public:
  virtual ~Hj212Outbox() = default;
  [[nodiscard]] virtual absl::Status Enqueue(const std::vector<std::string>& data_segments) = 0;
};

struct Hj212Station {
  std::string password;  // PW the station must send; "" = not checked
  std::string site;      // `site` tag of its series; "" = the listener's default_site
};

struct Hj212ListenerOptions {
  std::string name = "hj212";  // source name in /api/v1/sources
  std::string address = "0.0.0.0";
  int port = 8212;      // 0 = any free port (see Hj212Listener::port())
  bool strict = false;  // the standard to the letter; lenient (default) tolerates and logs
  std::map<std::string, Hj212Station> stations;  // by MN
  bool accept_unknown = false;  // unknown MN: stored into default_site (true) or rejected
  std::string default_site;
  std::string zone = "Asia/Shanghai";              // zone of the stations' DataTime
  absl::Duration idle_timeout = absl::Minutes(5);  // a connection silent this long is closed
  int threads = 1;                                 // I/O threads
  int max_connections = 20000;                     // further connections are closed at once
  int log_per_minute = 20;         // rate limit of warnings (errors, tolerated input)
  Hj212Outbox* forward = nullptr;  // not owned; nullptr = no forwarding
};

class Hj212Listener : public Source {
 public:
  // The bound port (after Start), e.g. when options.port is 0.
  virtual int port() const = 0;
  virtual int64_t connections() const = 0;  // open right now
};

// REQUIRES: `sink` (and options.forward) outlive the listener.
std::unique_ptr<Hj212Listener> MakeHj212Listener(const Hj212ListenerOptions& options, Sink& sink);

// What the listener does with one data segment, without sockets (for tests and benchmarks).
// Not thread-safe: one per connection.
class Hj212PacketHandler {
 public:
  // REQUIRES: stats, sink, log outlive the handler.
  struct Log {
    virtual ~Log() = default;
    virtual void Warn(std::string_view what) = 0;  // rate-limited by the implementation
  };
  Hj212PacketHandler(const Hj212ListenerOptions& options, const absl::TimeZone& zone,
                     SourceStats& stats, Sink& sink, Log& log);

  // Handles one data segment of a good frame: replies to requests are appended to the
  // pending replies, values to the pending batch.
  void HandleData(std::string_view data);
  // A frame the splitter rejected.
  void HandleRejected(std::string_view error);
  // Writes the pending batch (and queues the packets for forwarding), then returns the
  // framed replies to send: 9014 of data packets only if that write succeeded.
  std::string Flush();

 private:
  struct Reply {
    std::string frame;
    bool after_store;  // a 9014: only once the points are written
  };
  bool Authorize(const hj212::Packet& p, std::string* site);
  void Error(std::string_view what);

  const Hj212ListenerOptions& options_;
  const hj212::Options codec_;
  const absl::TimeZone zone_;
  SourceStats& stats_;
  Sink& sink_;
  Log& log_;
  PointBatch batch_;
  std::vector<std::string> forward_;
  std::vector<Reply> replies_;
  int64_t packets_ = 0;
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_HJ212_LISTENER_H_
