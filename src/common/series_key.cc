#include "common/series_key.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/text.h"

namespace dc {
namespace {

// Reads one token up to an unescaped character in `stops`; unescapes "\x" for x in ", =".
// "\\" (two backslashes) stays as written, and the byte after it is not escaped, as in line
// protocol.
size_t ReadToken(std::string_view s, size_t pos, std::string_view stops, std::string* out) {
  while (pos < s.size()) {
    char c = s[pos];
    if (c == '\\' && pos + 1 < s.size() && s[pos + 1] == '\\') {
      out->append("\\\\");
      pos += 2;
      continue;
    }
    if (c == '\\' && pos + 1 < s.size() &&
        (s[pos + 1] == ',' || s[pos + 1] == ' ' || s[pos + 1] == '=')) {
      out->push_back(s[pos + 1]);
      pos += 2;
      continue;
    }
    if (stops.find(c) != std::string_view::npos) break;
    out->push_back(c);
    ++pos;
  }
  return pos;
}

absl::Status KeyError(std::string_view key, size_t pos, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("series key \"", AV(key), "\" at column ", pos + 1, ": ", AV(why)));
}

}  // namespace

absl::Status ValidateSeriesKey(std::string_view key) {
  return CheckText("series key", key, kMaxSeriesKeyBytes);
}

absl::StatusOr<SeriesKeyParts> ParseSeriesKey(std::string_view key) {
  SeriesKeyParts parts;
  size_t pos = ReadToken(key, 0, ", ", &parts.measurement);
  if (parts.measurement.empty()) return KeyError(key, 0, "empty measurement");
  while (pos < key.size() && key[pos] == ',') {
    std::string k, v;
    size_t start = pos + 1;
    pos = ReadToken(key, start, "=, ", &k);
    if (k.empty()) return KeyError(key, start, "empty tag key");
    if (pos >= key.size() || key[pos] != '=') return KeyError(key, pos, "tag without '='");
    size_t vstart = pos + 1;
    pos = ReadToken(key, vstart, ", ", &v);
    if (v.empty()) return KeyError(key, vstart, "empty tag value");
    parts.tags.emplace_back(std::move(k), std::move(v));
  }
  if (pos < key.size() && key[pos] == ' ') {
    size_t fstart = pos + 1;
    pos = ReadToken(key, fstart, " ,=", &parts.field);
    if (parts.field.empty()) return KeyError(key, fstart, "empty field name");
  }
  if (pos != key.size()) return KeyError(key, pos, "unexpected character");
  if (parts.field.empty()) parts.field = "value";
  std::sort(parts.tags.begin(), parts.tags.end());
  return parts;
}

void AppendEscapedMeasurement(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == ',' || c == ' ') out->push_back('\\');
    out->push_back(c);
  }
}

void AppendEscapedTag(std::string_view s, std::string* out) {
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '=') out->push_back('\\');
    out->push_back(c);
  }
}

std::string FormatSeriesKey(const SeriesKeyParts& parts) {
  std::string out;
  AppendEscapedMeasurement(parts.measurement, &out);
  auto tags = parts.tags;
  std::sort(tags.begin(), tags.end());
  for (const auto& [k, v] : tags) {
    out.push_back(',');
    AppendEscapedTag(k, &out);
    out.push_back('=');
    AppendEscapedTag(v, &out);
  }
  out.push_back(' ');
  AppendEscapedTag(parts.field.empty() ? "value" : parts.field, &out);
  return out;
}

absl::StatusOr<std::string> CanonicalSeriesKey(std::string_view key) {
  if (absl::Status s = ValidateSeriesKey(key); !s.ok()) return s;
  auto parts = ParseSeriesKey(key);
  if (!parts.ok()) return parts.status();
  return FormatSeriesKey(*parts);
}

}  // namespace dc
