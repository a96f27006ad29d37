// MQTT messages → points: topic templates (topic levels become tags) and payload mappers (a
// plain number, JSON with configured paths, or line protocol). Pure functions; the subscriber
// is built on these. Configuration and examples: docs/protocols/mqtt.md.
//
//   topic template  plant/{site}/{meter}/#     subscribes to plant/+/+/#
//   message         plant/cement-a/grid-in/energy   {"ts": 1740758100, "kwh": 10234.5}
//   point           meter,id=grid-in,site=cement-a value = 10234.5 at 2025-02-28T16:35:00Z
#ifndef DC_INGEST_MQTT_MAPPING_H_
#define DC_INGEST_MQTT_MAPPING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sample.h"

namespace dc::mqtt {

// A topic filter whose levels may name tags: "{name}" matches one level and makes it the tag
// `name` (tag `id` is spelled {meter} or {id}: see TopicTemplate::Parse), "+" matches one level,
// a final "#" any number of levels. Other levels are literal. `$share/group/` prefixes are
// kept for the subscription and ignored for matching.
class TopicTemplate {
 public:
  // Errors name the level: "#" not last, "{}" empty, "{a" unclosed, wildcards mixed into a level.
  static absl::StatusOr<TopicTemplate> Parse(std::string_view text);

  // The MQTT subscription filter: {name} levels become "+" ("$share/g/" kept).
  const std::string& filter() const { return filter_; }
  // True when `topic` matches; then *tags holds the {name} levels (name → level text).
  bool Match(std::string_view topic, std::vector<std::pair<std::string, std::string>>* tags) const;

 private:
  struct Level {
    enum Kind { kLiteral, kTag, kPlus, kHash } kind;
    std::string text;  // literal text or tag name
  };
  std::vector<Level> levels_;
  std::string filter_;
};

enum class PayloadFormat { kNumber, kJson, kLineProtocol };
enum class TimeFormat { kAuto, kEpochS, kEpochMs, kEpochUs, kEpochNs, kRfc3339 };

// "number" | "json" | "lp"; "auto" | "s" | "ms" | "us" | "ns" | "rfc3339".
absl::StatusOr<PayloadFormat> ParsePayloadFormat(std::string_view text);
absl::StatusOr<TimeFormat> ParseTimeFormat(std::string_view text);

// One value taken from a JSON payload: `path` ("kwh", "data.values[0]", "" = the whole
// document) becomes the series field `field`.
struct JsonValue {
  std::string path;
  std::string field = "value";
};

struct Mapping {
  TopicTemplate topic;
  PayloadFormat format = PayloadFormat::kNumber;
  std::string measurement = "meter";
  std::string field = "value";                            // field of a plain-number payload
  std::vector<std::pair<std::string, std::string>> tags;  // added to every key
  // JSON: where the records are ("" = the document is one record, or an array of records),
  // which values each record holds, and its timestamp.
  std::string records_path;
  std::vector<JsonValue> values;
  std::string time_path;  // "" = the arrival time
  TimeFormat time_format = TimeFormat::kAuto;
  absl::TimeZone zone;  // of RFC 3339 times without an offset
};

struct MapResult {
  size_t points = 0;
  std::vector<std::string> errors;  // why a value or record was skipped (the rest is kept)
};

// Maps one message to points appended to *out. `now_ns` stamps values without a timestamp.
// Never fails on any topic or payload: problems are reported in MapResult::errors.
// REQUIRES: the topic matched mapping.topic (tags from it are added to every key).
MapResult MapMessage(const Mapping& mapping, std::string_view topic, std::string_view payload,
                     int64_t now_ns, PointBatch* out);

}  // namespace dc::mqtt

#endif  // DC_INGEST_MQTT_MAPPING_H_
