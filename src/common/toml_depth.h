// A depth bound for TOML text from outside, checked before a recursive TOML parser sees it.
// toml++ limits nested arrays and inline tables (256) but not dotted keys: "a.a.a...= 1" or
// "[a.a.a...]" with 100,000 parts exhausts the stack. One scanner for every TOML input.
#ifndef DC_COMMON_TOML_DEPTH_H_
#define DC_COMMON_TOML_DEPTH_H_

#include <string>
#include <string_view>

namespace dc {

// Deepest nesting accepted in a TOML document: each part of a dotted key or table header,
// each array and each inline table is one level ("[a.b]\nc = [1]" is 4 levels).
inline constexpr int kMaxTomlDepth = 32;

struct TomlDepthResult {
  int line = 0;    // 1-based position of the first level past the limit; 0 = within the limit
  int column = 0;  // 1-based, in bytes
  std::string message;
  bool ok() const { return line == 0; }
};

// Scans `toml` (iteratively: strings and comments are skipped, nothing is allocated per
// level beyond a small stack) and reports where it first nests deeper than `max_depth`.
// Does not validate the rest: the TOML parser's own errors still apply.
TomlDepthResult CheckTomlDepth(std::string_view toml, int max_depth = kMaxTomlDepth);

}  // namespace dc

#endif  // DC_COMMON_TOML_DEPTH_H_
