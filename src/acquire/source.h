// The acquisition framework: every live source of data — an MQTT broker subscription, a Modbus
// or DL/T 645 device, the HJ 212 listener, a watched import folder — is a Source with start/stop
// and a state, kept in a SourceRegistry. Start here; each protocol lives in its own file.
//
// Sources hand their points to a Sink (the store): Write returns once the points are durable
// under the store's fsync policy, so a source acknowledges upstream (MQTT PUBACK, HJ 212 9014)
// only after Write succeeded. A source that fails never stops another or the server.
#ifndef DC_ACQUIRE_SOURCE_H_
#define DC_ACQUIRE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/sample.h"

namespace dc::acquire {

// Where sources write. Thread-safe. Write returns once the batch is durable (or an error).
class Sink {
 public:
  virtual ~Sink() = default;
  [[nodiscard]] virtual absl::Status Write(const PointBatch& batch) = 0;
};

// A device behind a source that polls several (a meter on a DL/T 645 bus): its own counters,
// shown by /api/v1/sources and /metrics beside the source's.
struct DeviceState {
  std::string name;          // the meter id ("press-line")
  std::string address;       // its protocol address ("000012345678"; "" = not yet known)
  bool answering = false;    // its last poll read at least one value
  int64_t polls = 0;         // polls attempted
  int64_t reads_ok = 0;      // values read with good quality
  int64_t errors = 0;        // values that could not be read (stored as quality bad)
  int64_t last_poll_ns = 0;  // slot time of its newest poll (0 = none yet)
  std::string last_error;    // its newest error
};

// What /api/v1/sources, /health and /metrics show of a source.
struct SourceState {
  std::string name;  // unique, from the configuration ("plant-broker")
  std::string kind;  // "mqtt" | "modbus" | "hj212" | "dlt645" | "folder"
  bool running = false;
  bool connected = false;    // a broker/device/peer is connected right now
  int64_t last_data_ns = 0;  // wall clock of the last stored point (0 = none yet)
  int64_t points = 0;        // points stored
  int64_t messages = 0;      // messages/polls/packets/files handled
  int64_t errors = 0;        // malformed input, failed polls, rejected packets, write failures
  std::string last_error;    // the newest error, with what and why
  int64_t last_error_ns = 0;
  std::vector<DeviceState> devices;  // the devices it polls, when there are several (else empty)
};

// Thread-safe counters behind a SourceState, for source implementations.
class SourceStats {
 public:
  SourceStats(std::string name, std::string kind);
  void SetRunning(bool running);
  void SetConnected(bool connected);
  void AddMessages(int64_t n);
  // Points stored at wall clock `now_ns`.
  void AddPoints(int64_t n, int64_t now_ns);
  // An error: counted, and kept as the last error.
  void AddError(std::string_view message, int64_t now_ns);
  SourceState Snapshot() const;

 private:
  mutable absl::Mutex mu_;
  SourceState state_ ABSL_GUARDED_BY(mu_);
};

class Source {
 public:
  virtual ~Source() = default;
  // Starts the source's own thread(s) and returns; failing to reach a device or broker is not
  // an error here (the source keeps retrying with backoff and reports it in its state). An
  // error means the source cannot run at all (e.g. it cannot bind its port).
  [[nodiscard]] virtual absl::Status Start() = 0;
  // Stops and joins its threads; idempotent. After it returns the source writes nothing more.
  virtual void Stop() = 0;
  virtual SourceState State() const = 0;
};

// The configured sources. Thread-safe.
class SourceRegistry {
 public:
  SourceRegistry() = default;
  SourceRegistry(const SourceRegistry&) = delete;
  SourceRegistry& operator=(const SourceRegistry&) = delete;
  ~SourceRegistry();

  // A source may borrow one added before it (a listener its forwarder): sources stop, and are
  // destroyed, in the reverse order of Add.
  void Add(std::unique_ptr<Source> source);
  // Starts every source; a source that fails to start is left stopped with the error in its
  // state (and in the returned list), and the others start regardless.
  std::vector<absl::Status> StartAll();
  void StopAll();
  std::vector<SourceState> States() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Source>> sources_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> start_errors_ ABSL_GUARDED_BY(mu_);  // per source, "" = started
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_SOURCE_H_
