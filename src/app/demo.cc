#include "app/demo.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/env.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace dc::app {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr int64_t kMin = 60'000'000'000;
constexpr int64_t kDay = 24 * 60 * kMin;
constexpr int64_t kSteelStep = 15 * kMin;
constexpr size_t kBatchRows = 1 << 20;  // points per store write during the backfill
constexpr char kLoginToken[] = "demo dashboard login";
constexpr char kWriterToken[] = "demo live writer";

// The batch as InfluxDB line protocol with nanosecond times.
std::string ToLineProtocol(const PointBatch& batch) {
  std::string out;
  out.reserve(batch.size() * 64);
  for (const PointBatch::Row& r : batch.rows()) {
    const std::string& key = batch.keys()[r.series];
    size_t space = key.find(' ');
    fmt::format_to(std::back_inserter(out), "{} {}={} {}\n", key.substr(0, space),
                   key.substr(space + 1), r.v, r.t);
  }
  return out;
}

absl::Status PostWrite(const std::string& host, uint16_t port, const std::string& token,
                       std::string body) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (!ec) stream.expires_after(std::chrono::seconds(10));
  if (!ec) stream.connect(endpoints, ec);
  http::request<http::string_body> req{http::verb::post, "/write?precision=ns", 11};
  req.set(http::field::host, host);
  if (!token.empty()) req.set(http::field::authorization, "Token " + token);
  req.set(http::field::content_type, "text/plain; charset=utf-8");
  req.body() = std::move(body);
  req.prepare_payload();
  if (!ec) http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("demo live data: ", ec.message()));
  if (res.result_int() != 204) {
    return absl::InternalError(
        absl::StrCat("demo live data: /write answered ", res.result_int(), ": ", res.body()));
  }
  return absl::OkStatus();
}

// The time of the newest point of `series`, or 0 when it has none in the last `days` + 1.
int64_t LastPoint(Store& store, const std::string& series, int64_t now, int days) {
  auto pts = store.QueryRaw(series, now - (days + 1) * kDay, now + kDay);
  return pts.ok() && !pts->empty() ? pts->back().t : 0;
}

}  // namespace

std::string DefaultDatasetsDir() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("DC_DATASETS_DIR"); e && *e) return e;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) {
    fs::path d = exe.parent_path();
    for (const fs::path& cand : {d / "../datasets", d / "../../datasets", d / "../../../datasets",
                                 d / "../share/dualcarbon/datasets"}) {
      if (Env::Default()->FileExists((cand / "uci-steel-industry").string())) {
        return fs::weakly_canonical(cand, ec).string();
      }
    }
  }
  if (const char* s = std::getenv("DC_SOURCE_DIR"); s && *s) return std::string(s) + "/datasets";
  return "datasets";
}

absl::StatusOr<std::unique_ptr<Demo>> Demo::Setup(Store& store, model::SiteStore& sites,
                                                  const DemoOptions& options) {
  const int64_t now = Env::Default()->NowNanos();
  std::string datasets = options.datasets_dir.empty() ? DefaultDatasetsDir() : options.datasets_dir;
  auto plant = DemoPlant::Create(options.seed, now,
                                 datasets + "/uci-steel-industry/Steel_industry_data.csv");
  if (!plant.ok()) return plant.status();
  for (const std::string& toml : {DemoPlant::CementSiteToml(), DemoPlant::SteelSiteToml()}) {
    auto saved = sites.Save(toml, "demo site");
    if (!saved.ok()) return saved.status();
  }
  std::unique_ptr<Demo> demo(new Demo(options, std::move(*plant)));

  // History: one point a minute (the steel data: its own 15 minutes), from `days` ago, or from
  // the newest point of an earlier run of this demo on the same data directory.
  const int64_t end = now / kMin * kMin;
  int64_t start = (now - options.days * kDay) / kSteelStep * kSteelStep;
  int64_t last = LastPoint(store, "meter,id=grid-in,site=demo-cement value", now, options.days);
  if (last > start) {
    demo->restarted_ = true;
    start = last;
  }
  const int64_t t0 = Env::Default()->MonotonicNanos();
  PointBatch batch;
  batch.Reserve(kBatchRows + 64);
  int64_t prev = start;
  for (int64_t t = (start / kMin + 1) * kMin; t <= end; t += kMin) {
    demo->plant_.AppendCement(t, t - prev, &batch);
    if (t % kSteelStep == 0) {
      demo->plant_.AppendSteel(t, std::min(kSteelStep, t - start), &batch);
    }
    prev = t;
    if (batch.size() >= kBatchRows) {
      if (absl::Status s = store.Write(batch); !s.ok()) return s;
      demo->backfill_.points += static_cast<int64_t>(batch.size());
      batch.Clear();
    }
  }
  // The stack's hourly CEMS records (CN 2061), from the hour holding `start`: the last hour of
  // an earlier run may have been incomplete. Real-time records (CN 2011) start live.
  if (absl::Status s =
          AppendCemsHours(demo->plant_, start / (60 * kMin) * (60 * kMin), end, &batch);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = store.Write(batch); !s.ok()) return s;
  demo->backfill_.points += static_cast<int64_t>(batch.size());
  if (absl::Status s = store.Flush(); !s.ok()) return s;
  demo->backfill_.seconds = static_cast<double>(Env::Default()->MonotonicNanos() - t0) / 1e9;
  demo->backfill_.end_ns = prev;
  return demo;
}

Demo::~Demo() { StopLive(); }

absl::StatusOr<std::string> Demo::StartLive(const std::string& host, uint16_t port,
                                            server::TokenStore* tokens, int hj212_port) {
  std::string login, writer;
  if (tokens != nullptr) {
    (void)tokens->Revoke(kLoginToken);  // NotFound on a first run: nothing to replace
    (void)tokens->Revoke(kWriterToken);
    auto l = tokens->Create(server::Role::kRead, kLoginToken, "");
    if (!l.ok()) return l.status();
    auto w = tokens->Create(server::Role::kWrite, kWriterToken, "");
    if (!w.ok()) return w.status();
    login = std::move(*l);
    writer = std::move(*w);
  }
  live_ = std::thread([this, host, port, writer] { LiveLoop(host, port, writer); });
  if (hj212_port > 0) {
    station_ = std::make_unique<DemoCemsStation>(plant_, backfill_.end_ns);
    station_->Start("127.0.0.1", hj212_port);
  }
  return login;
}

void Demo::StopLive() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (live_.joinable()) live_.join();
  if (station_) station_->Stop();
}

// Every live_interval: the points of (previous tick, now], posted as line protocol. A failed
// post is logged and its points are sent again with the next tick's.
void Demo::LiveLoop(const std::string& host, uint16_t port, const std::string& token) {
  int64_t prev = backfill_.end_ns;
  PointBatch pending;
  while (!stop_.WaitForNotificationWithTimeout(absl::Nanoseconds(options_.live_interval_ns))) {
    // Stamped on whole seconds, as meters and gateways stamp their readings.
    int64_t now = Env::Default()->NowNanos() / kNanosPerSecond * kNanosPerSecond;
    if (now <= prev) continue;
    plant_.AppendCement(now, now - prev, &pending);
    plant_.AppendSteel(now, now - prev, &pending);
    prev = now;
    absl::Status s = PostWrite(host, port, token, ToLineProtocol(pending));
    if (!s.ok()) {
      spdlog::warn("{}", std::string(s.message()));
      if (pending.size() > 100'000) pending.Clear();  // the server is gone for good
      continue;
    }
    pending.Clear();
    live_posts_.fetch_add(1);
  }
}

}  // namespace dc::app
