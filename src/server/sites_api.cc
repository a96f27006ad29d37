#include "server/sites_api.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "accounting/breakdown.h"
#include "accounting/cbam.h"
#include "accounting/inventory.h"
#include "accounting/period.h"
#include "accounting/readings.h"
#include "accounting/report.h"
#include "common/strings.h"
#include "common/time.h"
#include "model/site.h"
#include "nlohmann/json.hpp"
#include "server/scope.h"

namespace dc::server {
namespace {

using nlohmann::json;

// Counters are read this far beyond each bound to find the readings on either side (the same
// margin as `dualcarbon account --data-dir`).
constexpr int64_t kCounterMarginNs = 31 * kNanosPerDay;

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

bool Accepts(std::string_view accept, std::string_view type) {
  return absl::StrContains(absl::AsciiStrToLower(AV(accept)), absl::AsciiStrToLower(AV(type)));
}

// A scoped token may not point a site's meters at another site's series (that would read
// the other site's data through this site's inventory).
absl::Status CheckMeterSeriesScope(const HttpRequest& req, const model::Site& site) {
  for (const model::Meter& m : site.meters) {
    std::string key = accounting::MeterSeriesKey(m);
    if (SeriesInScope(req.token, key)) continue;
    return absl::PermissionDeniedError(absl::StrCat(
        site.file, ": meter '", m.id, "' reads series \"", key, "\", which is not tagged site=",
        req.token->site, "; this token may use only its own site's series"));
  }
  return absl::OkStatus();
}

// Ids name files and URL segments: the site model's id rules are checked on PUT; here only
// what the path can carry.
absl::Status CheckIdParam(std::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("empty site id in the path");
  return absl::OkStatus();
}

// `name` must be one of `allowed` (the first is the default).
absl::StatusOr<std::string> Choice(const Params& params, std::string_view name,
                                   std::initializer_list<std::string_view> allowed) {
  const std::string* v = params.Get(name);
  if (v == nullptr) return std::string(*allowed.begin());
  std::string list;
  for (std::string_view a : allowed) {
    if (*v == a) return *v;
    absl::StrAppend(&list, list.empty() ? "" : ", ", AV(a));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("parameter ", AV(name), "=\"", *v, "\": expected one of ", list));
}

}  // namespace

void SitesApi::Register(Router& router) {
  auto bind = [this](absl::Status (SitesApi::*fn)(HttpRequest&, HttpResponse&)) {
    return [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); };
  };
  using enum Access;
  using enum ScopeRule;
  auto add = [&](const char* method, const char* path, const char* name, Access access, auto fn,
                 ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi, bind(fn), scope});
  };
  add("GET", "/api/v1/sites", "sites", kRead, &SitesApi::List, kFilteredList);
  add("GET", "/api/v1/sites/{id}", "site", kRead, &SitesApi::Get, kSitePath);
  add("PUT", "/api/v1/sites/{id}", "site", kAdmin, &SitesApi::Put, kSitePath);
  add("DELETE", "/api/v1/sites/{id}", "site", kAdmin, &SitesApi::Delete, kSitePath);
  add("GET", "/api/v1/sites/{id}/inventory", "site_inventory", kRead, &SitesApi::Inventory,
      kSitePath);
  add("GET", "/api/v1/sites/{id}/report", "site_report", kRead, &SitesApi::Report, kSitePath);
  RegisterFlow(router);
}

absl::Status SitesApi::NeedSites() const {
  if (options_.sites != nullptr) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("the site database is not available",
                                             options_.sites_error.empty() ? "" : ": ",
                                             options_.sites_error));
}

absl::Status SitesApi::NeedReference() const {
  if (options_.reference != nullptr) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("the reference library was not loaded at server start",
                   options_.reference_error.empty() ? "" : " (", options_.reference_error,
                   options_.reference_error.empty() ? "" : ")",
                   "; start the server with --reference DIR or DC_REFERENCE_DIR set"));
}

absl::Status SitesApi::List(HttpRequest& req, HttpResponse& res) {
  if (absl::Status s = NeedSites(); !s.ok()) return s;
  auto list = options_.sites->List();
  if (!list.ok()) return list.status();
  json out = json::array();
  for (const model::SiteSummary& summary : *list) {
    if (!InScope(req.token, summary.id)) continue;
    auto site = options_.sites->Load(summary.id);
    if (absl::IsNotFound(site.status())) continue;  // deleted meanwhile
    if (!site.ok()) return site.status();
    out.push_back({{"id", site->id},
                   {"name", site->name},
                   {"sector", site->sector},
                   {"timezone", site->timezone}});
  }
  res.body = Dump(out);
  return absl::OkStatus();
}

absl::Status SitesApi::Get(HttpRequest& req, HttpResponse& res) {
  const std::string& id = req.PathParam("id");
  if (absl::Status s = CheckIdParam(id); !s.ok()) return s;
  if (absl::Status s = NeedSites(); !s.ok()) return s;
  if (Accepts(req.accept, "application/toml")) {
    auto toml = options_.sites->LoadToml(id);
    if (!toml.ok()) return toml.status();
    res.content_type = "application/toml; charset=utf-8";
    res.body = std::move(*toml);
    return absl::OkStatus();
  }
  auto site = options_.sites->Load(id);
  if (!site.ok()) return site.status();
  res.body = Dump(model::SiteToJson(*site));
  return absl::OkStatus();
}

absl::Status SitesApi::Put(HttpRequest& req, HttpResponse& res) {
  const std::string& id = req.PathParam("id");
  if (absl::Status s = CheckIdParam(id); !s.ok()) return s;
  if (absl::Status s = NeedSites(); !s.ok()) return s;
  if (absl::Status s = NeedReference(); !s.ok()) return s;
  std::string_view ct = req.content_type;
  if (!ct.empty() && !absl::StartsWithIgnoreCase(AV(ct), "application/toml") &&
      !absl::StartsWithIgnoreCase(AV(ct), "text/plain") &&
      !absl::StartsWithIgnoreCase(AV(ct), "application/octet-stream")) {
    return absl::InvalidArgumentError(
        absl::StrCat("Content-Type \"", AV(ct),
                     "\" not accepted: send the site file as TOML (application/toml or text/plain, "
                     "docs/site-file.md)"));
  }
  const std::string file = absl::StrCat(id, ".toml");
  auto site = model::ParseSite(*req.body, file);
  if (!site.ok()) return site.status();
  if (site->id != id) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": [site] id = \"", site->id,
                                                   "\" does not match the path's id \"", id, "\""));
  }
  if (absl::Status s = accounting::ValidateSite(*site, *options_.reference); !s.ok()) return s;
  if (absl::Status s = CheckMeterSeriesScope(req, *site); !s.ok()) return s;
  if (auto cbam = accounting::ParseCbamConfig(*req.body, file, *site); !cbam.ok()) {
    return cbam.status();
  }

  absl::MutexLock lock(&write_mu_);
  auto existing = options_.sites->LoadToml(id);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  const bool created = !existing.ok();
  auto saved = options_.sites->Save(*req.body, file);
  if (!saved.ok()) return saved.status();
  res.status = created ? 201 : 200;
  if (created) res.headers.emplace_back("Location", absl::StrCat("/api/v1/sites/", id));
  json out = {{"id", saved->id}, {"created", created}, {"warnings", json::array()}};
  for (const std::string& w : saved->warnings) {
    if (absl::StrContains(w, "unknown table 'cbam' ignored")) continue;
    out["warnings"].push_back(w);
  }
  res.body = Dump(out);
  return absl::OkStatus();
}

absl::Status SitesApi::Delete(HttpRequest& req, HttpResponse& res) {
  const std::string& id = req.PathParam("id");
  if (absl::Status s = CheckIdParam(id); !s.ok()) return s;
  if (absl::Status s = NeedSites(); !s.ok()) return s;
  absl::MutexLock lock(&write_mu_);
  if (absl::Status s = options_.sites->Delete(id); !s.ok()) return s;
  res.status = 204;
  return absl::OkStatus();
}

// The inventory of site `id` over the request's period, from the store.
absl::StatusOr<SiteComputation> SitesApi::Compute(const HttpRequest& req) {
  if (absl::Status s = CheckIdParam(req.PathParam("id")); !s.ok()) return s;
  if (absl::Status s = NeedSites(); !s.ok()) return s;
  if (absl::Status s = NeedReference(); !s.ok()) return s;
  model::SiteStore& sites = *options_.sites;
  const accounting::Reference& ref = *options_.reference;
  const std::string& id = req.PathParam("id");
  const std::string* period_text = req.params.Get("period");
  if (period_text == nullptr || period_text->empty()) {
    return absl::InvalidArgumentError(
        "parameter period is required: 2025-03, 2025-Q1, 2025, 2025-03-01 or START..END");
  }
  SiteComputation c;
  auto toml = sites.LoadToml(id);
  if (!toml.ok()) return toml.status();
  c.toml = std::move(*toml);
  auto site = model::ParseSite(c.toml, absl::StrCat(id, ".toml"));
  if (!site.ok()) return site.status();
  c.site = std::move(*site);
  if (absl::Status s = accounting::ValidateSite(c.site, ref); !s.ok()) return s;
  auto zone = LoadZone(c.site.timezone);
  if (!zone.ok()) return zone.status();
  auto period = accounting::ParsePeriod(*period_text, *zone);
  if (!period.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter period=\"", *period_text, "\": ", period.status().message()));
  }
  auto data = std::make_unique<accounting::StoreReadings>(store_, options_.data_description,
                                                          kCounterMarginNs);
  if (options_.meter_events != nullptr) {
    auto swaps = options_.meter_events->CounterSwaps(c.site.id);
    if (!swaps.ok()) return swaps.status();
    data->SetSwaps(std::move(*swaps));
  }
  c.data = std::move(data);
  auto inv = accounting::ComputeInventory(c.site, *c.data, *period, ref);
  if (!inv.ok()) return inv.status();
  c.inventory = std::move(*inv);
  return c;
}

// ?by=month: the period and each of its months (json, csv or md).
absl::Status SitesApi::InventoryBreakdown(HttpRequest& req, HttpResponse& res,
                                          const std::string& format) {
  if (format == "html") {
    return absl::InvalidArgumentError("parameter by=month: format must be json, csv or md");
  }
  auto c = Compute(req);
  if (!c.ok()) return c.status();
  auto b = accounting::ComputeBreakdown(c->site, *c->data, std::move(c->inventory),
                                        *options_.reference, "month");
  if (!b.ok()) return b.status();
  if (format == "json") {
    res.body = accounting::BreakdownToJson(*b);
  } else if (format == "csv") {
    res.content_type = "text/csv; charset=utf-8";
    res.body = accounting::BreakdownToCsv(*b);
  } else {
    res.content_type = "text/markdown; charset=utf-8";
    res.body = accounting::BreakdownToMarkdown(*b, {"", options_.reference});
  }
  return absl::OkStatus();
}

absl::Status SitesApi::Inventory(HttpRequest& req, HttpResponse& res) {
  auto format = Choice(req.params, "format", {"json", "csv", "md", "html"});
  if (!format.ok()) return format.status();
  if (const std::string* by = req.params.Get("by"); by != nullptr) {
    if (*by != "month") {
      return absl::InvalidArgumentError(absl::StrCat("parameter by=\"", *by, "\": expected month"));
    }
    return InventoryBreakdown(req, res, *format);
  }
  auto c = Compute(req);
  if (!c.ok()) return c.status();
  const accounting::Inventory& inv = c->inventory;
  if (*format == "json") {
    res.body = accounting::InventoryToJson(inv);
  } else if (*format == "csv") {
    res.content_type = "text/csv; charset=utf-8";
    res.body = accounting::InventoryToCsv(inv);
  } else if (*format == "md") {
    res.content_type = "text/markdown; charset=utf-8";
    res.body = accounting::InventoryToMarkdown(inv);
  } else {
    res.content_type = "text/html; charset=utf-8";
    res.body = accounting::InventoryToHtml(inv);
  }
  return absl::OkStatus();
}

absl::Status SitesApi::Report(HttpRequest& req, HttpResponse& res) {
  const std::string& id = req.PathParam("id");
  if (absl::Status s = CheckIdParam(id); !s.ok()) return s;
  if (absl::Status s = NeedSites(); !s.ok()) return s;
  if (absl::Status s = NeedReference(); !s.ok()) return s;
  auto kind = Choice(req.params, "kind", {"inventory", "cbam"});
  if (!kind.ok()) return kind.status();
  auto format = Choice(req.params, "format", {"html", "md", "json"});
  if (!format.ok()) return format.status();
  auto c = Compute(req);
  if (!c.ok()) return c.status();
  const accounting::Reference& ref = *options_.reference;
  if (*kind == "inventory") {
    accounting::ReportOptions opt{"", &ref};
    res.body = *format == "json" ? accounting::InventoryToJson(c->inventory)
               : *format == "md" ? accounting::InventoryReportMarkdown(c->inventory, opt)
                                 : accounting::InventoryReportHtml(c->inventory, opt);
  } else {
    const std::string file = absl::StrCat(id, ".toml");
    auto cbam = accounting::ParseCbamConfig(c->toml, file, c->site);
    if (!cbam.ok()) return cbam.status();
    if (cbam->goods.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(file,
                       ": no [[cbam.good]] in the site file: declare the goods to report "
                       "(docs/reports.md)"));
    }
    auto r = accounting::ComputeCbam(*cbam, c->site, c->inventory, c->data.get(), ref);
    if (!r.ok()) return r.status();
    res.body = *format == "json" ? accounting::CbamToJson(*r)
               : *format == "md" ? accounting::CbamToMarkdown(*r)
                                 : accounting::CbamToHtml(*r);
  }
  res.content_type = *format == "json" ? "application/json"
                     : *format == "md" ? "text/markdown; charset=utf-8"
                                       : "text/html; charset=utf-8";
  return absl::OkStatus();
}

}  // namespace dc::server
