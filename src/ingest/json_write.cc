#include "ingest/json_write.h"

#include <cmath>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"
#include "nlohmann/json.hpp"

namespace dc {
namespace {

using json = nlohmann::json;

class ElementParser {
 public:
  explicit ElementParser(PointBatch* out) : out_(out) {}

  // Appends the point of `el`, or returns why not.
  absl::Status Parse(const json& el) {
    if (!el.is_object()) return Error("must be an object {\"series\", \"t\", \"v\"}");
    const json* series = nullptr;
    const json* t = nullptr;
    const json* v = nullptr;
    const json* q = nullptr;
    for (const auto& [k, val] : el.items()) {
      if (k == "series") {
        series = &val;
      } else if (k == "t") {
        t = &val;
      } else if (k == "v") {
        v = &val;
      } else if (k == "q") {
        q = &val;
      } else {
        return Error(absl::StrCat("unknown member \"", AV(k), "\" (expected series, t, v, q)"));
      }
    }
    if (series == nullptr) return Error("missing \"series\"");
    if (t == nullptr) return Error("missing \"t\"");
    if (v == nullptr) return Error("missing \"v\"");
    auto id = SeriesId(*series);
    if (!id.ok()) return id.status();
    auto ts = Time(*t);
    if (!ts.ok()) return ts.status();
    auto value = Value(*v);
    if (!value.ok()) return value.status();
    Quality quality = Quality::kGood;
    if (q != nullptr) {
      if (!q->is_number_integer() || q->get<int64_t>() < 0 || q->get<int64_t>() > 2) {
        return Error("\"q\" must be 0 (good), 1 (uncertain) or 2 (bad)");
      }
      quality = static_cast<Quality>(q->get<int64_t>());
    }
    out_->Add(*id, *ts, *value, quality);
    return absl::OkStatus();
  }

 private:
  static absl::Status Error(std::string_view why) { return absl::InvalidArgumentError(AV(why)); }

  absl::StatusOr<uint32_t> SeriesId(const json& s) {
    if (!s.is_string()) return Error("\"series\" must be a string");
    const auto& raw = s.get_ref<const std::string&>();
    if (auto it = ids_.find(raw); it != ids_.end()) return it->second;
    auto key = CanonicalSeriesKey(raw);
    if (!key.ok()) return Error(absl::StrCat("\"series\": ", key.status().message()));
    uint32_t id = out_->Series(*key);
    ids_.emplace(raw, id);
    return id;
  }

  static absl::StatusOr<int64_t> Time(const json& t) {
    if (t.is_number_integer()) {
      if (t.is_number_unsigned() &&
          t.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Error(absl::StrCat("\"t\": ", t.get<uint64_t>(), " is ", kTimeRangeText));
      }
      return t.get<int64_t>();
    }
    if (t.is_string()) {
      auto parsed = ParseTime(t.get_ref<const std::string&>(), absl::UTCTimeZone());
      if (!parsed.ok()) return Error(absl::StrCat("\"t\": ", parsed.status().message()));
      return *parsed;
    }
    return Error("\"t\" must be an integer of epoch nanoseconds or an RFC 3339 string");
  }

  static absl::StatusOr<double> Value(const json& v) {
    if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
    if (!v.is_number()) return Error("\"v\" must be a number");
    double d = v.get<double>();
    if (!std::isfinite(d)) return Error("\"v\" out of range (not a finite double)");
    return d;
  }

  PointBatch* out_;
  absl::flat_hash_map<std::string, uint32_t> ids_;  // series as written → batch index
};

}  // namespace

std::string JsonWriteError::ToString() const {
  return absl::StrCat("element ", index, ": ", message);
}

absl::StatusOr<JsonWriteResult> ParseJsonWrite(std::string_view body, const JsonWriteOptions& opt,
                                               PointBatch* out) {
  if (absl::Status s = CheckJsonDepth(body); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", s.message()));
  }
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
  if (doc.is_object()) doc = json::array({std::move(doc)});
  if (!doc.is_array()) {
    return absl::InvalidArgumentError(
        "JSON write body must be an array of {\"series\", \"t\", \"v\"} objects");
  }
  JsonWriteResult res;
  ElementParser parser(out);
  for (const json& el : doc) {
    absl::Status st = parser.Parse(el);
    if (st.ok()) {
      ++res.points;
    } else {
      ++res.error_count;
      if (res.errors.size() < opt.max_errors) {
        res.errors.push_back(JsonWriteError{res.elements, std::string(SV(st.message()))});
      }
    }
    ++res.elements;
  }
  return res;
}

}  // namespace dc
