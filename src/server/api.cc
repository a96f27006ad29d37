#include "server/api.h"

#include "server/stream.h"

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/env.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"
#include "ingest/gzip.h"
#include "ingest/json_write.h"
#include "ingest/line_protocol.h"
#include "nlohmann/json.hpp"
#include "server/events_api.h"
#include "server/scope.h"
#include "server/stream.h"
#include "server/time_format.h"

namespace dc::server {
namespace {

// A series listing at least this long is followed by malloc_trim (Api::Series).
constexpr size_t kTrimAfterSeries = 100'000;

using nlohmann::json;

bool IsJson(std::string_view content_type) {
  return absl::StartsWithIgnoreCase(AV(content_type), "application/json");
}

// The write error message: InfluxDB's "partial write" / "unable to parse" wording (Telegraf keys
// on it to drop rather than retry a batch), then where each reported line went wrong.
std::string WriteErrorMessage(const LpResult& r, size_t good_lines, size_t max_reported) {
  std::string msg;
  if (r.points > 0) msg = "partial write: ";
  absl::StrAppend(&msg, "unable to parse ", r.error_count, " of ", r.lines, " lines");
  if (r.points > 0) {
    absl::StrAppend(&msg, " (the other ", good_lines, " lines, ", r.points,
                    " points, were written)");
  } else {
    absl::StrAppend(&msg, " (nothing written)");
  }
  size_t n = std::min(max_reported, r.errors.size());
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppend(&msg, i == 0 ? ": " : "; ", r.errors[i].ToString());
  }
  if (r.error_count > n) absl::StrAppend(&msg, "; ...");
  absl::StrAppend(&msg, " dropped=", r.error_count);
  return msg;
}

std::string WriteErrorDetails(const LpResult& r, size_t max_reported) {
  json errors = json::array();
  for (size_t i = 0; i < std::min(max_reported, r.errors.size()); ++i) {
    errors.push_back({{"line", r.errors[i].line},
                      {"column", r.errors[i].column},
                      {"message", r.errors[i].message}});
  }
  json d = {{"lines", r.lines},
            {"rejected_lines", r.error_count},
            {"points_written", r.points},
            {"errors", errors}};
  return d.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// Consumes `word` (case-insensitive) and following blanks from the front of *s.
bool ConsumeWord(std::string_view* s, std::string_view word) {
  if (s->size() < word.size() || !absl::EqualsIgnoreCase(AV(s->substr(0, word.size())), AV(word))) {
    return false;
  }
  std::string_view rest = s->substr(word.size());
  if (!rest.empty() && !absl::ascii_isspace(static_cast<unsigned char>(rest.front()))) return false;
  *s = Trim(rest);
  return true;
}

// A write some of whose points were refused for scope (403); `parse_errors` other lines or
// elements that did not parse are only counted here (resend them through an unscoped path).
absl::Status WithScopeRefusal(const absl::Status& scope, size_t parse_errors,
                              std::string_view unit) {
  if (parse_errors == 0) return scope;
  return absl::PermissionDeniedError(
      absl::StrCat(scope.message(), "; besides, ", parse_errors, " ", AV(unit), " did not parse"));
}

json TokenJson(const TokenInfo& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(RoleName(t.role))},
          {"site", t.site},
          {"created", FormatTime(t.created_ns, absl::UTCTimeZone())}};
}

}  // namespace

void Api::Register(Router& router) {
  auto bind = [this](absl::Status (Api::*fn)(HttpRequest&, HttpResponse&)) {
    return [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); };
  };
  using enum Access;
  using enum ScopeRule;
  const ErrorStyle api = ErrorStyle::kApi, influx = ErrorStyle::kInflux;
  auto add = [&](const char* method, const char* path, const char* name, Access access,
                 ErrorStyle style, auto fn, ScopeRule scope) {
    router.Add({method, path, name, access, style, bind(fn), scope});
  };
  add("POST", "/write", "write", kWrite, influx, &Api::Write, kWriteBody);
  add("POST", "/api/v1/write", "write", kWrite, api, &Api::Write, kWriteBody);
  add("GET", "/api/v1/query", "query", kRead, api, &Api::Query, kQuerySeries);
  add("POST", "/api/v1/query", "query", kRead, api, &Api::QueryPost, kQuerySeries);
  add("GET", "/api/v1/series", "series", kRead, api, &Api::Series, kFilteredList);
  add("GET", "/health", "health", kPublic, api, &Api::Health, kNone);
  add("GET", "/metrics", "metrics", kRead, api, &Api::MetricsText, kAllSites);
  add("GET", "/api/v1/sources", "sources", kRead, api, &Api::Sources, kAllSites);
  add("GET", "/ping", "ping", kPublic, influx, &Api::Ping, kNone);
  add("HEAD", "/ping", "ping", kPublic, influx, &Api::Ping, kNone);
  add("GET", "/query", "influx_query", kAnyToken, influx, &Api::InfluxQuery, kNone);
  add("POST", "/query", "influx_query", kAnyToken, influx, &Api::InfluxQuery, kNone);
  add("GET", "/api/v1/tokens", "tokens", kAdmin, api, &Api::ListTokens, kTokens);
  add("POST", "/api/v1/tokens", "tokens", kAdmin, api, &Api::CreateToken, kTokens);
  add("DELETE", "/api/v1/tokens", "tokens", kAdmin, api, &Api::RevokeToken, kTokens);
}

absl::Status Api::Write(HttpRequest& req, HttpResponse& res) {
  std::string_view body = *req.body;
  std::string_view encoding = Trim(req.content_encoding);
  if (absl::EqualsIgnoreCase(AV(encoding), "gzip")) {
    auto inflated = Gunzip(body, options_.max_body_bytes);
    if (!inflated.ok()) return inflated.status();
    req.scratch->inflated = std::move(*inflated);
    body = req.scratch->inflated;
  } else if (!encoding.empty() && !absl::EqualsIgnoreCase(AV(encoding), "identity")) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported Content-Encoding \"", AV(encoding), "\" (gzip or identity)"));
  }
  // InfluxDB's /write ignores Content-Type; the JSON format is ours, on /api/v1/write only.
  if (req.path == "/api/v1/write" && IsJson(req.content_type)) return WriteJson(body, req, res);

  auto precision = ParsePrecision(req.params.GetOr("precision", ""));
  if (!precision.ok()) return precision.status();
  LpOptions opt;
  opt.precision = *precision;
  opt.default_time_ns = req.received_ns;
  opt.max_errors = options_.max_reported_errors;
  PointBatch& batch = req.scratch->batch;
  batch.Clear();
  LpResult r = ParseLineProtocol(body, opt, &batch);
  absl::Status scope = RestrictToScope(req.token, &batch);  // drops other sites' points
  if (!batch.empty()) {
    absl::Status s = StoreWrite(batch);
    if (!s.ok()) return s;
  }
  metrics_.AddIngest(static_cast<int64_t>(batch.size()), static_cast<int64_t>(r.error_count),
                     req.received_ns);
  if (!scope.ok()) return WithScopeRefusal(scope, r.error_count, "lines");
  if (r.error_count > 0) {
    return WithDetails(absl::InvalidArgumentError(WriteErrorMessage(r, r.lines - r.error_count,
                                                                    options_.max_reported_errors)),
                       WriteErrorDetails(r, options_.max_reported_errors));
  }
  res.status = 204;
  return absl::OkStatus();
}

absl::Status Api::WriteJson(std::string_view body, HttpRequest& req, HttpResponse& res) {
  PointBatch& batch = req.scratch->batch;
  batch.Clear();
  JsonWriteOptions opt;
  opt.max_errors = options_.max_reported_errors;
  auto r = ParseJsonWrite(body, opt, &batch);
  if (!r.ok()) return r.status();
  absl::Status scope = RestrictToScope(req.token, &batch);  // drops other sites' points
  if (!batch.empty()) {
    absl::Status s = StoreWrite(batch);
    if (!s.ok()) return s;
  }
  metrics_.AddIngest(static_cast<int64_t>(batch.size()), static_cast<int64_t>(r->error_count),
                     req.received_ns);
  if (!scope.ok()) return WithScopeRefusal(scope, r->error_count, "elements");
  if (r->error_count > 0) {
    std::string msg = absl::StrCat(r->error_count, " of ", r->elements, " elements rejected (",
                                   r->points, " points written)");
    nlohmann::json errors = nlohmann::json::array();
    for (size_t i = 0; i < r->errors.size(); ++i) {
      absl::StrAppend(&msg, i == 0 ? ": " : "; ", r->errors[i].ToString());
      errors.push_back({{"index", r->errors[i].index}, {"message", r->errors[i].message}});
    }
    if (r->error_count > r->errors.size()) absl::StrAppend(&msg, "; ...");
    nlohmann::json d = {{"elements", r->elements},
                        {"rejected_elements", r->error_count},
                        {"points_written", r->points},
                        {"errors", errors}};
    return WithDetails(absl::InvalidArgumentError(msg),
                       d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  res.status = 204;
  return absl::OkStatus();
}

absl::Status Api::StoreWrite(const PointBatch& batch) {
  absl::Status s = store_.Write(batch);
  if (s.ok() && options_.hub != nullptr) options_.hub->Publish(batch);  // live streams
  if (StorageFaultOf(s) == StorageFault::kNone) {
    metrics_.StorageOk();
  } else {
    ReportStorageFault(metrics_, s, "store write");
  }
  return s;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->append(json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace));
}

// {"series":[keys...],"total":N}, written straight into the body: no JSON tree of every key.
// A listing of many keys leaves the heap with many small free blocks, handed back to the
// system here (malloc_trim), so that listing a million series does not leave the server larger.
absl::Status Api::Series(HttpRequest& req, HttpResponse& res) {
  size_t limit = SIZE_MAX;
  if (const std::string* l = req.params.Get("limit")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(AV(*l), &n) || n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter limit=\"", *l, "\": expected a non-negative integer"));
    }
    limit = static_cast<size_t>(n);
  }
  size_t total = 0;
  {
    std::vector<std::string> keys = store_.ListSeries(req.params.GetOr("match", ""));
    std::erase_if(keys, [&](const std::string& k) { return !SeriesInScope(req.token, k); });
    total = keys.size();
    res.body = "{\"series\":[";
    for (size_t i = 0; i < std::min(limit, keys.size()); ++i) {
      if (i > 0) res.body.push_back(',');
      AppendJsonString(keys[i], &res.body);
    }
    absl::StrAppend(&res.body, "],\"total\":", total, "}\n");
  }
  if (total >= kTrimAfterSeries) malloc_trim(0);
  return absl::OkStatus();
}

absl::Status Api::Health(HttpRequest&, HttpResponse& res) {
  StoreStats st = store_.Stats();
  int64_t now = Env::Default()->MonotonicNanos();
  Metrics::StorageHealth storage = metrics_.storage_health();
  json last_error = nullptr;
  if (!storage.last_error.empty()) {
    last_error = {{"message", storage.last_error},
                  {"kind", storage.last_kind},
                  {"time", FormatTime(storage.last_error_ns, absl::UTCTimeZone())}};
  }
  json doc = {{"status", storage.degraded ? "degraded" : "ok"},
              {"storage_error", last_error},
              {"uptime_seconds", (now - started_ns_) / kNanosPerSecond},
              {"connections", metrics_.connections()},
              {"ingest_points_total", metrics_.ingest_points()},
              {"store",
               {{"series", st.series},
                {"points", st.points},
                {"head_points", st.head_points},
                {"segments", st.segments},
                {"partitions", st.partitions},
                {"bytes_on_disk", st.bytes_on_disk},
                {"wal_bytes", st.wal_bytes},
                {"wal_pending_bytes", st.wal_pending_bytes},
                {"compactions", st.compactions},
                {"compaction_bytes", st.compaction_bytes}}},
              {"recovery", store_.recovery_report()}};
  if (options_.sources != nullptr) {
    const auto states = options_.sources->States();
    int64_t failing = 0;
    for (const acquire::SourceState& src : states) failing += !src.running;
    doc["sources"] = {{"configured", states.size()}, {"not_running", failing}};
  }
  res.body = doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return absl::OkStatus();
}

absl::Status Api::MetricsText(HttpRequest& req, HttpResponse& res) {
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = metrics_.Render(store_.Stats(), req.received_ns);
  if (options_.sources != nullptr) res.body += SourcesMetrics(*options_.sources, req.received_ns);
  return absl::OkStatus();
}

absl::Status Api::Ping(HttpRequest&, HttpResponse& res) {
  res.status = 204;
  return absl::OkStatus();
}

absl::Status Api::InfluxQuery(HttpRequest& req, HttpResponse& res) {
  std::string q = req.params.GetOr("q", "");
  json results = json::array();
  int id = 0;
  for (absl::string_view stmt : absl::StrSplit(AV(q), ';')) {
    std::string_view s = Trim(SV(stmt));
    if (s.empty()) continue;
    json r = {{"statement_id", id++}};
    std::string_view rest = s;
    if (ConsumeWord(&rest, "CREATE") && ConsumeWord(&rest, "DATABASE") && !rest.empty()) {
      std::string_view name = rest.substr(0, rest.find_first_of(" \t\r\n"));
      if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'')) {
        name = name.substr(1, name.size() - 2);
      }
      if (absl::Status c = CreateDatabase(name, req); !c.ok()) return c;
    } else if (rest = s; ConsumeWord(&rest, "SHOW") && ConsumeWord(&rest, "DATABASES")) {
      json values = json::array();
      absl::MutexLock l(&mu_);
      for (const std::string& db : databases_) values.push_back(json::array({db}));
      r["series"] = json::array(
          {{{"name", "databases"}, {"columns", json::array({"name"})}, {"values", values}}});
    } else {
      return absl::UnimplementedError(
          absl::StrCat("unsupported statement \"", AV(s),
                       "\": this endpoint answers only CREATE DATABASE and SHOW DATABASES; "
                       "read data with GET /api/v1/query"));
    }
    results.push_back(std::move(r));
  }
  if (id == 0) return absl::InvalidArgumentError("missing required parameter \"q\"");
  res.body =
      json({{"results", results}}).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return absl::OkStatus();
}

absl::Status Api::CreateDatabase(std::string_view name, const HttpRequest& req) {
  if (req.token != nullptr && req.token->role == Role::kRead) {
    return absl::PermissionDeniedError(
        "CREATE DATABASE needs a write or admin token (a read token may only SHOW DATABASES)");
  }
  if (name.empty()) return absl::InvalidArgumentError("CREATE DATABASE: empty database name");
  if (absl::Status s = CheckText("database name", name, options_.max_database_name); !s.ok()) {
    return s;
  }
  absl::MutexLock l(&mu_);
  if (databases_.size() >= options_.max_databases && !databases_.contains(std::string(name))) {
    return absl::FailedPreconditionError(
        absl::StrCat("too many databases (the limit is ", options_.max_databases,
                     "); CREATE DATABASE only records names, all data goes to one store"));
  }
  databases_.emplace(name);
  return absl::OkStatus();
}

absl::Status Api::ListTokens(HttpRequest& req, HttpResponse& res) {
  if (tokens_ == nullptr) return absl::FailedPreconditionError("authentication is off (--no-auth)");
  json list = json::array();
  for (const TokenInfo& t : tokens_->List()) {
    if (CanManage(req.token, t)) list.push_back(TokenJson(t));
  }
  res.body = json({{"tokens", list}}).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return absl::OkStatus();
}

namespace {

// The optional string field `key` of `in` ("" when absent), or InvalidArgument naming it.
absl::StatusOr<std::string> StringField(const json& in, const char* key, bool required) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\" is required"));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", key, "\" must be a string, not ", it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace

absl::Status Api::CreateToken(HttpRequest& req, HttpResponse& res) {
  if (tokens_ == nullptr) return absl::FailedPreconditionError("authentication is off (--no-auth)");
  if (absl::Status s = CheckJsonDepth(*req.body); !s.ok()) return s;
  json in = json::parse(*req.body, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) {
    return absl::InvalidArgumentError(
        "body must be a JSON object {\"role\": \"admin|write|read\", \"name\"?, \"site\"?}");
  }
  auto role_text = StringField(in, "role", true);
  if (!role_text.ok()) return role_text.status();
  auto role = ParseRole(*role_text);
  if (!role.ok()) return role.status();
  auto name = StringField(in, "name", false);
  if (!name.ok()) return name.status();
  auto site = StringField(in, "site", false);
  if (!site.ok()) return site.status();
  if (absl::Status s = CheckMint(req.token, *role, *site); !s.ok()) return s;
  TokenInfo info;
  auto token = tokens_->Create(*role, *name, *site, &info);
  if (!token.ok()) return token.status();
  json out = TokenJson(info);
  out["token"] = *token;
  res.status = 201;
  res.body = out.dump() + "\n";
  return absl::OkStatus();
}

absl::Status Api::RevokeToken(HttpRequest& req, HttpResponse& res) {
  if (tokens_ == nullptr) return absl::FailedPreconditionError("authentication is off (--no-auth)");
  std::string id = req.params.GetOr("id", "");
  if (id.empty()) return absl::InvalidArgumentError("parameter id is required");
  absl::Status s = tokens_->Revoke(id, [&](const TokenInfo& t) { return CanManage(req.token, t); });
  if (!s.ok()) return s;
  res.status = 204;
  return absl::OkStatus();
}

}  // namespace dc::server
