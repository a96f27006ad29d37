// Bridges std::string_view to Abseil: Debian's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which does not convert implicitly.
#ifndef DC_COMMON_STRINGS_H_
#define DC_COMMON_STRINGS_H_

#include <string_view>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace dc {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view SV(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// Abseil's own string hash (absl::Hash of a std::string_view would fall back to std::hash,
// libstdc++'s byte-at-a-time Murmur, several times slower on series keys).
inline size_t HashString(std::string_view s) { return absl::Hash<absl::string_view>{}(AV(s)); }

// Hash and equality for std::string-keyed absl maps looked up by std::string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return HashString(s); }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

}  // namespace dc

#endif  // DC_COMMON_STRINGS_H_
