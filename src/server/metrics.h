// Counters for GET /metrics (Prometheus text format 0.0.4). Thread-safe.
#ifndef DC_SERVER_METRICS_H_
#define DC_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/store.h"

namespace dc::server {

class Metrics {
 public:
  // Upper bounds (seconds) of the query latency histogram buckets.
  static constexpr std::array<double, 12> kLatencyBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

  void CountRequest(std::string_view route, int status);
  // Points stored and lines rejected by one write, at monotonic time now_ns.
  void AddIngest(int64_t points, int64_t rejected_lines, int64_t now_ns);
  void ObserveQuery(double seconds);
  // A store operation failed with a storage fault (common/env.h) at monotonic time now_ns,
  // wall time wall_ns. Returns how many faults of this kind went unlogged before this one
  // when this one should be logged (at most once per kStorageLogIntervalNs per kind), or -1.
  int64_t StorageFaultSeen(StorageFault kind, std::string_view message, int64_t now_ns,
                           int64_t wall_ns);
  // A store write succeeded: a storage fault no longer persists.
  void StorageOk();
  struct StorageHealth {
    bool degraded = false;      // the last store write failed with a storage fault
    std::string last_error;     // message of the last storage fault ("" if none ever)
    std::string last_kind;      // "no_space" | "io"
    int64_t last_error_ns = 0;  // its wall time
  };
  StorageHealth storage_health() const;
  static constexpr int64_t kStorageLogIntervalNs = 10'000'000'000;

  void ConnectionOpened() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { connections_.fetch_sub(1, std::memory_order_relaxed); }

  // Points per second over the last 10 whole seconds before now_ns.
  double IngestRate(int64_t now_ns) const;
  int64_t ingest_points() const { return ingest_points_.load(std::memory_order_relaxed); }
  int64_t connections() const { return connections_.load(std::memory_order_relaxed); }

  std::string Render(const StoreStats& stats, int64_t now_ns);

 private:
  static constexpr int kRateSlots = 16;
  std::atomic<int64_t> ingest_points_{0};
  std::atomic<int64_t> rejected_lines_{0};
  std::atomic<int64_t> connections_{0};
  std::array<std::atomic<int64_t>, kRateSlots> slot_second_{};
  std::array<std::atomic<int64_t>, kRateSlots> slot_points_{};

  struct FaultKind {
    int64_t total = 0;
    int64_t suppressed = 0;      // since the last logged one
    int64_t last_logged_ns = 0;  // monotonic; 0 = never
  };
  mutable absl::Mutex fault_mu_;
  std::array<FaultKind, 2> faults_ ABSL_GUARDED_BY(fault_mu_);  // kNoSpace, kIo
  StorageHealth health_ ABSL_GUARDED_BY(fault_mu_);

  absl::Mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::array<int64_t, kLatencyBounds.size() + 1> latency_counts_ ABSL_GUARDED_BY(mu_) = {};
  double latency_sum_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t latency_count_ ABSL_GUARDED_BY(mu_) = 0;
};

// Counts a storage fault (common/env.h) in `metrics` and logs it with `where` ("POST /write"),
// at most once per Metrics::kStorageLogIntervalNs per kind, with the number not logged since.
// Does nothing for other statuses.
void ReportStorageFault(Metrics& metrics, const absl::Status& status, std::string_view where);

}  // namespace dc::server

#endif  // DC_SERVER_METRICS_H_
