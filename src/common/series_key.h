// Series keys: InfluxDB line protocol without the value, tags sorted by key.
//   meter,id=grid-in,site=a value
// The same spelling is used by site files, the API, the CLI and the docs.
#ifndef DC_COMMON_SERIES_KEY_H_
#define DC_COMMON_SERIES_KEY_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dc {

// Longest series key, in bytes as written (escaped). Small enough that any GET route carries a
// key percent-encoded (x3) well within the 16 KiB header limit.
inline constexpr size_t kMaxSeriesKeyBytes = 1024;

// The one set of rules every stored key obeys, applied by every ingest path (line protocol, JSON
// write, import): at most kMaxSeriesKeyBytes, valid UTF-8, no control characters (NUL, tab,
// newline, DEL, ...). The error names the offending byte. Since the rules hold byte by byte,
// checking each part of a key (prefix, field) is the same as checking the whole key.
absl::Status ValidateSeriesKey(std::string_view key);

struct SeriesKeyParts {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // unescaped
  std::string field;                                      // unescaped
};

// Parses a key as written by a person: tags in any order, field optional (default "value").
// Returns an error naming the position for empty names, dangling escapes or a tag without '='.
// "\," "\=" "\ " are unescaped; any other backslash is kept literally, "\\" as two
// backslashes (as line protocol does), so a listed key parses back to itself.
absl::StatusOr<SeriesKeyParts> ParseSeriesKey(std::string_view key);

// Writes the canonical key: tags sorted by key (then value), escaping per line protocol.
std::string FormatSeriesKey(const SeriesKeyParts& parts);

// ValidateSeriesKey + ParseSeriesKey + FormatSeriesKey.
absl::StatusOr<std::string> CanonicalSeriesKey(std::string_view key);

// Escapes per line protocol: measurement escapes ',' and ' '; tag keys, tag values and field
// keys also escape '='. Backslashes before other characters are kept literally.
void AppendEscapedMeasurement(std::string_view s, std::string* out);
void AppendEscapedTag(std::string_view s, std::string* out);

}  // namespace dc

#endif  // DC_COMMON_SERIES_KEY_H_
