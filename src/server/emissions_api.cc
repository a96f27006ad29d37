#include "server/emissions_api.h"

#include "absl/strings/str_cat.h"
#include "accounting/cems.h"
#include "common/time.h"
#include "model/site.h"
#include "server/scope.h"

namespace dc::server {
namespace {

constexpr int64_t kHour = 3600LL * 1'000'000'000;
constexpr int64_t kDefaultRange = 7 * 24 * kHour;

absl::StatusOr<int64_t> TimeParam(const HttpRequest& req, const char* name,
                                  const absl::TimeZone& zone, int64_t fallback) {
  const std::string* text = req.params.Get(name);
  if (text == nullptr || text->empty()) return fallback;
  auto t = ParseTime(*text, zone);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", name, "=\"", *text, "\": ", t.status().message()));
  }
  return *t;
}

}  // namespace

void EmissionsApi::Register(Router& router) {
  using enum Access;
  using enum ScopeRule;
  auto add = [&](const char* method, const char* path, const char* name, Access access,
                 ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi,
                [this](HttpRequest& req, HttpResponse& res) { return Emissions(req, res); },
                scope});
  };
  add("GET", "/api/v1/sites/{id}/emissions", "site_emissions", kRead, kSitePath);
}

absl::Status EmissionsApi::Emissions(HttpRequest& req, HttpResponse& res) {
  const std::string& id = req.PathParam("id");
  if (options_.sites == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("the site database is not available: ", options_.sites_error));
  }
  if (options_.reference == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("the reference library (emission limits) was not loaded at server start: ",
                     options_.reference_error));
  }
  auto site = options_.sites->Load(id);
  if (!site.ok()) return site.status();
  auto zone = LoadZone(site->timezone);
  if (!zone.ok()) return zone.status();
  const int64_t now_hour = (req.received_ns / kHour + 1) * kHour;
  auto end = TimeParam(req, "end", *zone, now_hour);
  if (!end.ok()) return end.status();
  auto start = TimeParam(req, "start", *zone, *end - kDefaultRange);
  if (!start.ok()) return start.status();
  if (*end <= *start) {
    return absl::InvalidArgumentError("parameters start and end: end must be after start");
  }
  if (*end - *start > accounting::kCemsMaxRangeNs) {
    return absl::InvalidArgumentError(
        "parameters start and end: at most 400 days at a time (hourly values)");
  }
  auto limits = accounting::LoadEmissionLimits(options_.reference->dir(), site->sector);
  if (absl::IsNotFound(limits.status())) {  // no limits for the sector: values without them
    accounting::EmissionLimits none;
    none.sector = site->sector;
    limits = std::move(none);
  }
  if (!limits.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("site \"", id, "\" (sector \"", site->sector,
                                                      "\"): ", limits.status().message()));
  }
  auto report = accounting::ComputeEmissions(store_, id, *start, *end, *limits);
  if (!report.ok()) return report.status();
  res.body = accounting::EmissionsToJson(*report, site->timezone);
  return absl::OkStatus();
}

}  // namespace dc::server
