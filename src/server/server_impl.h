// Internal to the server layer: Server::Impl (the acceptor, the I/O threads, the handler
// pool, the session registry) and the helpers its sessions share. Not part of the public
// interface (server.h).
#ifndef DC_SERVER_SERVER_IMPL_H_
#define DC_SERVER_SERVER_IMPL_H_

#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/env.h"
#include "common/strings.h"
#include "server/api.h"
#include "server/emissions_api.h"
#include "server/errors.h"
#include "server/events_api.h"
#include "server/export_api.h"
#include "server/framing.h"
#include "server/import_api.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/static_files.h"
#include "server/stream.h"
#include "server/stream_api.h"
#include "spdlog/spdlog.h"

namespace dc::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace internal {

inline constexpr size_t kReadChunk = 64 << 10;
inline constexpr char kInfluxVersion[] = "1.8.10";  // what InfluxDB clients are told they talk to

inline std::chrono::nanoseconds Ns(int64_t ns) { return std::chrono::nanoseconds(ns); }

inline std::string_view ToSV(beast::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace internal

class Session;

inline ApiOptions MakeApiOptions(const ServerOptions& options, const SitesOptions& sites,
                                 PointHub* hub) {
  ApiOptions o;
  o.hub = hub;
  o.max_body_bytes = options.max_body_bytes;
  o.sources = options.sources;
  o.sites = sites.sites;
  o.meter_events = sites.meter_events;
  return o;
}

class Server::Impl {
 public:
  Impl(Store& store, TokenStore* tokens, const ServerOptions& options, SitesOptions sites)
      : store_(store),
        tokens_(tokens),
        options_(options),
        hub_(StreamOptions{}),
        api_(store, tokens, metrics_, MakeApiOptions(options, sites, &hub_)),
        import_api_(store, metrics_, sites.sites, options.max_body_bytes),
        sites_api_(store, sites),
        events_api_(store, sites_api_.options()),
        stream_api_(hub_),
        export_api_(sites_api_),
        emissions_api_(store, std::move(sites)),
        web_(options.web_dir.empty() ? DefaultWebDir() : options.web_dir),
        acceptor_(net::make_strand(ioc_)),
        signals_(ioc_),
        handlers_(static_cast<size_t>(HandlerThreads(options))),
        ingest_(static_cast<size_t>(HandlerThreads(options))) {
    api_.Register(router_);
    import_api_.Register(router_);
    sites_api_.Register(router_);
    stream_api_.Register(router_);
    export_api_.Register(router_);
    emissions_api_.Register(router_);
    events_api_.Register(router_);
    web_.Register(router_);  // last: its patterns are the least specific
  }

  absl::Status Listen();
  void Run();
  void Stop();
  absl::Status Wait();

  // Called by sessions. Handle runs on a handler pool, never on an I/O thread: writes of points
  // (POST /write, /api/v1/write, /api/v1/import) on the ingest pool, whose threads run at a
  // lower CPU priority (common/thread_priority.h), everything else on the handler pool — so a
  // query is not queued behind, nor starved of CPU by, full-speed ingest.
  net::thread_pool& handlers() { return handlers_; }
  net::thread_pool& ingest() { return ingest_; }
  static bool IsIngest(const http::request<http::string_body>& msg);
  void Handle(const http::request<http::string_body>& msg, std::string* body, ConnScratch* scratch,
              HttpResponse* res, std::string* route_name);
  void Register(const std::shared_ptr<Session>& s);
  void Unregister(Session* s);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  const ServerOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  PointHub& hub() { return hub_; }
  tcp::endpoint endpoint() const { return endpoint_; }

 private:
  // Handlers block (Store::Write waits for the WAL, fsync=always for the disk), so twice the
  // cores: a query need not queue behind two writes in progress.
  static int HandlerThreads(const ServerOptions& o) {
    return o.threads > 0 ? o.threads
                         : static_cast<int>(std::max(2u, 2 * std::thread::hardware_concurrency()));
  }
  // A failed handler: storage faults are counted and logged (rate-limited), other 5xx logged.
  void ReportError(std::string_view method, std::string_view path, std::string_view route,
                   const absl::Status& s);
  void WaitForSignal();
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);

  // Declared before ioc_: pending handlers destroyed with ioc_ own sessions, whose destructors
  // use the registry and the metrics.
  Store& store_;
  TokenStore* tokens_;
  ServerOptions options_;
  Metrics metrics_;
  Router router_;
  PointHub hub_;  // points written, to the live streams; outlives the sessions
  Api api_;
  ImportApi import_api_;  // before sites_api_: built from `sites` before it is moved
  SitesApi sites_api_;
  EventsApi events_api_;  // after sites_api_: built from its options
  StreamApi stream_api_;
  ExportApi export_api_;
  EmissionsApi emissions_api_;
  StaticFiles web_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> force_{false};  // a second signal: stop waiting for busy connections
  absl::Notification stop_requested_;
  bool waited_ = false;
  absl::Mutex mu_;
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);

  // The default concurrency hint: with a hint of 1, Asio queues the completions a thread
  // produces on that thread alone, so one slow request stalled every connection.
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  std::optional<net::steady_timer> accept_retry_;
  tcp::endpoint endpoint_;
  std::vector<std::thread> threads_;  // I/O: accept, read, write; never a handler
  // Route handlers (parsing, store writes, queries). Declared after ioc_: the sessions that
  // pending handlers own are destroyed before the io_context their sockets use.
  net::thread_pool handlers_;
  net::thread_pool ingest_;  // point writes; threads lower their priority on first use
};

}  // namespace dc::server

#endif  // DC_SERVER_SERVER_IMPL_H_
