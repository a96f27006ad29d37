// Fast RFC 3339 formatting for query results (thousands of timestamps per answer).
#ifndef DC_SERVER_TIME_FORMAT_H_
#define DC_SERVER_TIME_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace dc::server {

// Appends exactly what dc::FormatTime(t_ns, zone) returns ("2025-03-01T00:15:00+08:00"),
// about ten times faster for whole seconds in years 0..9999 (other cases use FormatTime).
void AppendRfc3339(int64_t t_ns, const absl::TimeZone& zone, std::string* out);

}  // namespace dc::server

#endif  // DC_SERVER_TIME_FORMAT_H_
