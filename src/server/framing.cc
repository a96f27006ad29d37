#include "server/framing.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace dc::server {
namespace {

// The codings of all Transfer-Encoding fields, in order (a field may list several).
std::vector<std::string_view> Codings(const std::vector<std::string_view>& fields) {
  std::vector<std::string_view> out;
  for (std::string_view f : fields) {
    for (absl::string_view c : absl::StrSplit(AV(f), ',')) {
      // A coding may carry parameters ("gzip;q=1"); its name decides.
      out.push_back(SV(absl::StripAsciiWhitespace(c.substr(0, c.find(';')))));
    }
  }
  return out;
}

absl::Status CheckContentLength(const std::vector<std::string_view>& fields) {
  std::string_view first;
  for (std::string_view f : fields) {
    for (absl::string_view v : absl::StrSplit(AV(f), ',')) {
      std::string_view value = SV(absl::StripAsciiWhitespace(v));
      uint64_t n;
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos ||
          !absl::SimpleAtoi(AV(value), &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed Content-Length \"", AV(f), "\" (expected one decimal number)"));
      }
      if (first.empty()) {
        first = value;
      } else if (value != first) {
        return absl::InvalidArgumentError(absl::StrCat("conflicting Content-Length values ",
                                                       AV(first), " and ", AV(value),
                                                       ": the body length is ambiguous"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFraming(const std::vector<std::string_view>& transfer_encodings,
                          const std::vector<std::string_view>& content_lengths) {
  if (transfer_encodings.empty()) return CheckContentLength(content_lengths);
  if (!content_lengths.empty()) {
    return absl::InvalidArgumentError(
        "request has both Content-Length and Transfer-Encoding: the body length is ambiguous");
  }
  std::vector<std::string_view> codings = Codings(transfer_encodings);
  for (std::string_view c : codings) {
    if (c.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed Transfer-Encoding \"", AV(transfer_encodings.front()), "\""));
    }
  }
  for (size_t i = 0; i < codings.size(); ++i) {
    if (!absl::EqualsIgnoreCase(AV(codings[i]), "chunked")) {
      return absl::UnimplementedError(absl::StrCat(
          "transfer coding \"", AV(codings[i]),
          "\" is not implemented: send the body as is or with \"Transfer-Encoding: chunked\" "
          "(compress with \"Content-Encoding: gzip\")"));
    }
    if (i > 0) {
      return absl::InvalidArgumentError("malformed Transfer-Encoding: chunked applied twice");
    }
  }
  return absl::OkStatus();
}

}  // namespace dc::server
