// Request framing rules (RFC 9112 §6) checked once a request header is read, before its body:
// the server decodes only the "chunked" transfer coding, and a message whose length is
// ambiguous is refused, never guessed (request smuggling).
#ifndef DC_SERVER_FRAMING_H_
#define DC_SERVER_FRAMING_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace dc::server {

// `transfer_encodings` and `content_lengths` are the values of every Transfer-Encoding and
// Content-Length header field of a request, in order. Returns OK when the body length is
// unambiguous: no Transfer-Encoding and at most one Content-Length value (repeats of the same
// value allowed), or Transfer-Encoding exactly "chunked" and no Content-Length. Else:
//   UnimplementedError (501) for a transfer coding other than chunked (gzip, "chunked, gzip",
//     "gzip, chunked", unknown names);
//   InvalidArgumentError (400) for Content-Length with Transfer-Encoding, conflicting or
//     malformed Content-Length values, an empty coding or "chunked" applied twice.
// The caller answers with the error and closes the connection.
absl::Status CheckFraming(const std::vector<std::string_view>& transfer_encodings,
                          const std::vector<std::string_view>& content_lengths);

}  // namespace dc::server

#endif  // DC_SERVER_FRAMING_H_
