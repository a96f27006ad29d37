#include "server/params.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/text.h"
#include "nlohmann/json.hpp"

namespace dc::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status BadParam(std::string_view name, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("parameter ", AV(name), "=\"", AV(value), "\": ", AV(why)));
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed percent escape at offset ", i, " of \"", AV(s), "\""));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<Params> Params::Parse(std::string_view query) {
  Params p;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    auto n = PercentDecode(name);
    if (!n.ok()) return n.status();
    auto v = PercentDecode(value);
    if (!v.ok()) return v.status();
    p.items_.emplace_back(std::move(*n), std::move(*v));
  }
  return p;
}

void Params::Append(const Params& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

const std::string* Params::Get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string Params::GetOr(std::string_view name, std::string_view fallback) const {
  const std::string* v = Get(name);
  return v ? *v : std::string(fallback);
}

std::vector<std::string> Params::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

namespace {

// series=... (repeated) or the selection measurement=, field=, where=TAG=VALUE (repeated).
absl::Status ParseSeriesChoice(const Params& params, QuerySpec* spec) {
  for (const std::string& raw : params.GetAll("series")) {
    auto key = CanonicalSeriesKey(raw);
    if (!key.ok()) return BadParam("series", raw, SV(key.status().message()));
    spec->series.push_back(std::move(*key));
  }
  SeriesSelection& sel = spec->selection;
  for (const char* name : {"measurement", "field"}) {
    const std::string* v = params.Get(name);
    if (v == nullptr) continue;
    if (v->empty()) return BadParam(name, *v, "must not be empty");
    if (absl::Status s = ValidateSeriesKey(*v); !s.ok()) return BadParam(name, *v, SV(s.message()));
    (name[0] == 'm' ? sel.measurement : sel.field) = *v;
  }
  for (const std::string& w : params.GetAll("where")) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == w.size()) {
      return BadParam("where", w, "expected TAG=VALUE, e.g. where=site=a");
    }
    if (absl::Status s = ValidateSeriesKey(w); !s.ok())
      return BadParam("where", w, SV(s.message()));
    sel.tags.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  if (!spec->series.empty() && sel.any()) {
    return absl::InvalidArgumentError(
        "give either series (a list of keys) or a selection (measurement, field, where), not both");
  }
  if (spec->series.empty() && !sel.any()) {
    return absl::InvalidArgumentError(
        "parameter series is required (repeat it for several), or select series by "
        "measurement=, field= and where=TAG=VALUE");
  }
  if (spec->series.size() > kMaxQuerySeries) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many series: ", spec->series.size(), " (at most ", kMaxQuerySeries, ")"));
  }
  return absl::OkStatus();
}

absl::Status ParseRange(const Params& params, int64_t now_ns, QuerySpec* spec) {
  const std::string* start = params.Get("start");
  if (start == nullptr || start->empty()) {
    return absl::InvalidArgumentError("parameter start is required");
  }
  auto s = ParseTime(*start, spec->zone);
  if (!s.ok()) return BadParam("start", *start, SV(s.status().message()));
  spec->start = *s;
  spec->end = now_ns;
  if (const std::string* end = params.Get("end"); end && !end->empty()) {
    auto e = ParseTime(*end, spec->zone);
    if (!e.ok()) return BadParam("end", *end, SV(e.status().message()));
    spec->end = *e;
  }
  if (spec->end < spec->start) {
    return absl::InvalidArgumentError(absl::StrCat("end (", AV(params.GetOr("end", "now")),
                                                   ") is before start (", AV(*start), ")"));
  }
  return absl::OkStatus();
}

// step, agg, closed, epoch, format.
absl::Status ParseShape(const Params& params, QuerySpec* spec) {
  std::string step = params.GetOr("step", "raw");
  auto st = ParseStep(step);
  if (!st.ok()) return BadParam("step", step, SV(st.status().message()));
  spec->step = *st;
  std::string agg = params.GetOr("agg", "mean");
  auto a = ParseAgg(agg);
  if (!a.ok()) return BadParam("agg", agg, SV(a.status().message()));
  spec->agg = *a;
  std::string closed = params.GetOr("closed", "left");
  if (closed == "right") {
    spec->closed_right = true;
  } else if (closed != "left") {
    return BadParam("closed", closed, "expected left or right");
  }
  std::string epoch = params.GetOr("epoch", "");
  if (epoch == "ms") {
    spec->epoch_ms = true;
  } else if (!epoch.empty()) {
    return BadParam("epoch", epoch, "only epoch=ms is supported");
  }
  if (const std::string* f = params.Get("format")) {
    if (*f == "json") {
      spec->format = QueryFormat::kJson;
    } else if (*f == "csv") {
      spec->format = QueryFormat::kCsv;
    } else {
      return BadParam("format", *f, "expected json or csv");
    }
  }
  return absl::OkStatus();
}

absl::Status BadMember(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("body member \"", AV(name), "\": ", AV(why)));
}

// One member of the POST body as parameters.
absl::Status MemberToParams(const std::string& name, const nlohmann::json& v, Params* out) {
  static constexpr std::string_view kScalars[] = {
      "measurement", "field", "start", "end", "step", "agg", "tz", "closed", "epoch", "format"};
  if (name == "series") {
    if (!v.is_array())
      return BadMember(name, absl::StrCat("must be an array of series keys, not ", v.type_name()));
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        return BadMember(name,
                         absl::StrCat("element ", i, " must be a string, not ", v[i].type_name()));
      }
      out->Add("series", v[i].get<std::string>());
    }
    return absl::OkStatus();
  }
  if (name == "where") {
    if (!v.is_object())
      return BadMember(name,
                       absl::StrCat("must be an object {\"tag\": \"value\"}, not ", v.type_name()));
    for (const auto& [tag, value] : v.items()) {
      if (!value.is_string()) {
        return BadMember(name, absl::StrCat("tag \"", tag, "\" must have a string value, not ",
                                            value.type_name()));
      }
      if (tag.find('=') != std::string::npos) {
        return BadMember(name, absl::StrCat("tag name \"", tag, "\" contains '='"));
      }
      out->Add("where", absl::StrCat(tag, "=", value.get<std::string>()));
    }
    return absl::OkStatus();
  }
  if (std::find(std::begin(kScalars), std::end(kScalars), name) == std::end(kScalars)) {
    return BadMember(name,
                     "unknown (expected series, where, measurement, field, start, end, step, agg, "
                     "tz, closed, epoch, format)");
  }
  if (v.is_string()) {
    out->Add(name, v.get<std::string>());
  } else if ((name == "start" || name == "end") && v.is_number_integer()) {
    out->Add(name, absl::StrCat(v.get<int64_t>()));
  } else {
    return BadMember(
        name, absl::StrCat("must be a string",
                           name == "start" || name == "end" ? " or an integer (epoch ns)" : "",
                           ", not ", v.type_name()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QuerySpec> ParseQuerySpec(const Params& params, int64_t now_ns) {
  QuerySpec spec;
  if (const std::string* tz = params.Get("tz"); tz && !tz->empty()) {
    auto zone = LoadZone(*tz);
    if (!zone.ok()) return BadParam("tz", *tz, SV(zone.status().message()));
    spec.zone = *zone;
  }
  if (absl::Status s = ParseSeriesChoice(params, &spec); !s.ok()) return s;
  if (absl::Status s = ParseRange(params, now_ns, &spec); !s.ok()) return s;
  if (absl::Status s = ParseShape(params, &spec); !s.ok()) return s;
  return spec;
}

absl::StatusOr<QuerySpec> ParseQueryBody(std::string_view body, int64_t now_ns) {
  if (absl::Status s = CheckJsonDepth(body); !s.ok()) return s;
  nlohmann::json in = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) {
    return absl::InvalidArgumentError(
        "body must be a JSON object {\"series\": [KEY, ...] or \"where\": {TAG: VALUE}, "
        "\"start\": T, ...} (Content-Type: application/json)");
  }
  Params params;
  for (const auto& [name, v] : in.items()) {
    if (absl::Status s = MemberToParams(name, v, &params); !s.ok()) return s;
  }
  return ParseQuerySpec(params, now_ns);
}

bool SelectionMatches(const SeriesSelection& sel, std::string_view key) {
  auto parts = ParseSeriesKey(key);
  if (!parts.ok()) return false;
  if (!sel.measurement.empty() && parts->measurement != sel.measurement) return false;
  if (!sel.field.empty() && parts->field != sel.field) return false;
  for (const auto& want : sel.tags) {
    if (std::find(parts->tags.begin(), parts->tags.end(), want) == parts->tags.end()) return false;
  }
  return true;
}

absl::StatusOr<int64_t> ParseDurationNs(std::string_view text) {
  if (text == "0") return 0;
  struct Unit {
    std::string_view suffix;
    int64_t ns;
  };
  static constexpr Unit kUnits[] = {{"ms", 1'000'000},      {"s", kNanosPerSecond},
                                    {"m", kNanosPerMinute}, {"h", kNanosPerHour},
                                    {"d", kNanosPerDay},    {"w", 7 * kNanosPerDay}};
  for (const Unit& u : kUnits) {
    if (text.size() <= u.suffix.size() || !text.ends_with(u.suffix)) continue;
    std::string_view num = text.substr(0, text.size() - u.suffix.size());
    int64_t n = 0;
    if (!absl::SimpleAtoi(AV(num), &n) || n < 0) break;
    if (n > INT64_MAX / u.ns) {
      return absl::InvalidArgumentError(absl::StrCat("duration \"", AV(text), "\" is too large"));
    }
    return n * u.ns;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid duration \"", AV(text), "\": expected <n>ms, <n>s, <n>m, <n>h, <n>d or <n>w"));
}

}  // namespace dc::server
