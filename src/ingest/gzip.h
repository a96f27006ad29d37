// gzip bodies (HTTP `Content-Encoding: gzip`), with a bound on the decompressed size so a
// small request cannot expand into gigabytes (zip bomb).
#ifndef DC_INGEST_GZIP_H_
#define DC_INGEST_GZIP_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dc {

// Decompresses a gzip stream (RFC 1952; concatenated members are joined, as gunzip does).
// Errors: InvalidArgument for data that is not gzip, corrupt or truncated (with the byte
// offset); ResourceExhausted once the output would exceed `max_output` bytes.
absl::StatusOr<std::string> Gunzip(std::string_view in, size_t max_output);

// Compresses `in` as one gzip member (for tests, benchmarks and clients). level: 0..9.
std::string Gzip(std::string_view in, int level = 6);

}  // namespace dc

#endif  // DC_INGEST_GZIP_H_
