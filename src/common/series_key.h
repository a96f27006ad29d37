// Series keys: InfluxDB line protocol without the value, tags sorted by key.
//   meter,id=grid-in,site=a value
// The same spelling is used by site files, the API, the CLI and the docs.
#ifndef DC_COMMON_SERIES_KEY_H_
#define DC_COMMON_SERIES_KEY_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dc {

struct SeriesKeyParts {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // unescaped
  std::string field;                                      // unescaped
};

// Parses a key as written by a person: tags in any order, field optional (default "value").
// Returns an error naming the position for empty names, dangling escapes or a tag without '='.
absl::StatusOr<SeriesKeyParts> ParseSeriesKey(std::string_view key);

// Writes the canonical key: tags sorted by key (then value), escaping per line protocol.
std::string FormatSeriesKey(const SeriesKeyParts& parts);

// ParseSeriesKey + FormatSeriesKey.
absl::StatusOr<std::string> CanonicalSeriesKey(std::string_view key);

// Escapes per line protocol: measurement escapes ',' and ' '; tag keys, tag values and field
// keys also escape '='. Backslashes before other characters are kept literally.
void AppendEscapedMeasurement(std::string_view s, std::string* out);
void AppendEscapedTag(std::string_view s, std::string* out);

}  // namespace dc

#endif  // DC_COMMON_SERIES_KEY_H_
