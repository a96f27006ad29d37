// Readings from a running dualcarbon server: GET /api/v1/query?series=KEY&start=&end= (raw
// points, docs/api.md). Plain HTTP only (put TLS in front with a reverse proxy on the server side
// and use it from the loopback, or use --data-dir locally).
#ifndef DC_ACCOUNTING_HTTP_READINGS_H_
#define DC_ACCOUNTING_HTTP_READINGS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accounting/readings.h"

namespace dc::accounting {

class HttpReadings : public DataSource {
 public:
  // `url`: "http://host[:port][/prefix]". `token`: sent as "Authorization: Bearer" if not empty.
  // Counters are read `margin_ns` beyond each bound.
  static absl::StatusOr<HttpReadings> Make(std::string_view url, std::string token,
                                           int64_t margin_ns);

  absl::StatusOr<std::vector<Sample>> Read(const model::Meter& meter, int64_t start,
                                           int64_t end) override;
  std::string Describe() const override { return "server " + url_; }

  // One GET; returns the body of a 200 answer, else an error with the status and body.
  absl::StatusOr<std::string> Get(const std::string& target) const;

 private:
  std::string url_, host_, port_, prefix_, token_;
  int64_t margin_ns_ = 0;
};

// Parses an answer of GET /api/v1/query: {"results": [{"points": [[time, value], ...]}]},
// time in epoch ms or RFC 3339, value a number or null (skipped). Outside data: nesting is
// bounded (kMaxJsonDepth) and every type is checked; errors name the path
// ("results[0]: expected an object, got number"). Times must increase.
absl::StatusOr<std::vector<Sample>> ParseQueryPoints(std::string_view body);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view s);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_HTTP_READINGS_H_
