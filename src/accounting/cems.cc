#include "accounting/cems.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "accounting/csv.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/time.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

using nlohmann::json;

constexpr int64_t kHour = 3600LL * 1'000'000'000;
constexpr char kLimitsFile[] = "cn_ultra_low_emission_limits.csv";

// Pollutants and their HJ 212 codes, 2017 first, then 2005.
struct Pollutant {
  const char* key;
  std::vector<std::string> codes;
};
const std::vector<Pollutant>& Pollutants() {
  static const std::vector<Pollutant> kList = {
      {"nox", {"a21002", "03"}}, {"so2", {"a21026", "02"}}, {"pm", {"a34013", "01"}}};
  return kList;
}
const std::vector<std::string> kO2Codes = {"a19001", "S01"};

int64_t HourOf(int64_t t) { return t / kHour * kHour - (t % kHour < 0 ? kHour : 0); }

std::string Trim(std::string_view s) { return std::string(absl::StripAsciiWhitespace(AV(s))); }

std::optional<double> Number(std::string_view text) {
  double v;
  std::string s = Trim(text);
  if (s.empty() || !absl::SimpleAtod(s, &v) || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The hourly mean of `series` over [start, end): hour -> value. From the store's hourly
// aggregate (block statistics where a block lies within an hour; failed polls, NaN, skipped).
std::map<int64_t, double> Hourly(Store& store, const std::string& series, int64_t start,
                                 int64_t end) {
  std::map<int64_t, double> out;
  AggregateRequest req;
  req.series = series;
  req.start = start;
  req.end = end;
  req.step = Step{Step::Unit::kFixed, kHour};
  req.agg = Agg::kMean;
  auto buckets = store.Aggregate(req);
  if (!buckets.ok()) return out;
  for (const Bucket& b : *buckets) out.emplace_hint(out.end(), b.t, b.v);
  return out;
}

// Hourly values: the station's hourly record (field `hourly`) where there is one, else the
// mean of its real-time values (field `realtime`).
std::map<int64_t, double> HourlyOf(Store& store, const std::string& prefix, const char* hourly,
                                   const char* realtime, int64_t start, int64_t end) {
  std::map<int64_t, double> out = Hourly(store, absl::StrCat(prefix, " ", hourly), start, end);
  for (const auto& [h, v] : Hourly(store, absl::StrCat(prefix, " ", realtime), start, end)) {
    out.emplace(h, v);
  }
  return out;
}

// The worst flag of each hour: any letter other than N wins; bad flags (F, D, B) over others.
std::map<int64_t, char> HourlyFlags(Store& store, const std::string& series, int64_t start,
                                    int64_t end) {
  std::map<int64_t, char> out;
  auto pts = store.QueryRaw(series, start, end);
  if (!pts.ok()) return out;
  auto rank = [](char c) { return c == 'N' ? 0 : (c == 'F' || c == 'D' || c == 'B') ? 2 : 1; };
  for (const Sample& s : *pts) {
    char c = s.v >= 32 && s.v < 127 ? static_cast<char>(s.v) : '?';
    auto [it, fresh] = out.emplace(HourOf(s.t), c);
    if (!fresh && rank(c) > rank(it->second)) it->second = c;
  }
  return out;
}

std::string Prefix(const std::string& code, const std::string& mn, const std::string& site) {
  SeriesKeyParts p{"cems", {{"code", code}, {"mn", mn}, {"site", site}}, "x"};
  std::string key = FormatSeriesKey(p);
  return key.substr(0, key.rfind(' '));
}

CemsPollutant ComputePollutant(Store& store, const Pollutant& pol, const std::string& code,
                               const std::string& mn, const std::string& site,
                               const std::map<int64_t, double>& o2, int64_t start, int64_t end,
                               const EmissionLimits& limits) {
  CemsPollutant p;
  p.key = pol.key;
  p.code = code;
  p.limit = p.key == "nox" ? limits.nox : p.key == "so2" ? limits.so2 : limits.pm;
  const std::string prefix = Prefix(code, mn, site);
  auto measured = HourlyOf(store, prefix, "avg", "rtd", start, end);
  auto station = HourlyOf(store, prefix, "zsavg", "zsrtd", start, end);
  auto flags = HourlyFlags(store, prefix + " flag", start, end);
  std::set<int64_t> hours;
  for (const auto* m : {&measured, &station}) {
    for (const auto& [h, v] : *m) hours.insert(h);
  }
  double sum = 0;
  int n = 0;
  for (int64_t h : hours) {
    CemsHour ch;
    ch.t = h;
    if (auto it = measured.find(h); it != measured.end()) ch.measured = it->second;
    if (auto it = o2.find(h); it != o2.end()) ch.o2 = it->second;
    if (auto it = flags.find(h); it != flags.end()) ch.flag = it->second;
    if (auto it = station.find(h); it != station.end()) {
      ch.normalised = it->second;
      ch.from_station = true;
      ++p.station_normalised_hours;
    } else if (ch.measured && ch.o2 && *ch.o2 < 21 && limits.ref_o2) {
      // GB 4915-2013 (and GB 13223, GB 28662): rho = rho' x (21 - O2_ref) / (21 - O2').
      ch.normalised = *ch.measured * (21 - *limits.ref_o2) / (21 - *ch.o2);
      ++p.computed_normalised_hours;
    }
    if (ch.flag != 'N') ++p.flagged_hours[ch.flag];
    if (ch.flag == 'N' && ch.normalised) {
      ++p.valid_hours;
      ch.exceeds = p.limit && *ch.normalised > *p.limit;
      if (ch.exceeds) ++p.exceedance_hours;
      sum += *ch.normalised;
      ++n;
      if (!p.max_normalised || *ch.normalised > *p.max_normalised) p.max_normalised = ch.normalised;
    }
    p.hours.push_back(ch);
  }
  if (n > 0) p.mean_normalised = sum / n;
  return p;
}

// The site's stations and the codes each sent: mn -> codes.
std::map<std::string, std::set<std::string>> Stations(Store& store, const std::string& site) {
  std::map<std::string, std::set<std::string>> out;
  for (const std::string& key : store.ListSeries("cems,")) {
    auto parts = ParseSeriesKey(key);
    if (!parts.ok() || parts->measurement != "cems") continue;
    std::string code, mn, s;
    for (const auto& [k, v] : parts->tags) {
      if (k == "code") code = v;
      if (k == "mn") mn = v;
      if (k == "site") s = v;
    }
    if (s == site && !mn.empty() && !code.empty()) out[mn].insert(code);
  }
  return out;
}

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

constexpr const char* kHoursPlaceholder = "\x01hours\x01";

// A number as JSON (shortest round-trip form, as nlohmann writes it), or null.
void AppendNumber(const std::optional<double>& v, std::string* out) {
  if (!v || !std::isfinite(*v)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *v);
  out->append(buf, ec == std::errc() ? end : buf);
  if (ec == std::errc() && std::string_view(buf, end).find_first_of(".e") == std::string::npos) {
    out->append(".0");
  }
}

// [{"t":..., "measured":..., "o2":..., "normalised":..., "normalised_by":..., "flag":...,
//   "exceeds":...}, ...]: the hours of one pollutant.
void AppendHours(const std::vector<CemsHour>& hours, const absl::TimeZone& tz, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < hours.size(); ++i) {
    const CemsHour& h = hours[i];
    absl::StrAppend(out, i ? "," : "", "{\"exceeds\":", h.exceeds ? "true" : "false",
                    ",\"flag\":", json(std::string(1, h.flag)).dump(), ",\"measured\":");
    AppendNumber(h.measured, out);
    out->append(",\"normalised\":");
    AppendNumber(h.normalised, out);
    absl::StrAppend(out, ",\"normalised_by\":\"",
                    h.normalised ? (h.from_station ? "station" : "computed") : "none",
                    "\",\"o2\":");
    AppendNumber(h.o2, out);
    absl::StrAppend(out, ",\"t\":\"", FormatTime(h.t, tz), "\"}");
  }
  out->push_back(']');
}

}  // namespace

absl::StatusOr<EmissionLimits> LoadEmissionLimits(const std::string& reference_dir,
                                                  std::string_view sector) {
  const std::string path = (std::filesystem::path(reference_dir) / kLimitsFile).string();
  auto t = CsvTable::ReadFile(path);
  if (!t.ok()) return t.status();
  for (const char* col : {"sector", "ref_O2_pct", "PM_mg_m3", "SO2_mg_m3", "NOx_mg_m3"}) {
    if (t->Column(col) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": missing column \"", col, "\""));
    }
  }
  for (const CsvRow& r : t->rows()) {
    if (Trim(t->Get(r, "sector")) != sector) continue;
    EmissionLimits l;
    l.sector = std::string(sector);
    l.table = kLimitsFile;
    l.source_unit = Trim(t->Get(r, "source_unit"));
    l.policy = Trim(t->Get(r, "policy"));
    l.confidence = Trim(t->Get(r, "confidence"));
    l.averaging = Trim(t->Get(r, "averaging"));
    auto o2 = Number(t->Get(r, "ref_O2_pct"));
    if (!o2 || *o2 < 0 || *o2 >= 21) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", r.line, ": ref_O2_pct must be a number in [0, 21)"));
    }
    l.ref_o2 = *o2;
    l.pm = Number(t->Get(r, "PM_mg_m3"));
    l.so2 = Number(t->Get(r, "SO2_mg_m3"));
    l.nox = Number(t->Get(r, "NOx_mg_m3"));
    return l;
  }
  return absl::NotFoundError(
      absl::StrCat(path, ": no ultra-low emission limits for sector \"", AV(sector), "\""));
}

absl::StatusOr<EmissionsReport> ComputeEmissions(Store& store, const std::string& site,
                                                 int64_t start, int64_t end,
                                                 const EmissionLimits& limits) {
  if (end <= start) return absl::InvalidArgumentError("emissions: end must be after start");
  if (end - start > kCemsMaxRangeNs) {
    return absl::InvalidArgumentError("emissions: at most 400 days at a time");
  }
  EmissionsReport r{site, start, end, limits, {}};
  for (const auto& [mn, codes] : Stations(store, site)) {
    CemsStack stack{mn, {}};
    std::map<int64_t, double> o2;
    for (const std::string& c : kO2Codes) {
      if (codes.count(c)) {
        o2 = HourlyOf(store, Prefix(c, mn, site), "avg", "rtd", start, end);
        break;
      }
    }
    for (const Pollutant& pol : Pollutants()) {
      for (const std::string& c : pol.codes) {
        if (!codes.count(c)) continue;
        stack.pollutants.push_back(
            ComputePollutant(store, pol, c, mn, site, o2, start, end, limits));
        break;
      }
    }
    if (!stack.pollutants.empty()) r.stacks.push_back(std::move(stack));
  }
  return r;
}

std::string EmissionsToJson(const EmissionsReport& r, const std::string& timezone) {
  auto zone = LoadZone(timezone);
  absl::TimeZone tz = zone.ok() ? *zone : absl::UTCTimeZone();
  const EmissionLimits& l = r.limits;
  json out = {{"site", r.site},
              {"start", FormatTime(r.start, tz)},
              {"end", FormatTime(r.end, tz)},
              {"reference_o2_pct", Opt(l.ref_o2)},
              {"normalisation", "C_ref = C_meas x (21 - O2_ref) / (21 - O2_meas) (GB 4915-2013)"},
              {"limits",
               {{"sector", l.sector},
                {"source_unit", l.source_unit},
                {"nox_mg_m3", Opt(l.nox)},
                {"so2_mg_m3", Opt(l.so2)},
                {"pm_mg_m3", Opt(l.pm)},
                {"averaging", l.averaging},
                {"policy", l.policy},
                {"confidence", l.confidence},
                {"table", l.table}}},
              {"stacks", json::array()}};
  for (const CemsStack& s : r.stacks) {
    json stack = {{"mn", s.mn}, {"pollutants", json::array()}};
    for (const CemsPollutant& p : s.pollutants) {
      json flags = json::object();
      for (const auto& [c, n] : p.flagged_hours) flags[std::string(1, c)] = n;
      stack["pollutants"].push_back({{"pollutant", p.key},
                                     {"code", p.code},
                                     {"unit", "mg/m3"},
                                     {"limit_mg_m3", Opt(p.limit)},
                                     {"hours_total", p.hours.size()},
                                     {"valid_hours", p.valid_hours},
                                     {"exceedance_hours", p.exceedance_hours},
                                     {"normalised_by_station_hours", p.station_normalised_hours},
                                     {"normalised_computed_hours", p.computed_normalised_hours},
                                     {"flagged_hours", flags},
                                     {"max_mg_m3", Opt(p.max_normalised)},
                                     {"mean_mg_m3", Opt(p.mean_normalised)},
                                     {"hours", kHoursPlaceholder}});
    }
    out["stacks"].push_back(stack);
  }
  // The hours (thousands per pollutant over a quarter) are written directly: building them as
  // JSON objects took most of a 90-day request's time.
  std::string text = out.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string result;
  result.reserve(text.size() + 130 * 3 * 2200);
  size_t from = 0;
  const std::string marker = json(kHoursPlaceholder).dump();
  for (const CemsStack& st : r.stacks) {
    for (const CemsPollutant& p : st.pollutants) {
      size_t at = text.find(marker, from);
      if (at == std::string::npos) break;
      result.append(text, from, at - from);
      AppendHours(p.hours, tz, &result);
      from = at + marker.size();
    }
  }
  result.append(text, from, std::string::npos);
  result += "\n";
  return result;
}

}  // namespace dc::accounting
