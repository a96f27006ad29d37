#include "common/text.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is malformed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return n;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

absl::Status CheckText(std::string_view what, std::string_view s, size_t max_bytes) {
  if (s.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(what), " is ", s.size(), " bytes long; the limit is ", max_bytes));
  }
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(what), ": invalid UTF-8 at byte ", i, " (write text as UTF-8)"));
    }
    const auto c = static_cast<uint8_t>(s[i]);
    if (n == 1 && (c < 0x20 || c == 0x7F)) {
      return absl::InvalidArgumentError(absl::StrCat(AV(what), ": control character 0x",
                                                     absl::Hex(c, absl::kZeroPad2), " at byte ", i,
                                                     " is not allowed"));
    }
    i += n;
  }
  return absl::OkStatus();
}

absl::Status CheckJsonDepth(std::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return absl::InvalidArgumentError(
            absl::StrCat("JSON nests deeper than ", max_depth, " levels at byte ", i));
      }
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return absl::OkStatus();
}

}  // namespace dc
