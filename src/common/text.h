// Rules for text that comes from outside (names, keys, JSON documents): valid UTF-8, no
// control characters, bounded size and nesting. One place, so every input path says the same.
#ifndef DC_COMMON_TEXT_H_
#define DC_COMMON_TEXT_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace dc {

// Deepest nesting of arrays/objects accepted in any JSON document read from outside.
inline constexpr int kMaxJsonDepth = 64;

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// OK when `s` is valid UTF-8 without control characters (U+0000..U+001F, U+007F) and at most
// `max_bytes` long; otherwise InvalidArgument naming `what`, the byte offset and the reason.
absl::Status CheckText(std::string_view what, std::string_view s, size_t max_bytes);

// OK when no array or object in the JSON text `json` nests deeper than `max_depth`
// (strings are skipped, so brackets inside them do not count). Does not validate the rest:
// call it before a recursive parser, whose own errors still apply.
absl::Status CheckJsonDepth(std::string_view json, int max_depth = kMaxJsonDepth);

}  // namespace dc

#endif  // DC_COMMON_TEXT_H_
