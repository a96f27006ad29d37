#include "server/import_api.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "accounting/readings.h"
#include "common/strings.h"
#include "common/time.h"
#include "ingest/csv_import.h"
#include "ingest/gzip.h"
#include "nlohmann/json.hpp"
#include "server/errors.h"
#include "server/scope.h"

namespace dc::server {
namespace {

using nlohmann::json;

constexpr size_t kChunk = 1 << 20;
constexpr size_t kBatchPoints = 50000;
constexpr size_t kMaxReportedRows = 100;

// The options of the query string; `site` defaults to a scoped token's site. A site in the
// site database gives its zone (unless tz is given) and, for the long layout, its meters.
absl::StatusOr<CsvImportOptions> Options(const HttpRequest& req, model::SiteStore* sites) {
  CsvImportOptions o;
  o.max_errors = kMaxReportedRows;
  for (const auto& [name, value] : req.params.items()) {
    if (name == "u" || name == "p") continue;  // InfluxDB-style credentials (server.cc)
    if (absl::Status s = SetCsvImportOption(name, value, &o); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter ", s.message()));
    }
  }
  if (o.site.empty() && req.token != nullptr) o.site = req.token->site;
  if (!o.site.empty() && !InScope(req.token, o.site)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "site \"", o.site, "\" is outside this token's site \"", req.token->site, "\""));
  }
  if (o.site.empty() || sites == nullptr) return o;
  auto site = sites->Load(o.site);
  if (!site.ok()) {
    if (absl::IsNotFound(site.status())) return o;  // an id only
    return site.status();
  }
  if (!req.params.Has("tz")) {
    auto zone = LoadZone(site->timezone);
    if (!zone.ok()) return zone.status();
    o.zone = *zone;
  }
  if (o.layout == CsvLayout::kLong) {
    std::vector<std::pair<std::string, std::string>> map;
    for (const auto& m : site->meters) map.emplace_back(m.id, accounting::MeterSeriesKey(m));
    map.insert(map.end(), o.map.begin(), o.map.end());  // explicit maps win (added last)
    o.map = std::move(map);
    o.known_meters_only = true;
  }
  return o;
}

json ResultJson(const CsvImportResult& r, const absl::Status& stopped) {
  json errors = json::array();
  for (const auto& e : r.errors) errors.push_back({{"line", e.line}, {"reason", e.reason}});
  json j = {{"points", r.points},     {"rows", r.rows},
            {"skipped", r.bad_rows},  {"empty_cells", r.empty_cells},
            {"encoding", r.encoding}, {"errors", errors},
            {"notes", r.notes}};
  if (!stopped.ok()) j["error"] = std::string(stopped.message());
  return j;
}

}  // namespace

void ImportApi::Register(Router& router) {
  auto add = [&](const char* method, const char* path, const char* name, Access access,
                 absl::Status (ImportApi::*fn)(HttpRequest&, HttpResponse&), ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi,
                [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); },
                scope});
  };
  add("POST", "/api/v1/import", "import", Access::kWrite, &ImportApi::Import,
      ScopeRule::kWriteBody);
}

absl::Status ImportApi::StoreWrite(const PointBatch& batch) {
  absl::Status s = store_.Write(batch);
  if (StorageFaultOf(s) == StorageFault::kNone) {
    metrics_.StorageOk();
  } else {
    ReportStorageFault(metrics_, s, "store write");
  }
  return s;
}

absl::Status ImportApi::Import(HttpRequest& req, HttpResponse& res) {
  std::string_view body = *req.body;
  std::string_view encoding = SV(absl::StripAsciiWhitespace(AV(req.content_encoding)));
  if (absl::EqualsIgnoreCase(AV(encoding), "gzip")) {
    auto inflated = Gunzip(body, max_body_bytes_);
    if (!inflated.ok()) return inflated.status();
    req.scratch->inflated = std::move(*inflated);
    body = req.scratch->inflated;
  } else if (!encoding.empty() && !absl::EqualsIgnoreCase(AV(encoding), "identity")) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported Content-Encoding \"", AV(encoding), "\" (gzip or identity)"));
  }
  auto options = Options(req, sites_);
  if (!options.ok()) return options.status();
  CsvImporter importer(*options, "body");
  PointBatch& batch = req.scratch->batch;
  batch.Clear();
  absl::Status stopped, scope;
  size_t written = 0, refused = 0;
  for (size_t at = 0;; at += kChunk) {
    bool last = at >= body.size();
    stopped = last ? importer.Finish(&batch) : importer.Feed(body.substr(at, kChunk), &batch);
    if (batch.size() >= kBatchPoints || last || !stopped.ok()) {
      size_t before = batch.size();
      absl::Status sc = RestrictToScope(req.token, &batch);  // drops other sites' points
      if (!sc.ok() && scope.ok()) scope = sc;
      refused += before - batch.size();
      if (!batch.empty()) {
        if (absl::Status s = StoreWrite(batch); !s.ok()) return s;
      }
      written += batch.size();
      batch.Clear();
    }
    if (last || !stopped.ok()) break;
  }
  const CsvImportResult& r = importer.result();
  metrics_.AddIngest(static_cast<int64_t>(written), static_cast<int64_t>(r.bad_rows),
                     req.received_ns);
  if (!scope.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(
        scope.message(), " (", refused, " points refused in all, ", written, " written)"));
  }
  json j = ResultJson(r, stopped);
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (written == 0) {
    std::string why = !stopped.ok() ? std::string(stopped.message())
                      : r.errors.empty()
                          ? std::string("no value in the file")
                          : absl::StrCat("line ", r.errors[0].line, ": ", r.errors[0].reason);
    return WithDetails(absl::InvalidArgumentError(absl::StrCat(
                           "nothing imported (", r.bad_rows, " bad rows of ", r.rows, "): ", why)),
                       out);
  }
  res.body = out + "\n";
  return absl::OkStatus();
}

}  // namespace dc::server
