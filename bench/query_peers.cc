// query_peers: calendar queries over the same plant data written over HTTP into dualcarbon,
// influxd 1.6 and clickhouse-server 18.16 (started as ingest_http does, never compacted by
// hand), in the same run. N meters (300 × --scale, or --meters N) of 15-minute kWh for a year
// (2024 in Asia/Shanghai, or --days D from its first day). Queries, in Asia/Shanghai, each run
// once to check its answer against sums computed here from the generated data (1e-9 relative;
// any difference fails the run), then repeated and timed:
//   one_meter_daily   one meter's daily sums for the year
//   all_daily         every meter's daily sums (dualcarbon: one request selecting site=plant)
//   all_monthly       every meter's monthly sums (InfluxDB 1.6 has no calendar months: one
//                     statement per month, all in one request)
//   trend_20_hourly   hourly sums of 20 meters over 90 days (April–June)
// Options: --meters N, --days D (366), --reps N (10), --max-seconds S per query and server (30,
// at least 3 reps), --servers LIST (dualcarbon,influxdb,clickhouse), --connections N (2),
// --dualcarbon PATH, --influxd PATH, --clickhouse PATH, --fsync POLICY, --keep 1, --settle S
// (seconds every server is left alone between its ingest and its queries; 0), --reuse DIR (the
// directory a --keep 1 run of the same --meters and --days left: its servers are started on
// their data and only queried, to compare query changes without a new ingest).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "bench.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "peers.h"

namespace dc::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kT0 = 1703952000;  // 2024-01-01T00:00:00+08:00, epoch seconds
constexpr int64_t kStep = 900;       // 15 minutes
constexpr int64_t kDay = 86400;
constexpr const char* kZone = "Asia/Shanghai";
constexpr size_t kBatchLines = 5000;

// `meters` meters of 15-minute energy (kWh, 2 decimals) from kT0 for `days` days.
struct Plant {
  int meters = 0;
  int days = 0;
  int64_t steps() const { return static_cast<int64_t>(days) * (kDay / kStep); }
  int64_t points() const { return steps() * meters; }
  static std::string Meter(int m) {
    char b[16];
    std::snprintf(b, sizeof b, "m%04d", m);
    return b;
  }
  static std::string Key(int m) {
    return absl::StrCat("energy,meter=", Meter(m), ",site=plant kwh");
  }
  // kWh × 100 of meter m in step k: a per-meter level plus a deterministic hash.
  static int64_t Centi(int m, int64_t k) {
    uint64_t z = (static_cast<uint64_t>(m) << 40) ^ static_cast<uint64_t>(k);
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return 100 + (m % 50) * 10 + static_cast<int64_t>(z % 300);
  }
};

// meter -> bucket start (epoch s) -> sum.
using Answer = std::map<std::string, std::map<int64_t, double>>;

enum class Bucket { kHour, kDay, kMonth };

struct QueryDef {
  std::string name;
  std::vector<int> meters;     // empty: all meters
  int64_t start = 0, end = 0;  // epoch s, [start, end)
  Bucket bucket = Bucket::kDay;
};

std::string Rfc3339(int64_t s) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(s), absl::UTCTimeZone());
}

absl::TimeZone Zone() {
  absl::TimeZone z;
  if (!absl::LoadTimeZone(kZone, &z)) std::fprintf(stderr, "cannot load %s\n", kZone);
  return z;
}

// Local month starts (epoch s) from the month of `start` to the first after `end`.
std::vector<int64_t> MonthStarts(int64_t start, int64_t end) {
  absl::TimeZone z = Zone();
  absl::CivilMonth m(absl::ToCivilSecond(absl::FromUnixSeconds(start), z));
  std::vector<int64_t> out;
  for (;; ++m) {
    int64_t t = absl::ToUnixSeconds(absl::FromCivil(m, z));
    out.push_back(t);
    if (t >= end) return out;
  }
}

std::vector<int> MetersOf(const QueryDef& q, const Plant& p) {
  if (!q.meters.empty()) return q.meters;
  std::vector<int> all(static_cast<size_t>(p.meters));
  for (int m = 0; m < p.meters; ++m) all[static_cast<size_t>(m)] = m;
  return all;
}

// The sums, computed from the generated values (Asia/Shanghai is UTC+8 all year).
Answer Reference(const QueryDef& q, const Plant& p) {
  std::vector<int64_t> months = MonthStarts(q.start, q.end);
  Answer a;
  for (int m : MetersOf(q, p)) {
    auto& buckets = a[Plant::Meter(m)];
    size_t mi = 0;
    for (int64_t k = (q.start - kT0) / kStep; kT0 + k * kStep < q.end; ++k) {
      int64_t t = kT0 + k * kStep, b = 0;
      if (q.bucket == Bucket::kHour) {
        b = t - (t - kT0) % 3600;
      } else if (q.bucket == Bucket::kDay) {
        b = t - (t - kT0) % kDay;
      } else {
        while (months[mi + 1] <= t) ++mi;
        b = months[mi];
      }
      buckets[b] += static_cast<double>(Plant::Centi(m, k)) / 100.0;
    }
  }
  return a;
}

std::vector<QueryDef> MakeQueries(const Plant& p) {
  const int64_t end = kT0 + p.days * kDay;
  const int64_t trend_day = p.days >= 181 ? 91 : 0;  // 2024-04-01
  const int64_t trend_days = std::min<int64_t>(90, p.days - trend_day);
  std::vector<int> twenty;
  for (int m = 0; m < std::min(20, p.meters); ++m) twenty.push_back(m);
  return {{"one_meter_daily", {42 % p.meters}, kT0, end, Bucket::kDay},
          {"all_daily", {}, kT0, end, Bucket::kDay},
          {"all_monthly", {}, kT0, end, Bucket::kMonth},
          {"trend_20_hourly", twenty, kT0 + trend_day * kDay, kT0 + (trend_day + trend_days) * kDay,
           Bucket::kHour}};
}

absl::Status Compare(const Answer& got, const Answer& want) {
  for (const auto& [meter, buckets] : want) {
    auto g = got.find(meter);
    if (g == got.end()) return absl::InternalError(absl::StrCat("no result for meter ", meter));
    if (g->second.size() != buckets.size()) {
      return absl::InternalError(absl::StrCat("meter ", meter, ": ", g->second.size(),
                                              " buckets, expected ", buckets.size()));
    }
    for (const auto& [t, v] : buckets) {
      auto b = g->second.find(t);
      if (b == g->second.end()) {
        return absl::InternalError(absl::StrCat("meter ", meter, ": no bucket at ", Rfc3339(t)));
      }
      if (std::abs(b->second - v) > 1e-9 * std::max(std::abs(v), std::abs(b->second))) {
        return absl::InternalError(
            absl::StrCat("meter ", meter, " at ", Rfc3339(t), ": ", b->second, ", expected ", v));
      }
    }
  }
  if (got.size() != want.size()) {
    return absl::InternalError(absl::StrCat(got.size(), " meters, expected ", want.size()));
  }
  return absl::OkStatus();
}

std::string MeterOfKey(std::string_view key) {
  auto parts = ParseSeriesKey(key);
  if (!parts.ok()) return std::string(key);
  for (const auto& [k, v] : parts->tags) {
    if (k == "meter") return v;
  }
  return std::string(key);
}

// ---- the three servers: how data is written and how each query is asked and read -------------

struct Peer {
  Peer(std::string n, std::string target, std::string type, int ok = 204, bool rows = false)
      : name(std::move(n)),
        write_target(std::move(target)),
        content_type(std::move(type)),
        write_ok(ok),
        tsv(rows) {}
  std::string name;
  std::string write_target, content_type;
  int write_ok = 204;
  bool tsv = false;  // ClickHouse rows "key\tt_ns\tvalue" instead of line protocol
  std::function<std::string(const QueryDef&, const Plant&)> target;
  std::function<absl::StatusOr<Answer>(const std::string&)> parse;
};

std::string Body(const Plant& p, bool tsv, size_t i) {
  const int64_t first = static_cast<int64_t>(i * kBatchLines);
  const int64_t last = std::min<int64_t>(first + static_cast<int64_t>(kBatchLines), p.points());
  std::string out;
  out.reserve(static_cast<size_t>(last - first) * 60);
  for (int64_t j = first; j < last; ++j) {  // time-major, as a fleet of gateways sends
    int m = static_cast<int>(j % p.meters);
    int64_t k = j / p.meters, c = Plant::Centi(m, k);
    std::string value = absl::StrCat(c / 100, ".", c % 100 < 10 ? "0" : "", c % 100);
    int64_t t_ns = (kT0 + k * kStep) * 1'000'000'000;
    if (tsv) {
      absl::StrAppend(&out, Plant::Key(m), "\t", t_ns, "\t", value, "\n");
    } else {
      absl::StrAppend(&out, "energy,meter=", Plant::Meter(m), ",site=plant kwh=", value, " ", t_ns,
                      "\n");
    }
  }
  return out;
}

absl::StatusOr<nlohmann::json> Json(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return absl::InternalError("bad JSON: " + body.substr(0, 300));
  return j;
}

Peer DualcarbonPeer() {
  Peer p("dualcarbon", "/write?db=bench&precision=ns", "text/plain; charset=utf-8");
  p.target = [](const QueryDef& q, const Plant&) {
    std::string t = "/api/v1/query?";
    if (q.meters.empty()) t += "where=site%3Dplant&field=kwh&";  // one request, every meter
    for (int m : q.meters) absl::StrAppend(&t, "series=", UrlEncode(Plant::Key(m)), "&");
    const char* step = q.bucket == Bucket::kHour ? "1h" : q.bucket == Bucket::kDay ? "1d" : "1mo";
    absl::StrAppend(&t, "start=", q.start * 1'000'000'000, "&end=", q.end * 1'000'000'000,
                    "&step=", step, "&agg=sum&tz=", UrlEncode(kZone), "&epoch=ms");
    return t;
  };
  p.parse = [](const std::string& body) -> absl::StatusOr<Answer> {
    auto j = Json(body);
    if (!j.ok()) return j.status();
    Answer a;
    for (const auto& r : j->at("results")) {
      auto& b = a[MeterOfKey(r.at("series").get<std::string>())];
      for (const auto& pt : r.at("points"))
        b[pt.at(0).get<int64_t>() / 1000] = pt.at(1).get<double>();
    }
    return a;
  };
  return p;
}

std::string InfluxStatement(const QueryDef& q, int64_t start, int64_t end, const char* group) {
  std::string where = "site='plant'";
  if (!q.meters.empty()) {
    std::vector<std::string> ors;
    for (int m : q.meters) ors.push_back(absl::StrCat("meter='", Plant::Meter(m), "'"));
    where = absl::StrCat("(", absl::StrJoin(ors, " OR "), ")");
  }
  return absl::StrCat("SELECT sum(kwh) FROM energy WHERE ", where, " AND time >= '", Rfc3339(start),
                      "' AND time < '", Rfc3339(end), "' GROUP BY ", group);
}

Peer InfluxPeer() {
  Peer p("influxdb", "/write?db=bench&precision=ns", "text/plain; charset=utf-8");
  p.target = [](const QueryDef& q, const Plant&) {
    std::string stmts;
    if (q.bucket == Bucket::kMonth) {  // no calendar months in InfluxQL: one statement each
      std::vector<int64_t> months = MonthStarts(q.start, q.end);
      for (size_t i = 0; i + 1 < months.size(); ++i) {
        if (!stmts.empty()) stmts += "; ";
        stmts += InfluxStatement(q, months[i], std::min(months[i + 1], q.end), "meter");
      }
    } else {
      stmts = absl::StrCat(
          InfluxStatement(q, q.start, q.end,
                          q.bucket == Bucket::kHour ? "time(1h), meter" : "time(1d), meter"),
          " fill(none) tz('", kZone, "')");
    }
    return "/query?db=bench&epoch=ms&q=" + UrlEncode(stmts);
  };
  p.parse = [](const std::string& body) -> absl::StatusOr<Answer> {
    auto j = Json(body);
    if (!j.ok()) return j.status();
    Answer a;
    for (const auto& r : j->at("results")) {
      if (r.contains("error")) return absl::InternalError(r.at("error").dump());
      if (!r.contains("series")) continue;
      for (const auto& s : r.at("series")) {
        auto& b = a[s.at("tags").at("meter").get<std::string>()];
        for (const auto& v : s.at("values")) {
          if (!v.at(1).is_null()) b[v.at(0).get<int64_t>() / 1000] = v.at(1).get<double>();
        }
      }
    }
    return a;
  };
  return p;
}

Peer ClickHousePeer() {
  Peer p("clickhouse", "/?query=" + UrlEncode("INSERT INTO bench.points FORMAT TabSeparated"),
         "text/tab-separated-values", 200, true);
  p.target = [](const QueryDef& q, const Plant&) {
    std::string dt = absl::StrCat("toDateTime(intDiv(t, 1000000000), '", kZone, "')");
    std::string bucket =
        q.bucket == Bucket::kHour  ? absl::StrCat("toUInt32(toStartOfHour(", dt, "))")
        : q.bucket == Bucket::kDay ? absl::StrCat("toUInt32(toStartOfDay(", dt, "))")
                                   : absl::StrCat("toString(toStartOfMonth(", dt, "))");
    std::string where = "1";
    if (!q.meters.empty()) {
      std::vector<std::string> keys;
      for (int m : q.meters) keys.push_back(absl::StrCat("'", Plant::Key(m), "'"));
      where = absl::StrCat("series IN (", absl::StrJoin(keys, ", "), ")");
    }
    return "/?query=" +
           UrlEncode(absl::StrCat(
               "SELECT series, ", bucket, " AS b, sum(value) FROM bench.points WHERE ", where,
               " AND t >= ", q.start * 1'000'000'000, " AND t < ", q.end * 1'000'000'000,
               " GROUP BY series, b ORDER BY series, b FORMAT TSV"));
  };
  p.parse = [](const std::string& body) -> absl::StatusOr<Answer> {
    absl::TimeZone z = Zone();
    Answer a;
    for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      int64_t t = 0;
      double v = 0;
      absl::CivilDay day;
      if (f.size() == 3 && absl::ParseCivilTime(f[1], &day)) {
        t = absl::ToUnixSeconds(absl::FromCivil(day, z));  // a month's first day, local
      } else if (f.size() != 3 || !absl::SimpleAtoi(f[1], &t)) {
        return absl::InternalError(absl::StrCat("bad row: ", std::string(line)));
      }
      if (!absl::SimpleAtod(f[2], &v))
        return absl::InternalError(absl::StrCat("bad sum: ", std::string(line)));
      a[MeterOfKey(f[0])][t] = v;
    }
    return a;
  };
  return p;
}

// ---- running ----------------------------------------------------------------------------------

struct Timing {
  std::vector<double> ms;
  size_t bytes = 0;
};

absl::Status CheckAnswer(const Peer& peer, const HttpClient::Response& r, const Answer& want) {
  if (r.status != 200) {
    return absl::InternalError(absl::StrCat("HTTP ", r.status, " ", r.body.substr(0, 300)));
  }
  absl::StatusOr<Answer> got = absl::InternalError("unparsed");
  try {
    got = peer.parse(r.body);
  } catch (const std::exception& e) {
    got = absl::InternalError(
        absl::StrCat("unexpected answer (", e.what(), "): ", r.body.substr(0, 300)));
  }
  if (!got.ok()) return got.status();
  return Compare(*got, want);
}

// Asks `target` `reps` times (fewer when `max_s` passes, at least 3) after one untimed warm-up,
// timing each; every answer is checked against `want` (outside the timed part).
absl::StatusOr<Timing> TimeQuery(HttpClient& c, const Peer& peer, const std::string& target,
                                 const Answer& want, int reps, double max_s) {
  Timing t;
  auto began = Clock::now();
  for (int i = -1; i < reps && (i < 3 || SecondsSince(began) < max_s); ++i) {
    auto q0 = Clock::now();
    auto r = c.Get(target);
    double ms = SecondsSince(q0) * 1e3;
    if (!r.ok()) return r.status();
    if (absl::Status s = CheckAnswer(peer, *r, want); !s.ok()) {
      return absl::InternalError(
          absl::StrCat(i < 0 ? "first answer" : absl::StrCat("repeat ", i), ": ", s.message()));
    }
    if (i >= 0) t.ms.push_back(ms);
    t.bytes = r->body.size();
  }
  return t;
}

absl::StatusOr<Server> StartPeer(const std::string& name, const Args& args,
                                 const std::string& dir) {
  if (name == "dualcarbon") {
    return StartDualcarbon(args.Get("dualcarbon", SiblingBinary("dualcarbon")), dir,
                           args.Get("fsync", "interval:100"));
  }
  if (name == "influxdb") return StartInfluxd(args.Get("influxd", "/usr/bin/influxd"), dir);
  if (name == "clickhouse") {
    return StartClickHouse(args.Get("clickhouse", FirstExecutable({"/usr/bin/clickhouse-server",
                                                                   "/usr/sbin/clickhouse-server"})),
                           dir);
  }
  return absl::InvalidArgumentError("unknown server " + name);
}

// p50 per query of one server; errors are printed and make the run fail.
using P50s = std::map<std::string, double>;

absl::StatusOr<P50s> RunPeer(const Peer& peer, const Server& server, const Plant& plant,
                             const std::vector<QueryDef>& queries, const std::vector<Answer>& refs,
                             const Args& args) {
  const std::string w = "query_peers." + peer.name;
  const size_t bodies = static_cast<size_t>((plant.points() + kBatchLines - 1) / kBatchLines);
  const bool ingesting = args.Get("reuse", "").empty();  // --reuse: the data is there
  auto t0 = Clock::now();
  absl::Status ingest = ingesting ? PostAll(
                                        server.port, peer.write_target, peer.content_type, bodies,
                                        [&](size_t i) { return Body(plant, peer.tsv, i); },
                                        std::stoi(args.Get("connections", "2")), peer.write_ok)
                                  : absl::OkStatus();
  if (!ingest.ok()) return absl::InternalError(absl::StrCat("ingest: ", ingest.ToString()));
  if (ingesting)
    Report(w.c_str(), "ingest_points_per_s", static_cast<double>(plant.points()) / SecondsSince(t0),
           "points/s");
  // --settle S: the same quiet time for every server between its ingest and its queries, for
  // background merges (dualcarbon's compaction, ClickHouse's merges, InfluxDB's compactions).
  const double settle = std::stod(args.Get("settle", "0"));
  if (settle > 0) std::this_thread::sleep_for(std::chrono::duration<double>(settle));
  auto c = HttpClient::Connect(server.port);
  if (!c.ok()) return c.status();
  const int reps = std::stoi(args.Get("reps", "10"));
  const double max_s = std::stod(args.Get("max-seconds", "30"));
  P50s p50;
  for (size_t i = 0; i < queries.size(); ++i) {
    const QueryDef& q = queries[i];
    auto t = TimeQuery(**c, peer, peer.target(q, plant), refs[i], reps, max_s);
    if (!t.ok()) return absl::InternalError(absl::StrCat(q.name, ": ", t.status().ToString()));
    std::string m = absl::StrCat(w, ".", q.name);
    p50[q.name] = QuantileOf(t->ms, 0.5);
    Report(m.c_str(), "p50", p50[q.name], "ms");
    Report(m.c_str(), "p99", QuantileOf(t->ms, 0.99), "ms");
    Report(m.c_str(), "reps", static_cast<double>(t->ms.size()), "queries");
    Report(m.c_str(), "answer_bytes", static_cast<double>(t->bytes), "bytes");
  }
  return p50;
}

void ReportRatios(const std::map<std::string, P50s>& all, const std::vector<QueryDef>& queries,
                  const Plant& plant) {
  auto dc = all.find("dualcarbon");
  if (dc == all.end()) return;
  for (const auto& [name, p50] : all) {
    if (name == "dualcarbon") continue;
    for (const QueryDef& q : queries) {
      std::string m = absl::StrCat("query_peers.", q.name);
      std::string metric = absl::StrCat("ratio_dualcarbon_", name);
      // dualcarbon's time ÷ the peer's: below 1 is faster (0.33 = 3× faster).
      Report(m.c_str(), metric.c_str(), dc->second.at(q.name) / p50.at(q.name), "x");
    }
  }
  if (plant.meters >= 2000 && plant.days >= 365) {
    double ms = dc->second.at("all_daily");
    std::printf(
        "query_peers.target: daily sums for a year of %d meters in one request: %.1f ms "
        "(target < 150 ms: %s)\n",
        plant.meters, ms, ms < 150 ? "met" : "NOT met");
  }
}

DC_BENCH(query_peers,
         "calendar queries over HTTP-written data: dualcarbon vs influxd 1.6 vs clickhouse 18.16") {
  Plant plant;
  plant.meters =
      std::stoi(args.Get("meters", absl::StrCat(std::max(1, static_cast<int>(300 * args.scale)))));
  plant.days = std::stoi(args.Get("days", "366"));
  std::vector<std::string> servers =
      absl::StrSplit(args.Get("servers", "dualcarbon,influxdb,clickhouse"), ',');
  const std::string reuse = args.Get("reuse", "");
  auto tmp = reuse.empty() ? ScratchDir::Make(args.work_dir, "query_peers") : ScratchDir::At(reuse);
  if (!tmp.ok()) {
    std::fprintf(stderr, "%s\n", tmp.status().ToString().c_str());
    return 1;
  }
  tmp->keep = !reuse.empty() || args.Get("keep", "0") == "1";
  std::vector<QueryDef> queries = MakeQueries(plant);
  std::vector<Answer> refs;
  for (const QueryDef& q : queries) refs.push_back(Reference(q, plant));
  std::printf(
      "data: %d meters × %d days of 15-minute kWh = %lld points, %s, batches of %zu lines\n",
      plant.meters, plant.days, static_cast<long long>(plant.points()), kZone, kBatchLines);
  std::fflush(stdout);
  std::map<std::string, P50s> all;
  int rc = 0;
  for (const std::string& name : servers) {
    Peer peer = name == "influxdb"     ? InfluxPeer()
                : name == "clickhouse" ? ClickHousePeer()
                                       : DualcarbonPeer();
    auto server = StartPeer(name, args, absl::StrCat(tmp->path, "/", name));
    absl::StatusOr<P50s> p50 = server.ok() ? RunPeer(peer, *server, plant, queries, refs, args)
                                           : absl::StatusOr<P50s>(server.status());
    if (server.ok()) server->proc->Stop();
    if (!p50.ok()) {
      std::printf("%s: FAILED: %s\n", name.c_str(), p50.status().ToString().c_str());
      std::fflush(stdout);
      rc = 1;
      continue;
    }
    all[name] = std::move(*p50);
  }
  ReportRatios(all, queries, plant);
  return rc;
}

}  // namespace
}  // namespace dc::bench
