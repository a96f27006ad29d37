// HTTP ingest workloads:
//   lp_parse     line-protocol parsing speed on one core (lines/s, points/s, MB/s);
//   ingest_http  dualcarbon vs influxd 1.6 vs clickhouse-server 18.16 over HTTP on loopback,
//                in the same run: points/s, ratios, and p50/p99 of a 30-day hourly aggregate
//                of one series while ingest runs. Every server is checked afterwards to hold
//                exactly the points sent, so one that drops data cannot win.
// Options (ingest_http): --connections N (2), --batch-lines N (5000), --servers LIST
// (dualcarbon,influxdb,clickhouse), --dualcarbon PATH (default: beside this binary),
// --influxd PATH, --clickhouse PATH, --fsync POLICY (interval:100), --query-interval-ms N (10),
// --keep 1 (keep the temporary directories).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/line_protocol.h"
#include "nlohmann/json.hpp"
#include "peers.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int64_t kT0 = 1704067200LL * kNanosPerSecond;  // 2024-01-01T00:00:00Z
constexpr int64_t kThirtyDays = 30 * kNanosPerDay;

// Plant data: `meters` energy meters, each a kWh register (2 decimals) and a kW gauge
// (1 decimal), sampled at a fixed step so that every meter covers 30 days.
struct Plant {
  int meters = 0;
  int64_t steps = 0;  // readings per meter
  int64_t step_ns = 0;
  std::vector<int64_t> kwh_centi;  // [step * meters + meter]
  std::vector<int32_t> kw_deci;
  int64_t points() const { return 2 * steps * meters; }
  int64_t lines() const { return steps * meters; }
  int64_t t(int64_t step) const { return kT0 + step * step_ns; }
  static std::string Meter(int m) {
    char b[16];
    std::snprintf(b, sizeof b, "m%04d", m);
    return b;
  }
  static std::string Site(int m) {
    char b[16];
    std::snprintf(b, sizeof b, "s%02d", m / 100);
    return b;
  }
  // Canonical key of a meter's field.
  static std::string Key(int m, std::string_view field) {
    return absl::StrCat("energy,meter=", Meter(m), ",site=", Site(m), " ", AV(field));
  }
};

Plant MakePlant(int64_t points, int meters) {
  Plant p;
  p.meters = meters;
  p.steps = std::max<int64_t>(1, points / 2 / meters);
  p.step_ns =
      std::max<int64_t>(kNanosPerSecond, kThirtyDays / p.steps / kNanosPerSecond * kNanosPerSecond);
  std::mt19937_64 rng(42);
  size_t n = static_cast<size_t>(p.steps * meters);
  p.kwh_centi.resize(n);
  p.kw_deci.resize(n);
  std::vector<int64_t> reg(static_cast<size_t>(meters));
  for (int m = 0; m < meters; ++m)
    reg[static_cast<size_t>(m)] = static_cast<int64_t>(rng() % 10000000);
  for (int64_t s = 0; s < p.steps; ++s) {
    for (int m = 0; m < meters; ++m) {
      auto kw = static_cast<int32_t>(200 + (m % 50) * 10 + static_cast<int>(rng() % 300));
      reg[static_cast<size_t>(m)] += kw * 2 + static_cast<int64_t>(rng() % 7);
      size_t i = static_cast<size_t>(s * meters + m);
      p.kwh_centi[i] = reg[static_cast<size_t>(m)];
      p.kw_deci[i] = kw;
    }
  }
  return p;
}

// Appends v / 10^decimals with exactly `decimals` digits after the point.
void AppendFixed(std::string* out, int64_t v, int decimals) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view digits(buf, static_cast<size_t>(r.ptr - buf));
  bool neg = !digits.empty() && digits[0] == '-';
  if (neg) {
    out->push_back('-');
    digits.remove_prefix(1);
  }
  std::string padded(
      static_cast<size_t>(std::max<int>(0, decimals + 1 - static_cast<int>(digits.size()))), '0');
  padded.append(digits);
  out->append(padded, 0, padded.size() - static_cast<size_t>(decimals));
  out->push_back('.');
  out->append(padded, padded.size() - static_cast<size_t>(decimals));
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

enum class Format { kLineProtocol, kTsv };

// Request bodies of `batch_lines` readings each (time-major: all meters at one step, then the
// next step, as a fleet of gateways would send). LP: one line per reading with two fields;
// TSV (ClickHouse): one row per point, "series\tt_ns\tvalue".
std::vector<std::string> MakeBodies(const Plant& p, Format f, int64_t batch_lines) {
  std::vector<std::string> prefix(static_cast<size_t>(p.meters));
  std::vector<std::string> key_kwh(prefix.size()), key_kw(prefix.size());
  for (int m = 0; m < p.meters; ++m) {
    prefix[static_cast<size_t>(m)] =
        absl::StrCat("energy,meter=", Plant::Meter(m), ",site=", Plant::Site(m), " kwh=");
    key_kwh[static_cast<size_t>(m)] = Plant::Key(m, "kwh") + "\t";
    key_kw[static_cast<size_t>(m)] = Plant::Key(m, "kw") + "\t";
  }
  std::vector<std::string> bodies;
  std::string body;
  int64_t in_body = 0;
  for (int64_t s = 0; s < p.steps; ++s) {
    int64_t t = p.t(s);
    for (int m = 0; m < p.meters; ++m) {
      size_t i = static_cast<size_t>(s * p.meters + m);
      if (f == Format::kLineProtocol) {
        body += prefix[static_cast<size_t>(m)];
        AppendFixed(&body, p.kwh_centi[i], 2);
        body += ",kw=";
        AppendFixed(&body, p.kw_deci[i], 1);
        body += ' ';
        AppendInt(&body, t);
        body += '\n';
      } else {
        body += key_kwh[static_cast<size_t>(m)];
        AppendInt(&body, t);
        body += '\t';
        AppendFixed(&body, p.kwh_centi[i], 2);
        body += '\n';
        body += key_kw[static_cast<size_t>(m)];
        AppendInt(&body, t);
        body += '\t';
        AppendFixed(&body, p.kw_deci[i], 1);
        body += '\n';
      }
      if (++in_body == batch_lines) {
        bodies.push_back(std::move(body));
        body.clear();
        in_body = 0;
      }
    }
  }
  if (!body.empty()) bodies.push_back(std::move(body));
  return bodies;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string Rfc3339(int64_t t) { return FormatTime(t, absl::UTCTimeZone()); }

// ---- lp_parse --------------------------------------------------------------------------------

DC_BENCH(lp_parse, "line-protocol parsing on one core: plant lines and Telegraf cpu lines") {
  const int64_t points = static_cast<int64_t>(10'000'000 * args.scale);
  Plant plant = MakePlant(points, 1000);
  std::vector<std::string> bodies = MakeBodies(plant, Format::kLineProtocol, 5000);
  // Telegraf inputs.cpu lines: 2 tags, 10 float fields.
  std::vector<std::string> cpu_bodies;
  {
    std::mt19937 rng(1);
    std::string b;
    int64_t cpu_lines = std::max<int64_t>(1000, plant.lines() / 5);
    for (int64_t i = 0; i < cpu_lines; ++i) {
      absl::StrAppend(&b, "cpu,cpu=cpu", i % 8, ",host=plant-gw-", (i / 8) % 100,
                      " usage_user=", 1.0 + (rng() % 10000) / 997.0,
                      ",usage_system=", (rng() % 10000) / 1009.0,
                      ",usage_idle=", 90 + (rng() % 1000) / 113.0,
                      ",usage_nice=0,usage_iowait=", (rng() % 100) / 101.0,
                      ",usage_irq=0,usage_softirq=0.0502,usage_steal=0,usage_guest=0,"
                      "usage_guest_nice=0 ",
                      kT0 + (i / 800) * 10 * kNanosPerSecond, "\n");
      if ((i + 1) % 5000 == 0) cpu_bodies.push_back(std::move(b)), b.clear();
    }
    if (!b.empty()) cpu_bodies.push_back(std::move(b));
  }
  auto run = [](const char* name, const std::vector<std::string>& bs) {
    size_t bytes = 0;
    for (const auto& b : bs) bytes += b.size();
    PointBatch batch;
    size_t lines = 0, pts = 0, errors = 0;
    auto t0 = Clock::now();
    double cpu0 = ThreadCpuSeconds();
    for (int rep = 0; rep < 3; ++rep) {
      for (const auto& b : bs) {
        batch.Clear();
        LpResult r = ParseLineProtocol(b, LpOptions{}, &batch);
        lines += r.lines;
        pts += r.points;
        errors += r.error_count;
      }
    }
    double s = SecondsSince(t0);
    double cpu = ThreadCpuSeconds() - cpu0;
    Report(name, "lines_per_s", static_cast<double>(lines) / s, "lines/s");
    // On a shared machine the wall clock includes time the thread waited for a core.
    Report(name, "lines_per_cpu_s", static_cast<double>(lines) / cpu, "lines/s");
    Report(name, "points_per_s", static_cast<double>(pts) / s, "points/s");
    Report(name, "mb_per_s", 3.0 * static_cast<double>(bytes) / s / 1e6, "MB/s");
    if (errors != 0) Report(name, "errors", static_cast<double>(errors), "lines");
    return errors == 0;
  };
  bool ok = run("lp_parse.plant", bodies);
  ok = run("lp_parse.telegraf_cpu", cpu_bodies) && ok;
  return ok ? 0 : 1;
}

// ---- ingest_http -----------------------------------------------------------------------------

// How one kind of server is written to, queried and counted.
struct Target {
  std::string name;
  std::string write_path;  // POST target for bodies
  std::string content_type;
  int ok_status;
  std::string query_path;  // GET target of the 30-day hourly mean of one series
  // Points the server holds after the run.
  std::function<absl::StatusOr<int64_t>(HttpClient&)> count;
  // Non-empty buckets in an answer to query_path (so an empty answer cannot pass as fast).
  std::function<absl::StatusOr<int64_t>(const std::string& body)> buckets;
};

absl::StatusOr<nlohmann::json> ParseJson(const std::string& body) {
  try {
    return nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("bad JSON (", e.what(), "): ", body.substr(0, 200)));
  }
}

struct RunResult {
  int64_t query_buckets = -1;  // in the answer after ingest
  double seconds = 0;
  int64_t points_sent = 0;
  int64_t points_held = -1;
  std::vector<double> query_ms;
  size_t query_errors = 0;
  std::string error;
};

RunResult RunIngest(const Server& server, const Target& target,
                    const std::vector<std::string>& bodies, int64_t points, int connections,
                    int query_interval_ms) {
  RunResult res;
  std::vector<std::string> heads;
  heads.reserve(bodies.size());
  for (const auto& b : bodies) {
    heads.push_back(RequestHead("POST", target.write_path, target.content_type, b.size()));
  }
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < connections; ++i) {
    auto c = HttpClient::Connect(server.port);
    if (!c.ok()) {
      res.error = c.status().ToString();
      return res;
    }
    clients.push_back(std::move(*c));
  }
  auto qc = HttpClient::Connect(server.port);
  if (!qc.ok()) {
    res.error = qc.status().ToString();
    return res;
  }

  std::atomic<size_t> next{0};
  std::atomic<bool> done{false}, failed{false};
  std::mutex mu;
  std::string first_error;
  auto fail = [&](std::string why) {
    std::lock_guard<std::mutex> l(mu);
    if (first_error.empty()) first_error = std::move(why);
    failed = true;
  };

  std::thread query_thread([&] {
    while (!done.load()) {
      auto q0 = Clock::now();
      auto r = (*qc)->Get(target.query_path);
      double ms = SecondsSince(q0) * 1e3;
      if (r.ok() && r->status == 200) {
        res.query_ms.push_back(ms);
      } else {
        ++res.query_errors;
        if (res.query_errors == 1) {
          std::fprintf(stderr, "%s: query failed: %s\n", target.name.c_str(),
                       r.ok() ? absl::StrCat(r->status, " ", r->body.substr(0, 300)).c_str()
                              : r.status().ToString().c_str());
        }
        if (!r.ok()) {
          auto again = HttpClient::Connect(server.port);
          if (again.ok()) *qc = std::move(*again);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(query_interval_ms));
    }
  });

  auto t0 = Clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < connections; ++w) {
    writers.emplace_back([&, w] {
      HttpClient& c = *clients[static_cast<size_t>(w)];
      while (!failed.load()) {
        size_t i = next.fetch_add(1);
        if (i >= bodies.size()) return;
        auto r = c.Send(heads[i], bodies[i]);
        if (!r.ok()) return fail(absl::StrCat("request ", i, ": ", r.status().ToString()));
        if (r->status != target.ok_status) {
          return fail(
              absl::StrCat("request ", i, ": HTTP ", r->status, " ", r->body.substr(0, 500)));
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  res.seconds = SecondsSince(t0);
  done = true;
  query_thread.join();
  res.points_sent = points;
  if (failed) {
    res.error = first_error;
    return res;
  }
  if (auto q = (*qc)->Get(target.query_path); q.ok() && q->status == 200) {
    auto b = target.buckets(q->body);
    if (b.ok()) res.query_buckets = *b;
    if (!b.ok())
      std::fprintf(stderr, "%s: %s\n", target.name.c_str(), b.status().ToString().c_str());
  }
  auto held = target.count(**qc);
  if (!held.ok()) {
    res.error = absl::StrCat("counting points: ", held.status().ToString());
  } else {
    res.points_held = *held;
  }
  return res;
}

absl::StatusOr<nlohmann::json> GetJson(HttpClient& c, const std::string& path) {
  auto r = c.Get(path);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::InternalError(absl::StrCat("GET ", path.substr(0, 120), ": HTTP ", r->status, " ",
                                            r->body.substr(0, 300)));
  }
  try {
    return nlohmann::json::parse(r->body);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("GET ", path.substr(0, 120), ": ", e.what()));
  }
}

Target DualcarbonTarget(const Plant& p, const std::string& qkey) {
  Target t;
  t.name = "dualcarbon";
  t.write_path = "/write?db=bench&precision=ns";
  t.content_type = "text/plain; charset=utf-8";
  t.ok_status = 204;
  t.query_path =
      absl::StrCat("/api/v1/query?series=", UrlEncode(qkey), "&start=", UrlEncode(Rfc3339(kT0)),
                   "&end=", UrlEncode(Rfc3339(kT0 + kThirtyDays)), "&step=1h&agg=mean");
  t.buckets = [](const std::string& body) -> absl::StatusOr<int64_t> {
    auto j = ParseJson(body);
    if (!j.ok()) return j.status();
    try {
      return static_cast<int64_t>(j->at("results").at(0).at("points").size());
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("unexpected query answer: ", e.what()));
    }
  };
  int meters = p.meters;
  t.count = [meters](HttpClient& c) -> absl::StatusOr<int64_t> {
    // Counts per series over the whole data set, 50 series per request.
    std::vector<std::string> keys;
    for (int m = 0; m < meters; ++m) {
      keys.push_back(Plant::Key(m, "kwh"));
      keys.push_back(Plant::Key(m, "kw"));
    }
    int64_t total = 0;
    for (size_t i = 0; i < keys.size(); i += 50) {
      std::string path = "/api/v1/query?";
      for (size_t j = i; j < std::min(keys.size(), i + 50); ++j) {
        absl::StrAppend(&path, "series=", UrlEncode(keys[j]), "&");
      }
      absl::StrAppend(&path, "start=", UrlEncode(Rfc3339(kT0)),
                      "&end=", UrlEncode(Rfc3339(kT0 + 2 * kThirtyDays)),
                      "&step=1y&agg=count&epoch=ms");
      auto j = GetJson(c, path);
      if (!j.ok()) return j.status();
      try {
        for (const auto& r : j->at("results")) {
          for (const auto& pt : r.at("points")) total += pt.at(1).get<int64_t>();
        }
      } catch (const std::exception& e) {
        return absl::InternalError(absl::StrCat("unexpected query answer: ", e.what()));
      }
    }
    return total;
  };
  return t;
}

Target InfluxTarget(int qmeter) {
  Target t;
  t.name = "influxdb";
  t.write_path = "/write?db=bench&precision=ns";
  t.content_type = "text/plain; charset=utf-8";
  t.ok_status = 204;
  std::string q = absl::StrCat("SELECT mean(kwh) FROM energy WHERE meter='", Plant::Meter(qmeter),
                               "' AND site='", Plant::Site(qmeter), "' AND time >= '", Rfc3339(kT0),
                               "' AND time < '", Rfc3339(kT0 + kThirtyDays), "' GROUP BY time(1h)");
  t.query_path = absl::StrCat("/query?db=bench&epoch=ms&q=", UrlEncode(q));
  t.buckets = [](const std::string& body) -> absl::StatusOr<int64_t> {
    auto j = ParseJson(body);
    if (!j.ok()) return j.status();
    try {
      int64_t n = 0;  // GROUP BY time() fills empty hours with null
      for (const auto& row : j->at("results").at(0).at("series").at(0).at("values")) {
        n += row.at(1).is_null() ? 0 : 1;
      }
      return n;
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("unexpected query answer: ", e.what()));
    }
  };
  t.count = [](HttpClient& c) -> absl::StatusOr<int64_t> {
    auto j =
        GetJson(c, "/query?db=bench&q=" + UrlEncode("SELECT count(kwh), count(kw) FROM energy"));
    if (!j.ok()) return j.status();
    try {
      const auto& row = j->at("results").at(0).at("series").at(0).at("values").at(0);
      return row.at(1).get<int64_t>() + row.at(2).get<int64_t>();
    } catch (const std::exception& e) {
      return absl::InternalError(
          absl::StrCat("unexpected count answer ", j->dump(), ": ", e.what()));
    }
  };
  return t;
}

Target ClickHouseTarget(const std::string& qkey) {
  Target t;
  t.name = "clickhouse";
  t.write_path = "/?query=" + UrlEncode("INSERT INTO bench.points FORMAT TabSeparated");
  t.content_type = "text/tab-separated-values";
  t.ok_status = 200;
  std::string q = absl::StrCat(
      "SELECT intDiv(t, 3600000000000) AS h, avg(value) FROM bench.points WHERE series = '", qkey,
      "' AND t >= ", kT0, " AND t < ", kT0 + kThirtyDays, " GROUP BY h ORDER BY h FORMAT TSV");
  t.query_path = "/?query=" + UrlEncode(q);
  t.buckets = [](const std::string& body) -> absl::StatusOr<int64_t> {
    return static_cast<int64_t>(std::count(body.begin(), body.end(), '\n'));
  };
  t.count = [](HttpClient& c) -> absl::StatusOr<int64_t> {
    auto r = c.Get("/?query=" + UrlEncode("SELECT count() FROM bench.points"));
    if (!r.ok()) return r.status();
    int64_t n = 0;
    if (r->status != 200 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(r->body), &n)) {
      return absl::InternalError(absl::StrCat("count: HTTP ", r->status, " ", r->body));
    }
    return n;
  };
  return t;
}

std::string DefaultDualcarbon() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "dualcarbon";
  buf[n] = 0;
  return (fs::path(buf).parent_path() / "dualcarbon").string();
}

std::string FirstExisting(std::initializer_list<const char*> paths) {
  for (const char* p : paths) {
    if (::access(p, X_OK) == 0) return p;
  }
  return *paths.begin();
}

// Removes the temporary directory on every way out (unless asked to keep it).
struct TempDir {
  std::string path;
  bool keep = false;
  ~TempDir() {
    if (!keep && !path.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

DC_BENCH(ingest_http,
         "HTTP ingest points/s: dualcarbon vs influxd 1.6 vs clickhouse-server 18.16, same run") {
  const int connections = std::stoi(args.Get("connections", "2"));
  const int64_t batch_lines = std::stoll(args.Get("batch-lines", "5000"));
  const int query_interval_ms = std::stoi(args.Get("query-interval-ms", "10"));
  const std::string fsync = args.Get("fsync", "interval:100");
  std::vector<std::string> servers =
      absl::StrSplit(args.Get("servers", "dualcarbon,influxdb,clickhouse"), ',');
  const int64_t want_points = static_cast<int64_t>(10'000'000 * args.scale);

  fs::create_directories(args.work_dir);
  std::string tmpl = args.work_dir + "/ingest_http-XXXXXX";
  TempDir tmp;
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp %s failed\n", tmpl.c_str());
    return 1;
  }
  tmp.path = tmpl;
  tmp.keep = args.Get("keep", "0") == "1";

  auto g0 = Clock::now();
  Plant plant = MakePlant(want_points, 1000);
  std::vector<std::string> lp = MakeBodies(plant, Format::kLineProtocol, batch_lines);
  std::printf(
      "data: %lld points (%lld lines) from %d meters, %lld readings each every %lld s "
      "(30 days), %zu requests of %lld lines, %d connections; generated in %.1f s\n",
      static_cast<long long>(plant.points()), static_cast<long long>(plant.lines()), plant.meters,
      static_cast<long long>(plant.steps), static_cast<long long>(plant.step_ns / kNanosPerSecond),
      lp.size(), static_cast<long long>(batch_lines), connections, SecondsSince(g0));
  const int qmeter = 42 % plant.meters;
  const std::string qkey = Plant::Key(qmeter, "kwh");

  std::map<std::string, double> rate;
  int rc = 0;
  for (const std::string& name : servers) {
    std::string dir = absl::StrCat(tmp.path, "/", name);
    absl::StatusOr<Server> server = absl::InvalidArgumentError("unknown server " + name);
    Target target;
    std::vector<std::string> tsv;
    const std::vector<std::string>* bodies = &lp;
    if (name == "dualcarbon") {
      server = StartDualcarbon(args.Get("dualcarbon", DefaultDualcarbon()), dir, fsync);
      target = DualcarbonTarget(plant, qkey);
    } else if (name == "influxdb") {
      server = StartInfluxd(args.Get("influxd", "/usr/bin/influxd"), dir);
      target = InfluxTarget(qmeter);
    } else if (name == "clickhouse") {
      server = StartClickHouse(
          args.Get("clickhouse",
                   FirstExisting({"/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"})),
          dir);
      target = ClickHouseTarget(qkey);
      tsv = MakeBodies(plant, Format::kTsv, batch_lines);
      bodies = &tsv;
    }
    if (!server.ok()) {
      std::printf("%s: NOT MEASURED: %s\n", name.c_str(), server.status().ToString().c_str());
      std::fflush(stdout);
      rc = 1;
      continue;
    }
    RunResult r =
        RunIngest(*server, target, *bodies, plant.points(), connections, query_interval_ms);
    server->proc->Stop();
    std::string w = "ingest_http." + name;
    if (!r.error.empty()) {
      std::printf("%s: FAILED after %.1f s: %s\n", name.c_str(), r.seconds, r.error.c_str());
      rc = 1;
    } else if (r.points_held != r.points_sent) {
      std::printf("%s: DATA MISMATCH: sent %lld points, server holds %lld\n", name.c_str(),
                  static_cast<long long>(r.points_sent), static_cast<long long>(r.points_held));
      rc = 1;
    } else {
      rate[name] = static_cast<double>(r.points_sent) / r.seconds;
      Report(w.c_str(), "points_per_s", rate[name], "points/s");
      Report(w.c_str(), "seconds", r.seconds, "s");
      std::printf("%s.points_verified: %lld points\n", w.c_str(),
                  static_cast<long long>(r.points_held));
    }
    Report(w.c_str(), "query_p50", Percentile(r.query_ms, 0.5), "ms");
    Report(w.c_str(), "query_p99", Percentile(r.query_ms, 0.99), "ms");
    Report(w.c_str(), "queries", static_cast<double>(r.query_ms.size()), "queries");
    Report(w.c_str(), "query_buckets", static_cast<double>(r.query_buckets), "buckets");
    if (r.query_buckets != std::min<int64_t>(plant.steps, 720)) {
      std::printf("%s: the hourly query returned %lld non-empty buckets, expected %lld\n",
                  name.c_str(), static_cast<long long>(r.query_buckets),
                  static_cast<long long>(std::min<int64_t>(plant.steps, 720)));
      rc = 1;
    }
    if (r.query_errors > 0) {
      Report(w.c_str(), "query_errors", static_cast<double>(r.query_errors), "queries");
    }
  }
  if (rate.count("dualcarbon") && rate.count("influxdb")) {
    Report("ingest_http", "ratio_dualcarbon_influxdb", rate["dualcarbon"] / rate["influxdb"], "x");
  }
  if (rate.count("dualcarbon") && rate.count("clickhouse")) {
    Report("ingest_http", "ratio_dualcarbon_clickhouse", rate["dualcarbon"] / rate["clickhouse"],
           "x");
  }
  return rc;
}

}  // namespace
}  // namespace dc::bench
