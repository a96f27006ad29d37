// hostile_http: does one hostile request delay everyone else? A steady writer sends small
// line-protocol batches on its own connection, first alone (the peer in the same run), then
// while other connections send 1 MB hostile bodies back to back: 100,000 fields on one line,
// a 1 MB series key, 1 MB of one-field lines with a new series each. It reports the steady
// writer's p50/p99/max write latency in both phases and the hostile requests' own latency.
// --bodies NAME,NAME picks some; --hostile-connections N (2), --interval-ms (20), --fsync.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench.h"
#include "peers.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string SelfDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = 0;
  return fs::path(buf).parent_path().string();
}

// The hostile bodies, each about 1 MB.
std::vector<std::pair<std::string, std::string>> HostileBodies() {
  std::vector<std::pair<std::string, std::string>> out;
  std::string fields = "h,host=x ";
  for (int i = 0; i < 100'000; ++i) absl::StrAppend(&fields, i ? "," : "", "f", i, "=1");
  out.emplace_back("100k_fields_one_line", fields + " 1");
  out.emplace_back("1mb_series_key", "h,t=" + std::string(1 << 20, 'k') + " v=1 1");
  std::string series;
  for (int i = 0; series.size() < (1u << 20); ++i) absl::StrAppend(&series, "s", i, " v=1 1\n");
  out.emplace_back("1mb_new_series_lines", series);
  return out;
}

struct Steady {
  std::vector<double> ms;
  int errors = 0;
};

// Writes one small batch every `interval_ms` until `stop`, timing each.
Steady RunSteady(int port, const std::atomic<bool>& stop, int interval_ms, int64_t* seq) {
  Steady r;
  auto c = HttpClient::Connect(port);
  if (!c.ok()) {
    r.errors = 1;
    return r;
  }
  while (!stop.load()) {
    std::string body;
    for (int i = 0; i < 10; ++i) {
      ++*seq;
      absl::StrAppend(&body, "steady,meter=m", i, " kwh=", *seq, " ", *seq * 1'000'000'000, "\n");
    }
    auto t0 = Clock::now();
    auto res = (*c)->Post("/write", "text/plain", body);
    r.ms.push_back(SecondsSince(t0) * 1e3);
    if (!res.ok() || res->status != 204) ++r.errors;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  return r;
}

void ReportSteady(const char* phase, const Steady& s) {
  std::string w = absl::StrCat("hostile_http.", phase);
  Report(w.c_str(), "write_p50", Pct(s.ms, 0.5), "ms");
  Report(w.c_str(), "write_p99", Pct(s.ms, 0.99), "ms");
  Report(w.c_str(), "write_max", s.ms.empty() ? 0 : *std::max_element(s.ms.begin(), s.ms.end()),
         "ms");
  Report(w.c_str(), "writes", static_cast<double>(s.ms.size()), "requests");
  if (s.errors > 0) Report(w.c_str(), "write_errors", s.errors, "requests");
}

DC_BENCH(hostile_http,
         "steady writer's latency alone vs while other connections send 1 MB hostile bodies") {
  const double seconds = std::max(2.0, 10.0 * args.scale);
  const int interval_ms = std::stoi(args.Get("interval-ms", "20"));
  const int hostile_conns = std::stoi(args.Get("hostile-connections", "2"));
  fs::create_directories(args.work_dir);
  std::string dir = args.work_dir + "/hostile_http-" + std::to_string(::getpid());
  fs::remove_all(dir);
  auto server = StartDualcarbon(args.Get("dualcarbon", SelfDir() + "/dualcarbon"), dir,
                                args.Get("fsync", "interval:100"));
  if (!server.ok()) {
    std::printf("hostile_http: NOT MEASURED: %s\n", server.status().ToString().c_str());
    return 1;
  }
  int64_t seq = 0;
  std::atomic<bool> stop{false};
  // --bodies: which hostile bodies to send (default all), e.g. "100k_fields_one_line".
  auto bodies = HostileBodies();
  if (std::string only = args.Get("bodies", ""); !only.empty()) {
    std::erase_if(bodies, [&](const auto& b) { return only.find(b.first) == std::string::npos; });
  }
  if (bodies.empty()) {
    std::printf("hostile_http: --bodies names none of the hostile bodies\n");
    return 2;
  }
  std::vector<std::pair<size_t, double>> by_kind;  // body index, ms
  auto phase = [&](bool hostile, std::vector<double>* hostile_ms) {
    stop = false;
    std::vector<std::thread> attackers;
    std::vector<std::vector<double>> per(hostile ? hostile_conns : 0);
    std::vector<std::vector<std::pair<size_t, double>>> kinds(per.size());
    for (size_t a = 0; a < per.size(); ++a) {
      attackers.emplace_back([&, a] {
        auto c = HttpClient::Connect(server->port);
        if (!c.ok()) return;
        for (size_t i = a; !stop.load(); ++i) {
          auto t0 = Clock::now();
          auto res = (*c)->Post("/write", "text/plain", bodies[i % bodies.size()].second);
          per[a].push_back(SecondsSince(t0) * 1e3);
          kinds[a].emplace_back(i % bodies.size(), per[a].back());
          if (!res.ok()) {  // the server closed: reconnect
            auto again = HttpClient::Connect(server->port);
            if (!again.ok()) return;
            c = std::move(again);
          }
        }
      });
    }
    std::thread t([&] { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); });
    Steady s;
    std::thread w([&] { s = RunSteady(server->port, stop, interval_ms, &seq); });
    t.join();
    stop = true;
    w.join();
    for (auto& th : attackers) th.join();
    for (auto& v : per) hostile_ms->insert(hostile_ms->end(), v.begin(), v.end());
    for (auto& v : kinds) by_kind.insert(by_kind.end(), v.begin(), v.end());
    return s;
  };
  std::vector<double> none, hostile_ms;
  Steady alone = phase(false, &none);
  Steady attacked = phase(true, &hostile_ms);
  server->proc->Stop();
  fs::remove_all(dir);
  std::printf(
      "hostile_http: %.0f s per phase, steady batch of 10 lines every %d ms, %d hostile "
      "connections\n",
      seconds, interval_ms, hostile_conns);
  ReportSteady("alone", alone);
  ReportSteady("with_hostile", attacked);
  Report("hostile_http", "hostile_requests", static_cast<double>(hostile_ms.size()), "requests");
  Report("hostile_http", "hostile_p50", Pct(hostile_ms, 0.5), "ms");
  Report("hostile_http", "hostile_max",
         hostile_ms.empty() ? 0 : *std::max_element(hostile_ms.begin(), hostile_ms.end()), "ms");
  for (size_t k = 0; k < bodies.size(); ++k) {
    std::vector<double> ms;
    for (auto& [i, v] : by_kind) {
      if (i == k) ms.push_back(v);
    }
    std::string w = "hostile_http." + bodies[k].first;
    Report(w.c_str(), "p50", Pct(ms, 0.5), "ms");
    Report(w.c_str(), "max", ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()), "ms");
  }
  double worst =
      attacked.ms.empty() ? 0 : *std::max_element(attacked.ms.begin(), attacked.ms.end());
  Report("hostile_http", "max_delay_vs_alone_p50", worst - Pct(alone.ms, 0.5), "ms");
  return alone.errors + attacked.errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace dc::bench
