#include "ingest/mqtt_mapping.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"
#include "ingest/line_protocol.h"
#include "nlohmann/json.hpp"

namespace dc::mqtt {
namespace {

using nlohmann::json;
using Tags = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxPayload = 1 << 20;

std::string Key(const Mapping& m, const Tags& topic_tags, std::string_view field) {
  SeriesKeyParts parts;
  parts.measurement = m.measurement;
  parts.tags = m.tags;
  for (const auto& t : topic_tags) {
    bool present = false;
    for (const auto& [k, v] : parts.tags) present |= k == t.first;
    if (!present) parts.tags.push_back(t);
  }
  std::sort(parts.tags.begin(), parts.tags.end());
  parts.field = std::string(field);
  return FormatSeriesKey(parts);
}

// "a.b[2].c" in `doc`, or nullptr.
const json* Find(const json& doc, std::string_view path) {
  const json* cur = &doc;
  size_t pos = 0;
  while (pos < path.size() && cur != nullptr) {
    if (path[pos] == '.') {
      ++pos;
      continue;
    }
    if (path[pos] == '[') {
      size_t close = path.find(']', pos);
      size_t index = 0;
      if (close == std::string_view::npos ||
          !absl::SimpleAtoi(AV(path.substr(pos + 1, close - pos - 1)), &index) ||
          !cur->is_array() || index >= cur->size()) {
        return nullptr;
      }
      cur = &(*cur)[index];
      pos = close + 1;
      continue;
    }
    size_t end = path.find_first_of(".[", pos);
    if (end == std::string_view::npos) end = path.size();
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(std::string(path.substr(pos, end - pos)));
    if (it == cur->end()) return nullptr;
    cur = &*it;
    pos = end;
  }
  return cur;
}

// Epoch number in `format` (auto: by magnitude — s, ms, us or ns) → ns.
absl::StatusOr<int64_t> EpochNanos(double v, TimeFormat format) {
  double a = std::fabs(v);
  double scale = 1;
  switch (format) {
    case TimeFormat::kEpochS:
      scale = 1e9;
      break;
    case TimeFormat::kEpochMs:
      scale = 1e6;
      break;
    case TimeFormat::kEpochUs:
      scale = 1e3;
      break;
    case TimeFormat::kEpochNs:
      break;
    default:
      scale = a < 1e11 ? 1e9 : a < 1e14 ? 1e6 : a < 1e17 ? 1e3 : 1;
  }
  double ns = v * scale;
  if (!std::isfinite(ns) || ns <= -9.2e18 || ns >= 9.2e18) {
    return absl::InvalidArgumentError(absl::StrCat("timestamp ", v, ": ", kTimeRangeText));
  }
  return static_cast<int64_t>(std::llround(ns));
}

absl::StatusOr<int64_t> RecordTime(const Mapping& m, const json& record, int64_t now_ns) {
  if (m.time_path.empty()) return now_ns;
  const json* t = Find(record, m.time_path);
  if (t == nullptr) return absl::InvalidArgumentError(absl::StrCat("no \"", m.time_path, "\""));
  if (t->is_number()) {
    if (m.time_format == TimeFormat::kRfc3339) {
      return absl::InvalidArgumentError(absl::StrCat("\"", m.time_path,
                                                     "\" is a number, "
                                                     "expected an RFC 3339 string"));
    }
    return EpochNanos(t->get<double>(), m.time_format);
  }
  if (t->is_string()) {
    const std::string& s = t->get_ref<const std::string&>();
    if (m.time_format != TimeFormat::kAuto && m.time_format != TimeFormat::kRfc3339) {
      double v = 0;
      if (!absl::SimpleAtod(AV(s), &v)) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", m.time_path, "\" = \"", s.substr(0, 64), "\" is not a number"));
      }
      return EpochNanos(v, m.time_format);
    }
    return ParseTime(s, m.zone);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", m.time_path, "\" must be a number or a string"));
}

bool JsonNumber(const json& v, double* out) {
  if (v.is_number()) {
    *out = v.get<double>();
  } else if (v.is_boolean()) {
    *out = v.get<bool>() ? 1 : 0;
  } else if (v.is_string()) {
    if (!absl::SimpleAtod(AV(v.get_ref<const std::string&>()), out)) return false;
  } else {
    return false;
  }
  return std::isfinite(*out);
}

void MapRecord(const Mapping& m, const Tags& tags, const json& record, int64_t now_ns,
               std::string_view where, PointBatch* out, MapResult* r) {
  auto t = RecordTime(m, record, now_ns);
  if (!t.ok()) {
    r->errors.push_back(absl::StrCat(AV(where), ": ", t.status().message()));
    return;
  }
  for (const JsonValue& jv : m.values) {
    const json* v = Find(record, jv.path);
    double d = 0;
    if (v == nullptr || v->is_null()) continue;  // a record need not carry every value
    if (!JsonNumber(*v, &d)) {
      r->errors.push_back(absl::StrCat(AV(where), ": \"", jv.path, "\" is not a finite number"));
      continue;
    }
    out->Add(Key(m, tags, jv.field), *t, d);
    ++r->points;
  }
}

void MapJson(const Mapping& m, const Tags& tags, std::string_view payload, int64_t now_ns,
             PointBatch* out, MapResult* r) {
  if (absl::Status s = CheckJsonDepth(payload); !s.ok()) {
    r->errors.push_back(std::string(s.message()));
    return;
  }
  json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    r->errors.push_back("payload is not JSON");
    return;
  }
  const json* records = m.records_path.empty() ? &doc : Find(doc, m.records_path);
  if (records == nullptr) {
    r->errors.push_back(absl::StrCat("no \"", m.records_path, "\" in the payload"));
    return;
  }
  if (!records->is_array()) return MapRecord(m, tags, *records, now_ns, "payload", out, r);
  for (size_t i = 0; i < records->size(); ++i) {
    MapRecord(m, tags, (*records)[i], now_ns, absl::StrCat("record ", i), out, r);
  }
}

void MapLineProtocol(const Mapping& m, const Tags& tags, std::string_view payload, int64_t now_ns,
                     PointBatch* out, MapResult* r) {
  PointBatch lp;
  LpOptions opt;
  opt.default_time_ns = now_ns;
  opt.max_errors = 10;
  LpResult res = ParseLineProtocol(payload, opt, &lp);
  for (const LineError& e : res.errors) r->errors.push_back(e.ToString());
  Tags extra = m.tags;
  extra.insert(extra.end(), tags.begin(), tags.end());
  for (const PointBatch::Row& row : lp.rows()) {
    const std::string& key = lp.keys()[row.series];
    auto parts = ParseSeriesKey(key);
    if (!parts.ok()) continue;  // keys from the parser are canonical
    for (const auto& t : extra) {
      bool present = false;
      for (const auto& [k, v] : parts->tags) present |= k == t.first;
      if (!present) parts->tags.push_back(t);
    }
    std::sort(parts->tags.begin(), parts->tags.end());
    out->Add(FormatSeriesKey(*parts), row.t, row.v, row.q);
    ++r->points;
  }
}

}  // namespace

absl::StatusOr<TopicTemplate> TopicTemplate::Parse(std::string_view text) {
  TopicTemplate t;
  if (text.empty()) return absl::InvalidArgumentError("empty topic template");
  std::string_view match = text;
  if (absl::StartsWith(AV(text), "$share/")) {
    size_t slash = text.find('/', 7);
    if (slash == std::string_view::npos || slash == 7) {
      return absl::InvalidArgumentError(absl::StrCat(
          "topic template \"", AV(text), "\": $share/<group>/<filter> needs a group and filter"));
    }
    match = text.substr(slash + 1);
    t.filter_ = std::string(text.substr(0, slash + 1));
  }
  std::vector<std::string> levels = absl::StrSplit(AV(match), '/');
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::string& l = levels[i];
    auto err = [&](std::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("topic template \"", AV(text), "\", level ",
                                                     i + 1, " \"", l, "\": ", AV(why)));
    };
    Level level{Level::kLiteral, l};
    if (l == "#") {
      if (i + 1 != levels.size()) return err("# must be the last level");
      level.kind = Level::kHash;
    } else if (l == "+") {
      level.kind = Level::kPlus;
    } else if (l.size() >= 2 && l.front() == '{' && l.back() == '}') {
      std::string name = l.substr(1, l.size() - 2);
      if (name.empty()) return err("empty tag name");
      if (!CheckText("tag name", name, 64).ok() || name.find_first_of("{}+#, =\\") != name.npos) {
        return err("tag names are letters, digits, '_' and '-'");
      }
      level.kind = Level::kTag;
      level.text = name == "meter" ? "id" : name;
    } else if (l.find_first_of("{}+#") != std::string::npos) {
      return err("wildcards and {tags} must fill the whole level");
    }
    absl::StrAppend(&t.filter_, i ? "/" : "", level.kind == Level::kTag ? "+" : l);
    t.levels_.push_back(std::move(level));
  }
  return t;
}

bool TopicTemplate::Match(std::string_view topic, Tags* tags) const {
  tags->clear();
  std::vector<absl::string_view> parts = absl::StrSplit(AV(topic), '/');
  size_t i = 0;
  for (; i < levels_.size(); ++i) {
    const Level& l = levels_[i];
    if (l.kind == Level::kHash) return true;
    if (i >= parts.size()) return false;
    if (l.kind == Level::kLiteral && SV(parts[i]) != l.text) return false;
    if (l.kind == Level::kTag) {
      if (parts[i].empty()) return false;
      tags->emplace_back(l.text, std::string(parts[i]));
    }
  }
  return i == parts.size();
}

absl::StatusOr<PayloadFormat> ParsePayloadFormat(std::string_view text) {
  if (text == "number") return PayloadFormat::kNumber;
  if (text == "json") return PayloadFormat::kJson;
  if (text == "lp" || text == "line_protocol") return PayloadFormat::kLineProtocol;
  return absl::InvalidArgumentError(
      absl::StrCat("payload format \"", AV(text), "\": expected number, json or lp"));
}

absl::StatusOr<TimeFormat> ParseTimeFormat(std::string_view text) {
  static constexpr std::pair<std::string_view, TimeFormat> kNames[] = {
      {"auto", TimeFormat::kAuto},  {"s", TimeFormat::kEpochS},
      {"ms", TimeFormat::kEpochMs}, {"us", TimeFormat::kEpochUs},
      {"ns", TimeFormat::kEpochNs}, {"rfc3339", TimeFormat::kRfc3339}};
  for (const auto& [name, f] : kNames) {
    if (text == name) return f;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("time format \"", AV(text), "\": expected auto, s, ms, us, ns or rfc3339"));
}

MapResult MapMessage(const Mapping& mapping, std::string_view topic, std::string_view payload,
                     int64_t now_ns, PointBatch* out) {
  MapResult r;
  Tags tags;
  if (!mapping.topic.Match(topic, &tags)) {
    r.errors.push_back(absl::StrCat("topic does not match ", mapping.topic.filter()));
    return r;
  }
  for (const auto& [k, v] : tags) {
    if (absl::Status s = CheckText(absl::StrCat("topic level for {", k, "}"), v, 256); !s.ok()) {
      r.errors.push_back(std::string(s.message()));
      return r;
    }
    if (v.find('\\') != std::string::npos) {
      // A backslash before ',', ' ' or '=' cannot be spelled in a series key (line protocol
      // escapes), so such levels are refused rather than stored under a key that reads back
      // differently.
      r.errors.push_back(absl::StrCat("topic level for {", k, "} contains a backslash"));
      return r;
    }
  }
  if (payload.size() > kMaxPayload) {
    r.errors.push_back(
        absl::StrCat("payload of ", payload.size(), " bytes over the limit of ", kMaxPayload));
    return r;
  }
  switch (mapping.format) {
    case PayloadFormat::kNumber: {
      double v = 0;
      std::string_view s = SV(absl::StripAsciiWhitespace(AV(payload)));
      if (!absl::SimpleAtod(AV(s), &v) || !std::isfinite(v)) {
        r.errors.push_back(
            absl::StrCat("payload \"", AV(s.substr(0, 64)), "\" is not a finite number"));
        break;
      }
      out->Add(Key(mapping, tags, mapping.field), now_ns, v);
      ++r.points;
      break;
    }
    case PayloadFormat::kJson:
      MapJson(mapping, tags, payload, now_ns, out, &r);
      break;
    case PayloadFormat::kLineProtocol:
      MapLineProtocol(mapping, tags, payload, now_ns, out, &r);
      break;
  }
  return r;
}

}  // namespace dc::mqtt
