#include "server/stream_api.h"

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "server/scope.h"

namespace dc::server {
namespace {

constexpr int64_t kMaxSeconds = 86400;

// `seconds`: the stream ends after that long (1 .. 86400; absent = when the client leaves).
absl::StatusOr<int64_t> Seconds(const Params& params) {
  const std::string* v = params.Get("seconds");
  if (v == nullptr) return 0;
  int64_t s = 0;
  if (!absl::SimpleAtoi(*v, &s) || s < 1 || s > kMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parameter seconds=\"", *v, "\": expected a whole number of seconds, 1 .. ", kMaxSeconds));
  }
  return s;
}

}  // namespace

void StreamApi::Register(Router& router) {
  using enum Access;
  using enum ScopeRule;
  auto add = [&](const char* method, const char* path, const char* name, Access access,
                 absl::Status (StreamApi::*fn)(HttpRequest&, HttpResponse&), ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi,
                [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); },
                scope});
  };
  add("GET", "/api/v1/stream", "stream", kRead, &StreamApi::Stream, kSiteParam);
}

absl::Status StreamApi::Stream(HttpRequest& req, HttpResponse& res) {
  const std::string* site = req.params.Get("site");
  if (site == nullptr) {
    return absl::InvalidArgumentError(
        "parameter site is required: the site whose points to stream");
  }
  if (absl::Status s = CheckSiteId("parameter site", *site); !s.ok()) return s;
  auto seconds = Seconds(req.params);
  if (!seconds.ok()) return seconds.status();
  const std::string* epoch = req.params.Get("epoch");
  if (epoch != nullptr && *epoch != "ms") {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter epoch=\"", *epoch, "\": expected ms (or no epoch: RFC 3339)"));
  }
  auto sub = hub_.Subscribe(*site);
  if (!sub.ok()) return sub.status();
  const int64_t now = Env::Default()->MonotonicNanos();
  const int64_t end = *seconds == 0 ? 0 : now + *seconds * 1'000'000'000;
  res.content_type = "text/event-stream; charset=utf-8";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Accel-Buffering", "no");
  res.stream = std::make_shared<EventStream>(hub_, std::move(*sub), now, end, epoch != nullptr);
  return absl::OkStatus();
}

}  // namespace dc::server
