// The demo cement plant's kiln stack CEMS (docs/protocols/hj212.md "The demo station"): the
// monitor's values as a function of (seed, time), the HJ 212-2017 packets a data logger sends
// for them (CN 2011 real-time every minute, CN 2061 hourly averages with ZsAvg at 10 % O2 and
// data flags), the history as the same points the listener would store, and a station that
// sends the live packets to the server's HJ 212 listener over TCP.
#ifndef DC_APP_DEMO_CEMS_H_
#define DC_APP_DEMO_CEMS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "app/demo_plant.h"
#include "common/sample.h"

namespace dc::app {

inline constexpr char kDemoCemsMn[] = "DEMO0CEMENT0KILN00000001";
inline constexpr char kDemoCemsPassword[] = "demo212";
inline constexpr double kDemoCemsRefO2 = 10;  // GB 4915-2013: cement kiln, 10 % O2

// The HJ 212 data segments (without framing) of the station at `t` (a minute: CN 2011) and of
// the hour starting at `hour_start` (CN 2061).
std::string CemsRealtimeData(const DemoPlant& plant, int64_t t);
std::string CemsHourData(const DemoPlant& plant, int64_t hour_start);

// Appends the points of the hourly packets of every hour that starts at or after `from` and
// ends at or before `to` — exactly what the listener stores for them.
absl::Status AppendCemsHours(const DemoPlant& plant, int64_t from, int64_t to, PointBatch* out);

// A data logger on its own thread: connects to 127.0.0.1:`port`, sends the real-time packet of
// the current minute at once and at every new minute, the hourly packet of every hour that
// ends, each with Flag=5 (2017, reply wanted), and reads the 9014 replies. Reconnects when the
// connection fails.
class DemoCemsStation {
 public:
  // REQUIRES: `plant` outlives the station. Hours ending after `history_end_ns` are sent live.
  DemoCemsStation(const DemoPlant& plant, int64_t history_end_ns)
      : plant_(plant), history_end_ns_(history_end_ns) {}
  ~DemoCemsStation() { Stop(); }

  void Start(const std::string& host, int port);
  void Stop();
  int64_t acked() const { return acked_.load(); }  // packets answered by a 9014

 private:
  void Loop(std::string host, int port);
  absl::Status Send(int& fd, const std::string& host, int port, const std::string& data);

  const DemoPlant& plant_;
  const int64_t history_end_ns_;
  absl::Notification stop_;
  std::thread thread_;
  std::atomic<int64_t> acked_{0};
};

}  // namespace dc::app

#endif  // DC_APP_DEMO_CEMS_H_
