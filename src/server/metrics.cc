#include "server/metrics.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/env.h"
#include "common/strings.h"
#include "spdlog/spdlog.h"

namespace dc::server {

void Metrics::CountRequest(std::string_view route, int status) {
  absl::MutexLock l(&mu_);
  ++requests_[{std::string(route), status}];
}

void Metrics::AddIngest(int64_t points, int64_t rejected_lines, int64_t now_ns) {
  ingest_points_.fetch_add(points, std::memory_order_relaxed);
  rejected_lines_.fetch_add(rejected_lines, std::memory_order_relaxed);
  int64_t sec = now_ns / 1'000'000'000;
  int slot = static_cast<int>(sec % kRateSlots);
  int64_t seen = slot_second_[slot].load(std::memory_order_relaxed);
  if (seen != sec && slot_second_[slot].compare_exchange_strong(seen, sec)) {
    slot_points_[slot].store(0, std::memory_order_relaxed);  // racy by a few points at most
  }
  slot_points_[slot].fetch_add(points, std::memory_order_relaxed);
}

double Metrics::IngestRate(int64_t now_ns) const {
  int64_t sec = now_ns / 1'000'000'000;
  int64_t sum = 0;
  for (int64_t s = std::max<int64_t>(0, sec - 10); s < sec; ++s) {
    int slot = static_cast<int>(s % kRateSlots);
    if (slot_second_[slot].load(std::memory_order_relaxed) == s) {
      sum += slot_points_[slot].load(std::memory_order_relaxed);
    }
  }
  return static_cast<double>(sum) / 10.0;
}

int64_t Metrics::StorageFaultSeen(StorageFault kind, std::string_view message, int64_t now_ns,
                                  int64_t wall_ns) {
  absl::MutexLock l(&fault_mu_);
  FaultKind& f = faults_[kind == StorageFault::kNoSpace ? 0 : 1];
  ++f.total;
  health_.degraded = true;
  health_.last_error = std::string(message);
  health_.last_kind = std::string(StorageFaultName(kind));
  health_.last_error_ns = wall_ns;
  if (f.last_logged_ns != 0 && now_ns - f.last_logged_ns < kStorageLogIntervalNs) {
    ++f.suppressed;
    return -1;
  }
  f.last_logged_ns = now_ns;
  return std::exchange(f.suppressed, 0);
}

void ReportStorageFault(Metrics& metrics, const absl::Status& status, std::string_view where) {
  StorageFault fault = StorageFaultOf(status);
  if (fault == StorageFault::kNone) return;
  Env* env = Env::Default();
  int64_t suppressed =
      metrics.StorageFaultSeen(fault, SV(status.message()), env->MonotonicNanos(), env->NowNanos());
  if (suppressed < 0) return;
  spdlog::error("storage fault ({}) on {}: {}{}", StorageFaultName(fault), where,
                SV(status.message()),
                suppressed > 0 ? absl::StrCat(" (", suppressed, " more since the last report)")
                               : std::string());
}

void Metrics::StorageOk() {
  absl::MutexLock l(&fault_mu_);
  health_.degraded = false;
}

Metrics::StorageHealth Metrics::storage_health() const {
  absl::MutexLock l(&fault_mu_);
  return health_;
}

void Metrics::ObserveQuery(double seconds) {
  absl::MutexLock l(&mu_);
  size_t i = 0;
  while (i < kLatencyBounds.size() && seconds > kLatencyBounds[i]) ++i;
  ++latency_counts_[i];
  latency_sum_ += seconds;
  ++latency_count_;
}

std::string Metrics::Render(const StoreStats& stats, int64_t now_ns) {
  std::string out;
  auto gauge = [&](std::string_view name, std::string_view help, std::string_view type,
                   double value) {
    absl::StrAppend(&out, "# HELP ", AV(name), " ", AV(help), "\n# TYPE ", AV(name), " ", AV(type),
                    "\n", AV(name), " ", absl::StrFormat("%.17g", value), "\n");
  };
  gauge("dualcarbon_ingest_points_total", "Points stored through the HTTP write routes.", "counter",
        static_cast<double>(ingest_points()));
  gauge("dualcarbon_ingest_rejected_lines_total", "Lines rejected as malformed by write routes.",
        "counter", static_cast<double>(rejected_lines_.load()));
  gauge("dualcarbon_ingest_points_per_second", "Points stored per second over the last 10 s.",
        "gauge", IngestRate(now_ns));
  gauge("dualcarbon_http_connections", "Open HTTP connections.", "gauge",
        static_cast<double>(connections()));
  gauge("dualcarbon_store_series", "Series in the store.", "gauge",
        static_cast<double>(stats.series));
  gauge("dualcarbon_store_points", "Points in the store (segments + head).", "gauge",
        static_cast<double>(stats.points));
  gauge("dualcarbon_store_head_points", "Points in the in-memory head.", "gauge",
        static_cast<double>(stats.head_points));
  gauge("dualcarbon_store_segments", "Segment files.", "gauge",
        static_cast<double>(stats.segments));
  gauge("dualcarbon_store_bytes_on_disk", "WAL and segment bytes.", "gauge",
        static_cast<double>(stats.bytes_on_disk));
  gauge("dualcarbon_wal_bytes", "Bytes in WAL files.", "gauge",
        static_cast<double>(stats.wal_bytes));
  gauge("dualcarbon_wal_pending_bytes", "WAL bytes written but not yet fsynced.", "gauge",
        static_cast<double>(stats.wal_pending_bytes));
  gauge("dualcarbon_compactions_total", "Segment merges since start.", "counter",
        static_cast<double>(stats.compactions));
  gauge("dualcarbon_compaction_bytes_total", "Bytes written by segment merges since start.",
        "counter", static_cast<double>(stats.compaction_bytes));

  {
    absl::MutexLock f(&fault_mu_);
    absl::StrAppend(&out,
                    "# HELP dualcarbon_storage_errors_total Store writes failed by a storage "
                    "fault (no_space: disk full; io: other I/O errors).\n"
                    "# TYPE dualcarbon_storage_errors_total counter\n",
                    "dualcarbon_storage_errors_total{kind=\"no_space\"} ", faults_[0].total, "\n",
                    "dualcarbon_storage_errors_total{kind=\"io\"} ", faults_[1].total, "\n");
    gauge("dualcarbon_storage_degraded", "1 while the last store write failed by a storage fault.",
          "gauge", health_.degraded ? 1 : 0);
  }
  absl::MutexLock l(&mu_);
  absl::StrAppend(&out,
                  "# HELP dualcarbon_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE dualcarbon_http_requests_total counter\n");
  for (const auto& [key, n] : requests_) {
    absl::StrAppend(&out, "dualcarbon_http_requests_total{route=\"", key.first, "\",code=\"",
                    key.second, "\"} ", n, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP dualcarbon_query_duration_seconds Latency of GET /api/v1/query.\n"
                  "# TYPE dualcarbon_query_duration_seconds histogram\n");
  int64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += latency_counts_[i];
    absl::StrAppend(&out, "dualcarbon_query_duration_seconds_bucket{le=\"",
                    absl::StrFormat("%g", kLatencyBounds[i]), "\"} ", cumulative, "\n");
  }
  cumulative += latency_counts_.back();
  absl::StrAppend(&out, "dualcarbon_query_duration_seconds_bucket{le=\"+Inf\"} ", cumulative, "\n",
                  "dualcarbon_query_duration_seconds_sum ", absl::StrFormat("%.9g", latency_sum_),
                  "\n", "dualcarbon_query_duration_seconds_count ", latency_count_, "\n");
  return out;
}

}  // namespace dc::server
