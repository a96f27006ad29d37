// The route handlers of the HTTP API (docs/api.md) and the table that registers them.
#ifndef DC_SERVER_API_H_
#define DC_SERVER_API_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "acquire/source.h"
#include "common/env.h"
#include "model/meter_events.h"
#include "model/site_store.h"
#include "server/metrics.h"
#include "server/params.h"
#include "server/router.h"
#include "server/tokens.h"
#include "storage/store.h"

namespace dc::server {

class PointHub;  // stream.h

struct ApiOptions {
  size_t max_body_bytes = 64 << 20;                  // also the limit of a decompressed (gzip) body
  size_t max_reported_errors = 10;                   // bad lines named in a write error
  size_t max_databases = 100;                        // names remembered by CREATE DATABASE
  size_t max_database_name = 64;                     // bytes
  const acquire::SourceRegistry* sources = nullptr;  // /api/v1/sources; nullptr = none
  PointHub* hub = nullptr;  // written points are published here (live streams); may be null
  // agg=increase uses the rollover and swaps of the site meter reading the queried series;
  // nullptr = none.
  model::SiteStore* sites = nullptr;
  model::MeterEvents* meter_events = nullptr;
};

// Handlers borrow the store, tokens (nullptr when auth is off) and metrics; all must outlive
// the Api. Thread-safe.
// The sources as JSON ({"sources": [...]}, docs/api.md) and as Prometheus lines.
std::string SourcesJson(const acquire::SourceRegistry& sources);
// Appends `s` as a JSON string (quoted, escaped; invalid UTF-8 replaced by U+FFFD).
void AppendJsonString(std::string_view s, std::string* out);
std::string SourcesMetrics(const acquire::SourceRegistry& sources, int64_t now_ns);

class Api {
 public:
  Api(Store& store, TokenStore* tokens, Metrics& metrics, ApiOptions options)
      : store_(store),
        tokens_(tokens),
        metrics_(metrics),
        options_(options),
        started_ns_(Env::Default()->MonotonicNanos()) {}

  // Adds every route to `router`.
  void Register(Router& router);

  absl::Status Write(HttpRequest& req, HttpResponse& res);
  // GET and POST /api/v1/query (query_api.cc).
  absl::Status Query(HttpRequest& req, HttpResponse& res);
  absl::Status QueryPost(HttpRequest& req, HttpResponse& res);
  absl::Status Series(HttpRequest& req, HttpResponse& res);
  absl::Status Health(HttpRequest& req, HttpResponse& res);
  absl::Status MetricsText(HttpRequest& req, HttpResponse& res);
  absl::Status Ping(HttpRequest& req, HttpResponse& res);
  absl::Status InfluxQuery(HttpRequest& req, HttpResponse& res);
  absl::Status ListTokens(HttpRequest& req, HttpResponse& res);
  absl::Status CreateToken(HttpRequest& req, HttpResponse& res);
  absl::Status RevokeToken(HttpRequest& req, HttpResponse& res);
  absl::Status Sources(HttpRequest& req, HttpResponse& res);  // sources_api.cc

 private:
  absl::Status WriteJson(std::string_view body, HttpRequest& req, HttpResponse& res);
  // Scope check (ScopeQuery), series selection, then the answer in JSON or CSV.
  absl::Status RunQuery(QuerySpec& spec, const HttpRequest& req, HttpResponse& res);
  // The listed series, or the stored ones the selection chooses, sorted (at most
  // kMaxQuerySeries, else InvalidArgument).
  absl::StatusOr<std::vector<std::string>> SelectSeries(const QuerySpec& spec);
  // The points of one series of a query: raw samples (with quality) or buckets (quality good).
  absl::StatusOr<std::vector<Sample>> QueryPoints(const QuerySpec& spec, const std::string& key);
  // store_.Write; a success clears the "degraded" health state of an earlier storage fault.
  absl::Status StoreWrite(const PointBatch& batch);
  // CREATE DATABASE `name` for `req`'s token (write or admin only).
  absl::Status CreateDatabase(std::string_view name, const HttpRequest& req);

  Store& store_;
  TokenStore* tokens_;
  Metrics& metrics_;
  const ApiOptions options_;
  const int64_t started_ns_;  // monotonic
  absl::Mutex mu_;
  std::set<std::string> databases_ ABSL_GUARDED_BY(mu_) = {"dualcarbon"};
};

}  // namespace dc::server

#endif  // DC_SERVER_API_H_
