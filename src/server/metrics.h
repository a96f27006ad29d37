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

  absl::Mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::array<int64_t, kLatencyBounds.size() + 1> latency_counts_ ABSL_GUARDED_BY(mu_) = {};
  double latency_sum_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t latency_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dc::server

#endif  // DC_SERVER_METRICS_H_
