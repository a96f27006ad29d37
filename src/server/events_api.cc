#include "server/events_api.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "accounting/readings.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"
#include "model/site.h"
#include "nlohmann/json.hpp"
#include "server/scope.h"

namespace dc::server {
namespace {

using nlohmann::json;

constexpr size_t kMaxSwapBody = 4096;

std::string_view KindName(CounterEvent::Kind k) {
  switch (k) {
    case CounterEvent::Kind::kReset:
      return "reset";
    case CounterEvent::Kind::kRollover:
      return "rollover";
    case CounterEvent::Kind::kSwap:
      return "swap";
  }
  return "?";
}

// The site of the request and its meter `meter` (NotFound names what is missing).
struct SiteMeter {
  model::Site site;
  const model::Meter* meter = nullptr;
  absl::TimeZone zone;
};

absl::StatusOr<SiteMeter> LoadSiteMeter(model::SiteStore& sites, const HttpRequest& req) {
  const std::string& id = req.PathParam("id");
  const std::string& meter = req.PathParam("meter");
  SiteMeter out;
  auto site = sites.Load(id);
  if (!site.ok()) return site.status();
  out.site = std::move(*site);
  out.meter = out.site.FindMeter(meter);
  if (out.meter == nullptr) {
    return absl::NotFoundError(absl::StrCat("site \"", id, "\" has no meter \"", meter, "\""));
  }
  auto zone = LoadZone(out.site.timezone);
  if (!zone.ok()) return zone.status();
  out.zone = *zone;
  return out;
}

// Parameter `name` as a time in `zone`, or `fallback` when absent.
absl::StatusOr<int64_t> TimeParam(const Params& params, std::string_view name,
                                  const absl::TimeZone& zone, int64_t fallback) {
  const std::string* v = params.Get(name);
  if (v == nullptr || v->empty()) return fallback;
  auto t = ParseTime(*v, zone);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", AV(name), "=\"", *v, "\": ", t.status().message()));
  }
  return *t;
}

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// The swap in a POST body (JSON object); errors name the field.
absl::StatusOr<model::MeterSwap> ParseSwapBody(std::string_view body, const absl::TimeZone& zone) {
  if (body.size() > kMaxSwapBody) {
    return absl::InvalidArgumentError(
        absl::StrCat("swap body of ", body.size(), " bytes; at most ", kMaxSwapBody));
  }
  if (absl::Status s = CheckJsonDepth(body); !s.ok()) return s;
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "swap body: expected a JSON object {\"t\", \"old_final\", \"new_initial\", \"note\"}");
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "t" && key != "old_final" && key != "new_initial" && key != "note") {
      return absl::InvalidArgumentError(
          absl::StrCat("swap body: unknown field \"", key, "\" (t, old_final, new_initial, note)"));
    }
  }
  model::MeterSwap s;
  auto t = j.find("t");
  if (t == j.end() || !t->is_string()) {
    return absl::InvalidArgumentError("swap body: \"t\" (RFC 3339 time) is required");
  }
  auto parsed = ParseTime(t->get<std::string>(), zone);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("swap body: \"t\": ", parsed.status().message()));
  }
  s.t = *parsed;
  for (auto [key, out] : {std::pair{"old_final", &s.old_final}, {"new_initial", &s.new_initial}}) {
    auto v = j.find(key);
    if (v == j.end() || !v->is_number()) {
      return absl::InvalidArgumentError(
          absl::StrCat("swap body: \"", key, "\" (register reading, a number) is required"));
    }
    *out = v->get<double>();
  }
  if (auto n = j.find("note"); n != j.end()) {
    if (!n->is_string()) return absl::InvalidArgumentError("swap body: \"note\" must be a string");
    s.note = n->get<std::string>();
  }
  if (absl::Status c = model::CheckMeterSwap(s); !c.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("swap body: ", c.message()));
  }
  return s;
}

}  // namespace

absl::StatusOr<CounterOptions> CounterOptionsOfSeries(model::SiteStore* sites,
                                                      model::MeterEvents* events,
                                                      std::string_view key) {
  CounterOptions opt;
  if (sites == nullptr) return opt;
  auto list = sites->List();
  if (!list.ok()) return list.status();
  for (const model::SiteSummary& summary : *list) {
    auto site = sites->Load(summary.id);
    if (absl::IsNotFound(site.status())) continue;  // deleted meanwhile
    if (!site.ok()) return site.status();
    for (const model::Meter& m : site->meters) {
      if (m.kind != model::MeterKind::kCounter || accounting::MeterSeriesKey(m) != key) continue;
      opt.rollover = m.rollover;
      if (events == nullptr) return opt;
      auto swaps = events->Swaps(site->id, m.id);
      if (!swaps.ok()) return swaps.status();
      opt.swaps = model::ToCounterSwaps(*swaps);
      return opt;
    }
  }
  return opt;
}

absl::StatusOr<std::string> MeterEventsJson(Store& store, const model::Site& site,
                                            const model::Meter& m, model::MeterEvents& events,
                                            int64_t start, int64_t end) {
  auto zone = LoadZone(site.timezone);
  if (!zone.ok()) return zone.status();
  auto swaps = events.Swaps(site.id, m.id);
  if (!swaps.ok()) return swaps.status();
  const std::string series = accounting::MeterSeriesKey(m);
  json swap_list = json::array();
  for (const model::MeterSwap& x : *swaps) {
    if (x.t < start || x.t > end) continue;
    swap_list.push_back({{"t", FormatTime(x.t, *zone)},
                         {"old_final", x.old_final},
                         {"new_initial", x.new_initial},
                         {"note", x.note}});
  }
  json found = json::array();
  if (m.kind == model::MeterKind::kCounter) {
    CounterOptions opt;
    opt.rollover = m.rollover;
    opt.swaps = model::ToCounterSwaps(*swaps);
    const std::vector<int64_t> bounds = {start, end};
    auto r = store.CounterIncrease(series, bounds, opt, 0);
    if (!r.ok()) return r.status();
    for (const CounterEvent& e : r->events) {
      found.push_back({{"kind", std::string(KindName(e.kind))},
                       {"t_before", FormatTime(e.t_before, *zone)},
                       {"t_after", FormatTime(e.t_after, *zone)},
                       {"before", Number(e.before)},
                       {"after", Number(e.after)}});
    }
  }
  json out = {{"meter", m.id}, {"series", series}, {"swaps", swap_list}, {"counter_events", found}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void EventsApi::Register(Router& router) {
  auto bind = [this](absl::Status (EventsApi::*fn)(HttpRequest&, HttpResponse&)) {
    return [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); };
  };
  using enum Access;
  using enum ScopeRule;
  auto add = [&](const char* method, const char* path, const char* name, Access access, auto fn,
                 ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi, bind(fn), scope});
  };
  add("GET", "/api/v1/sites/{id}/meters/{meter}/events", "meter_events", kRead, &EventsApi::Events,
      kSitePath);
  add("POST", "/api/v1/sites/{id}/meters/{meter}/swaps", "meter_swaps", kWrite, &EventsApi::AddSwap,
      kSitePath);
  add("DELETE", "/api/v1/sites/{id}/meters/{meter}/swaps", "meter_swaps", kAdmin,
      &EventsApi::DeleteSwap, kSitePath);
}

absl::Status EventsApi::Need() const {
  if (options_.sites == nullptr) {
    return absl::UnavailableError(absl::StrCat("the site database is not available",
                                               options_.sites_error.empty() ? "" : ": ",
                                               options_.sites_error));
  }
  if (options_.meter_events == nullptr) {
    return absl::UnavailableError("the meter event store is not available");
  }
  return absl::OkStatus();
}

absl::Status EventsApi::Events(HttpRequest& req, HttpResponse& res) {
  if (absl::Status s = Need(); !s.ok()) return s;
  auto sm = LoadSiteMeter(*options_.sites, req);
  if (!sm.ok()) return sm.status();
  auto start = TimeParam(req.params, "start", sm->zone, std::numeric_limits<int64_t>::min());
  if (!start.ok()) return start.status();
  auto end = TimeParam(req.params, "end", sm->zone, std::numeric_limits<int64_t>::max());
  if (!end.ok()) return end.status();
  if (*end <= *start) return absl::InvalidArgumentError("end must be after start");
  auto body = MeterEventsJson(store_, sm->site, *sm->meter, *options_.meter_events, *start, *end);
  if (!body.ok()) return body.status();
  res.body = std::move(*body);
  return absl::OkStatus();
}

absl::Status EventsApi::AddSwap(HttpRequest& req, HttpResponse& res) {
  if (absl::Status s = Need(); !s.ok()) return s;
  auto sm = LoadSiteMeter(*options_.sites, req);
  if (!sm.ok()) return sm.status();
  if (sm->meter->kind != model::MeterKind::kCounter) {
    return absl::InvalidArgumentError(absl::StrCat("meter \"", sm->meter->id, "\" has kind \"",
                                                   AV(model::Name(sm->meter->kind)),
                                                   "\"; only a counter can be swapped"));
  }
  auto swap = ParseSwapBody(*req.body, sm->zone);
  if (!swap.ok()) return swap.status();
  if (absl::Status s = options_.meter_events->Add(sm->site.id, sm->meter->id, *swap); !s.ok()) {
    return s;
  }
  res.status = 201;
  json out = {{"meter", sm->meter->id},
              {"t", FormatTime(swap->t, sm->zone)},
              {"old_final", swap->old_final},
              {"new_initial", swap->new_initial},
              {"note", swap->note}};
  res.body = out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return absl::OkStatus();
}

absl::Status EventsApi::DeleteSwap(HttpRequest& req, HttpResponse& res) {
  if (absl::Status s = Need(); !s.ok()) return s;
  auto sm = LoadSiteMeter(*options_.sites, req);
  if (!sm.ok()) return sm.status();
  const std::string* t_text = req.params.Get("t");
  if (t_text == nullptr || t_text->empty()) {
    return absl::InvalidArgumentError("parameter t (the swap's time) is required");
  }
  auto t = TimeParam(req.params, "t", sm->zone, 0);
  if (!t.ok()) return t.status();
  if (absl::Status s = options_.meter_events->Remove(sm->site.id, sm->meter->id, *t); !s.ok()) {
    return s;
  }
  res.status = 204;
  return absl::OkStatus();
}

}  // namespace dc::server
