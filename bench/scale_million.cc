// scale_million: a province's meters against the real `dualcarbon serve` over HTTP.
//   N meters (one series each, a kWh register read every minute) send batches of many meters
//   times a few minutes each. Reported: ingest rate; RSS and RSS per series with the head
//   full, after a restart and with the head empty; RSS after listing every series; bytes per
//   point on disk and files per partition; SIGTERM time; restart and kill -9 recovery time
//   (until the port answers, and until a query returns the last data written); query latency
//   of one meter's day and of 1,000 meters' hourly sums of a day. Every point sent is counted
//   back after the kill -9.
// Size: --series N (1,000,000 x scale) --minutes M (43,200 = 30 days, x scale), batches of
// --batch-meters (5000) x --batch-minutes (5); the full size is --scale 1 (1 M series
// for a month); 100 k series for a year is --series 100000 --minutes 525600.
// Other options: --connections N (2), --fsync POLICY (interval:100), --dualcarbon PATH,
// --keep 1 (keep the directory), --phases N (1..3, default 3: run only the first N phases;
// --phases 1 --keep 1 leaves the store as SIGTERM left it, head in the WAL, for profiling).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench.h"
#include "common/strings.h"
#include "common/time.h"
#include "nlohmann/json.hpp"
#include "peers.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// 2024-01-01T00:00:00+08:00: local midnight of the store's default block zone, so a "day"
// query covers one partition.
constexpr int64_t kT0 = (1704067200LL - 8 * 3600) * kNanosPerSecond;

struct Shape {
  int64_t series = 0, minutes = 0;
  int64_t batch_meters = 0, batch_minutes = 0;
  int64_t groups() const { return (series + batch_meters - 1) / batch_meters; }
  int64_t windows() const { return (minutes + batch_minutes - 1) / batch_minutes; }
  int64_t batches() const { return groups() * windows(); }
  int64_t points() const { return series * minutes; }
};

std::string Rfc3339(int64_t t) { return FormatTime(t, absl::UTCTimeZone()); }

std::string MeterKey(int64_t m) {
  char b[48];
  std::snprintf(b, sizeof b, "meter,id=p%07lld kwh", static_cast<long long>(m));
  return b;
}

// kWh register of meter m at minute k: increasing (5-11 hundredths a minute, plus 0-4 of
// noise), two decimals.
double Reading(int64_t m, int64_t k) {
  const uint64_t h = (static_cast<uint64_t>(m) * 0x9E3779B97F4A7C15ULL) ^
                     (static_cast<uint64_t>(k) * 0xC2B2AE3D27D4EB4FULL);
  return static_cast<double>((m % 1000) * 100000 + k * (5 + m % 7) + (h >> 61) % 5) / 100.0;
}

// Batch b: window b / groups (batch_minutes minutes), meter group b % groups.
std::string Body(const Shape& s, int64_t b) {
  const int64_t w = b / s.groups(), g = b % s.groups();
  const int64_t m0 = g * s.batch_meters, m1 = std::min(s.series, m0 + s.batch_meters);
  const int64_t k0 = w * s.batch_minutes, k1 = std::min(s.minutes, k0 + s.batch_minutes);
  std::string out;
  out.reserve(static_cast<size_t>((m1 - m0) * (k1 - k0) * 48));
  char line[96];
  for (int64_t m = m0; m < m1; ++m) {
    for (int64_t k = k0; k < k1; ++k) {
      int n = std::snprintf(line, sizeof line, "meter,id=p%07lld kwh=%.2f %lld\n",
                            static_cast<long long>(m), Reading(m, k),
                            static_cast<long long>(kT0 + k * kNanosPerMinute));
      out.append(line, static_cast<size_t>(n));
    }
  }
  return out;
}

// A field of /proc/PID/status in bytes ("VmRSS", "RssAnon", "RssFile"); 0 if absent.
int64_t StatusBytes(pid_t pid, std::string_view field) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  const std::string prefix = absl::StrCat(AV(field), ":");
  while (std::getline(f, line)) {
    if (line.rfind(prefix, 0) == 0) {
      int64_t kb = 0;
      absl::string_view v = absl::StripAsciiWhitespace(line.substr(prefix.size()));
      if (absl::EndsWith(v, "kB")) v.remove_suffix(2);
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &kb);
      return kb * 1024;
    }
  }
  return 0;
}
int64_t RssBytes(pid_t pid) { return StatusBytes(pid, "VmRSS"); }

absl::StatusOr<nlohmann::json> GetJson(int port, const std::string& path) {
  auto c = HttpClient::Connect(port);
  if (!c.ok()) return c.status();
  auto r = (*c)->Get(path);
  if (!r.ok()) return r.status();
  if (r->status != 200) return absl::InternalError(absl::StrCat("GET ", path, ": ", r->status));
  try {
    return nlohmann::json::parse(r->body);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("GET ", path, ": ", e.what()));
  }
}

// Sends every batch over `connections` keep-alive connections; returns seconds taken.
absl::StatusOr<double> Ingest(const Shape& s, int port, int connections) {
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mu;
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      auto client = HttpClient::Connect(port);
      for (int64_t b; client.ok() && !failed && (b = next++) < s.batches();) {
        std::string body = Body(s, b);
        auto r = (*client)->Post("/write?db=bench&precision=ns", "text/plain", body);
        if (!r.ok() || r->status != 204) {
          std::lock_guard l(error_mu);
          error = r.ok() ? absl::StrCat("HTTP ", r->status, " ", r->body) : r.status().ToString();
          failed = true;
        }
      }
      if (!client.ok()) {
        std::lock_guard l(error_mu);
        error = client.status().ToString();
        failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) return absl::InternalError("ingest: " + error);
  return SecondsSince(t0);
}

std::string QueryPath(const std::vector<int64_t>& meters, int64_t start, int64_t end,
                      const std::string& step) {
  std::string p = "/api/v1/query?";
  for (int64_t m : meters) absl::StrAppend(&p, "series=", UrlEncode(MeterKey(m)), "&");
  absl::StrAppend(&p, "start=", UrlEncode(Rfc3339(start)), "&end=", UrlEncode(Rfc3339(end)));
  if (!step.empty()) absl::StrAppend(&p, "&step=", step, "&agg=sum");
  return p;
}

// Points the answer holds, over all its series.
int64_t PointsIn(const nlohmann::json& j) {
  int64_t n = 0;
  for (const auto& r : j.at("results")) n += static_cast<int64_t>(r.at("points").size());
  return n;
}

// Waits (1 ms polls) until a query of the last meter's last minute returns it; seconds.
absl::StatusOr<double> WaitForData(const Shape& s, int port, Clock::time_point t0) {
  const int64_t t = kT0 + (s.minutes - 1) * kNanosPerMinute;
  const std::string path = QueryPath({s.series - 1}, t, t + kNanosPerMinute, "");
  for (int i = 0; i < 60000; ++i) {
    auto j = GetJson(port, path);
    if (j.ok() && PointsIn(*j) == 1) return SecondsSince(t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::DeadlineExceededError("the last point written never became readable");
}

struct Ctx {
  Shape shape;
  std::string binary, dir, fsync;
  int connections = 2;
  const char* name = "scale_million";
  void Report(const char* metric, double v, const char* unit) const {
    bench::Report(name, metric, v, unit);
  }
};

// Starts the server on the existing (or a new) directory; reports the start and data times.
absl::StatusOr<Server> Start(const Ctx& cx, const char* what) {
  auto t0 = Clock::now();
  auto srv = StartDualcarbon(cx.binary, cx.dir, cx.fsync);
  if (!srv.ok()) return srv.status();
  const double ready = SecondsSince(t0);
  auto data = WaitForData(cx.shape, srv->port, t0);
  if (!data.ok()) return data.status();
  cx.Report(absl::StrCat(what, "_port_s").c_str(), ready, "s");
  cx.Report(absl::StrCat(what, "_data_s").c_str(), *data, "s");
  return srv;
}

absl::StatusOr<nlohmann::json> StoreStats(int port) {
  auto j = GetJson(port, "/health");
  if (!j.ok()) return j.status();
  return j->at("store");
}

void ReportRss(const Ctx& cx, const Server& srv, const char* what) {
  const int64_t rss = RssBytes(srv.proc->pid());
  cx.Report(absl::StrCat("rss_", what).c_str(), static_cast<double>(rss) / (1 << 20), "MiB");
  cx.Report(absl::StrCat("rss_per_series_", what).c_str(),
            static_cast<double>(rss) / static_cast<double>(cx.shape.series), "B");
  // Of which anonymous (heap) memory; the rest is the mapped segment files' pages, page cache
  // the kernel can drop.
  const int64_t anon = StatusBytes(srv.proc->pid(), "RssAnon");
  cx.Report(absl::StrCat("rss_anon_per_series_", what).c_str(),
            static_cast<double>(anon) / static_cast<double>(cx.shape.series), "B");
}

// SIGTERM, timed until the process has exited.
double Terminate(Server& srv) {
  auto t0 = Clock::now();
  ::kill(srv.proc->pid(), SIGTERM);
  while (srv.proc->Running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return SecondsSince(t0);
}

void Kill9(Server& srv) {
  ::kill(srv.proc->pid(), SIGKILL);
  while (srv.proc->Running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Latency of one meter's raw day and of 1,000 meters' hourly sums of a day (20 requests of 50).
absl::Status Queries(const Ctx& cx, int port) {
  const Shape& s = cx.shape;
  const int64_t day_end = kT0 + kNanosPerDay;
  std::vector<double> one;
  for (int i = 0; i < 20; ++i) {
    const int64_t m = (i * 7919) % s.series;
    auto t0 = Clock::now();
    auto j = GetJson(port, QueryPath({m}, kT0, day_end, ""));
    if (!j.ok()) return j.status();
    one.push_back(SecondsSince(t0) * 1e3);
    if (PointsIn(*j) != std::min<int64_t>(s.minutes, 1440)) {
      return absl::InternalError(absl::StrCat("meter ", m, ": ", PointsIn(*j), " points"));
    }
  }
  std::sort(one.begin(), one.end());
  cx.Report("query_one_meter_day_p50", one[one.size() / 2], "ms");
  auto t0 = Clock::now();
  int64_t buckets = 0;
  const int64_t n = std::min<int64_t>(1000, s.series);
  for (int64_t i = 0; i < n; i += 50) {
    std::vector<int64_t> meters;
    for (int64_t m = i; m < std::min(n, i + 50); ++m) meters.push_back(m * (s.series / n));
    auto j = GetJson(port, QueryPath(meters, kT0, day_end, "1h"));
    if (!j.ok()) return j.status();
    buckets += PointsIn(*j);
  }
  cx.Report("query_1000_meters_hourly_day", SecondsSince(t0) * 1e3, "ms");
  cx.Report("query_1000_meters_hourly_day_buckets", static_cast<double>(buckets), "buckets");
  return absl::OkStatus();
}

std::string DefaultBinary() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "dualcarbon";
  buf[n] = 0;
  return (fs::path(buf).parent_path() / "dualcarbon").string();
}

// Lists every series; reports the time and the RSS it leaves behind. A flush running meanwhile
// (the head reached head_max_points, 4 M points) grows RSS by itself: then that is said, since
// the growth is the flush's, not the listing's.
absl::Status ListAll(const Ctx& cx, const Server& srv) {
  auto st0 = StoreStats(srv.port);
  if (!st0.ok()) return st0.status();
  const int64_t before = RssBytes(srv.proc->pid());
  auto t0 = Clock::now();
  auto j = GetJson(srv.port, "/api/v1/series?limit=10");
  if (!j.ok()) return j.status();
  if (j->at("total").get<int64_t>() != cx.shape.series) {
    return absl::InternalError(absl::StrCat("series total ", j->at("total").dump()));
  }
  cx.Report("list_series_ms", SecondsSince(t0) * 1e3, "ms");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int64_t after = RssBytes(srv.proc->pid());
  cx.Report("list_series_rss_growth", static_cast<double>(after - before) / (1 << 20), "MiB");
  auto st1 = StoreStats(srv.port);
  if (!st1.ok()) return st1.status();
  if (st1->at("segments") != st0->at("segments") ||
      st1->at("head_points") != st0->at("head_points")) {
    std::printf("  (a flush ran during the listing: the growth above includes it)\n");
  }
  return absl::OkStatus();
}

// Ingest, then SIGTERM with the head full.
absl::Status Phase1(const Ctx& cx) {
  auto srv = StartDualcarbon(cx.binary, cx.dir, cx.fsync);
  if (!srv.ok()) return srv.status();
  auto secs = Ingest(cx.shape, srv->port, cx.connections);
  if (!secs.ok()) return secs.status();
  cx.Report("ingest_points_per_s", static_cast<double>(cx.shape.points()) / *secs, "points/s");
  cx.Report("ingest_s", *secs, "s");
  auto st = StoreStats(srv->port);
  if (!st.ok()) return st.status();
  cx.Report("head_points_at_stop", st->at("head_points").get<double>(), "points");
  cx.Report("wal_bytes_at_stop", st->at("wal_bytes").get<double>(), "B");
  ReportRss(cx, *srv, "after_ingest");
  if (absl::Status s = ListAll(cx, *srv); !s.ok()) return s;
  cx.Report("sigterm_s", Terminate(*srv), "s");
  return absl::OkStatus();
}

// Restart (WAL replay), kill -9, recover, check every point; then the head emptied.
absl::Status Phase2(const Ctx& cx) {
  {
    auto srv = Start(cx, "restart");
    if (!srv.ok()) return srv.status();
    ReportRss(cx, *srv, "after_restart");
    Kill9(*srv);
  }
  auto srv = Start(cx, "kill9_recovery");
  if (!srv.ok()) return srv.status();
  auto st = StoreStats(srv->port);
  if (!st.ok()) return st.status();
  const int64_t points = st->at("points").get<int64_t>();
  cx.Report("points_after_kill9", static_cast<double>(points), "points");
  if (points != cx.shape.points() || st->at("series").get<int64_t>() != cx.shape.series) {
    return absl::DataLossError(absl::StrCat("after kill -9 the store holds ", points, " points, ",
                                            st->at("series").dump(), " series; sent ",
                                            cx.shape.points(), " points"));
  }
  Terminate(*srv);
  return absl::OkStatus();
}

// The head flushed offline (`dualcarbon inspect` opens and closes the store, flushing it), then
// served with the head empty: RSS, disk, queries.
absl::Status Phase3(const Ctx& cx) {
  auto t0 = Clock::now();
  auto inspect = ChildProcess::Start(
      {cx.binary, "inspect", "--data-dir", cx.dir + "/data", "--format", "json"},
      cx.dir + "/inspect.log");
  if (!inspect.ok()) return inspect.status();
  std::string how;
  while ((*inspect)->Running(&how)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cx.Report("offline_flush_s", SecondsSince(t0), "s");
  auto srv = Start(cx, "empty_head_start");
  if (!srv.ok()) return srv.status();
  auto st = StoreStats(srv->port);
  if (!st.ok()) return st.status();
  if (st->at("head_points").get<int64_t>() != 0) {
    return absl::InternalError("head not empty after the offline flush: " + st->dump());
  }
  ReportRss(cx, *srv, "head_empty");
  const double seg_bytes =
      st->at("bytes_on_disk").get<double>() - st->at("wal_bytes").get<double>();
  cx.Report("bytes_per_point", seg_bytes / st->at("points").get<double>(), "B");
  cx.Report("segments", st->at("segments").get<double>(), "files");
  cx.Report("partitions", st->at("partitions").get<double>(), "partitions");
  cx.Report("files_per_partition",
            st->at("segments").get<double>() / std::max(1.0, st->at("partitions").get<double>()),
            "files");
  if (absl::Status s = ListAll(cx, *srv); !s.ok()) return s;
  ReportRss(cx, *srv, "head_empty_after_list");
  if (absl::Status s = Queries(cx, srv->port); !s.ok()) return s;
  ReportRss(cx, *srv, "head_empty_after_queries");
  Terminate(*srv);
  return absl::OkStatus();
}

}  // namespace

DC_BENCH(scale_million,
         "a province's meters (1 M series x 1-minute data at --scale 1) over HTTP: ingest, RSS per "
         "series, disk, SIGTERM, kill -9 recovery, queries") {
  Ctx cx;
  auto num = [&](const char* k, double def) {
    return static_cast<int64_t>(std::stod(args.Get(k, absl::StrCat(def))));
  };
  cx.shape.series = std::max<int64_t>(100, num("series", 1e6 * args.scale));
  cx.shape.minutes = std::max<int64_t>(1, num("minutes", 43200 * args.scale));
  cx.shape.batch_meters = std::max<int64_t>(1, num("batch-meters", 5000));
  cx.shape.batch_minutes = std::max<int64_t>(1, num("batch-minutes", 5));
  cx.connections = static_cast<int>(std::max<int64_t>(1, num("connections", 2)));
  cx.binary = args.Get("dualcarbon", DefaultBinary());
  cx.fsync = args.Get("fsync", "interval:100");
  cx.dir = args.work_dir + "/scale_million";
  fs::remove_all(cx.dir);
  std::printf(
      "data: %lld series x %lld minutes = %lld points, batches of %lld meters x %lld "
      "minutes, %d connections\n",
      static_cast<long long>(cx.shape.series), static_cast<long long>(cx.shape.minutes),
      static_cast<long long>(cx.shape.points()), static_cast<long long>(cx.shape.batch_meters),
      static_cast<long long>(cx.shape.batch_minutes), cx.connections);
  const int64_t phases = std::clamp<int64_t>(num("phases", 3), 1, 3);
  const std::array<absl::Status (*)(const Ctx&), 3> all = {Phase1, Phase2, Phase3};
  for (int64_t i = 0; i < phases; ++i) {
    if (absl::Status s = all[i](cx); !s.ok()) {
      std::printf("scale_million: FAILED: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (args.Get("keep", "0") != "1") fs::remove_all(cx.dir);
  return 0;
}

}  // namespace dc::bench
