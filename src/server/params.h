// Request targets and query parameters: splitting, percent-decoding, and the parameters of
// GET /api/v1/query turned into typed requests.
#ifndef DC_SERVER_PARAMS_H_
#define DC_SERVER_PARAMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time.h"
#include "storage/store.h"

namespace dc::server {

// Decodes %XX escapes and, when `plus_is_space`, '+' as ' '. Errors name the offset of a
// malformed escape.
absl::StatusOr<std::string> PercentDecode(std::string_view s, bool plus_is_space = true);

// The decoded parameters of a query string or an application/x-www-form-urlencoded body, in
// order; a name may repeat (series=a&series=b).
class Params {
 public:
  // Parses "a=1&b=x%20y&flag". Empty pieces are skipped; a piece without '=' has value "".
  static absl::StatusOr<Params> Parse(std::string_view query);
  // Adds all parameters of `other` after this one's.
  void Append(const Params& other);
  // Adds one parameter after the others.
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }

  // First value of `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Splits a request target "/path?query" into path and raw query.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// Series chosen by what they are rather than listed: every stored series whose measurement,
// field and tags match (an empty measurement or field matches any; every tag must be present
// with exactly that value).
struct SeriesSelection {
  std::string measurement;
  std::string field;
  std::vector<std::pair<std::string, std::string>> tags;  // unescaped, in request order
  bool any() const { return !measurement.empty() || !field.empty() || !tags.empty(); }
};

enum class QueryFormat { kJson, kCsv };

// GET or POST /api/v1/query, validated.
struct QuerySpec {
  std::vector<std::string> series;  // canonical keys; empty when `selection` chooses them
  SeriesSelection selection;        // set when the request selects by measurement/field/tags
  int64_t start = 0;
  int64_t end = 0;
  Step step;  // unit kRaw for raw points
  Agg agg = Agg::kMean;
  absl::TimeZone zone = absl::UTCTimeZone();
  bool closed_right = false;
  bool epoch_ms = false;  // t as epoch milliseconds instead of RFC 3339
  // Set only by format=; otherwise the Accept header decides (text/csv).
  std::optional<QueryFormat> format;
};

// At most this many series in one query, listed or selected.
inline constexpr size_t kMaxQuerySeries = 10'000;

// Reads either series (repeated) or a selection — measurement, field, where=TAG=VALUE
// (repeated) — then start (required), end (default: now_ns), step (default raw), agg (default
// mean), tz (default UTC), closed (left|right), epoch (ms), format (json|csv). Errors name the
// parameter and the offending value.
absl::StatusOr<QuerySpec> ParseQuerySpec(const Params& params, int64_t now_ns);

// The JSON body of POST /api/v1/query: an object with the parameters above as members —
// "series" an array of keys, "where" an object {tag: value}, the others strings (start and end
// may also be integers, epoch ns). Unknown members and wrong types are errors naming them.
absl::StatusOr<QuerySpec> ParseQueryBody(std::string_view body, int64_t now_ns);

// True when `key` (canonical) is one of those `sel` chooses. False for a key that does not parse.
bool SelectionMatches(const SeriesSelection& sel, std::string_view key);

// Durations in configuration and flags: "0", "<n>ms", "<n>s", "<n>m", "<n>h", "<n>d", "<n>w".
absl::StatusOr<int64_t> ParseDurationNs(std::string_view text);

}  // namespace dc::server

#endif  // DC_SERVER_PARAMS_H_
