#include "accounting/http_readings.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<HttpReadings> HttpReadings::Make(std::string_view url, std::string token,
                                                int64_t margin_ns) {
  HttpReadings r;
  r.url_ = std::string(url);
  r.token_ = std::move(token);
  r.margin_ns_ = margin_ns;
  std::string_view rest = url;
  if (absl::StartsWith(AV(rest), "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server ", AV(url), ": https is not supported; use http://"));
  }
  if (!absl::StartsWith(AV(rest), "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server ", AV(url), ": expected http://host[:port]"));
  }
  rest.remove_prefix(7);
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  r.prefix_ = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!r.prefix_.empty() && r.prefix_.back() == '/') r.prefix_.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    r.host_ = std::string(hostport.substr(0, colon));
    r.port_ = std::string(hostport.substr(colon + 1));
  } else {
    r.host_ = std::string(hostport);
    r.port_ = "80";
  }
  if (r.host_.empty() || r.port_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--server ", AV(url), ": missing host or port"));
  }
  return r;
}

absl::StatusOr<std::string> HttpReadings::Get(const std::string& target) const {
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(resolver.resolve(host_, port_));
    http::request<http::empty_body> req{http::verb::get, prefix_ + target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::accept, "application/json");
    req.set(http::field::user_agent, "dualcarbon-account");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 31);
    http::read(stream, buffer, parser);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    const auto& res = parser.get();
    if (res.result() != http::status::ok) {
      return absl::UnavailableError(absl::StrCat("server ", url_, " answered ", res.result_int(),
                                                 " to GET ", target, ": ",
                                                 res.body().substr(0, 300)));
    }
    return res.body();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("server ", url_, ": ", e.what()));
  }
}

absl::StatusOr<std::vector<Sample>> HttpReadings::Read(const model::Meter& meter, int64_t start,
                                                       int64_t end) {
  std::string key = MeterSeriesKey(meter);
  // /api/v1/query ranges are [start, end): intervals need (start, end] = [start + 1, end + 1).
  int64_t a = start + 1, b = end + 1;
  if (meter.kind == model::MeterKind::kCounter || meter.integrate != model::Integration::kNone) {
    a = start - margin_ns_;
    b = end + margin_ns_;
  }
  std::string target =
      absl::StrCat("/api/v1/query?series=", UrlEncode(key), "&start=", a, "&end=", b, "&step=raw");
  auto body = Get(target);
  if (!body.ok()) return body.status();
  auto points = ParseQueryPoints(*body);
  if (!points.ok()) {
    return absl::DataLossError(absl::StrCat("server ", url_, ", meter \"", meter.id, "\" (series ",
                                            key, "): ", points.status().message()));
  }
  return points;
}

namespace {

using nlohmann::json;

absl::Status Expected(std::string_view path, std::string_view what, const json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(AV(path), ": expected ", AV(what), ", got ", got.type_name()));
}

// The time of a point: epoch milliseconds (integer) or an RFC 3339 string.
absl::StatusOr<int64_t> PointTime(const json& t, const std::string& path) {
  constexpr int64_t kNsPerMs = 1'000'000;
  if (t.is_number_unsigned() || t.is_number_integer()) {
    if (t.is_number_unsigned() && t.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": time ", t.dump(), " ms is ", kTimeRangeText));
    }
    int64_t ms = t.get<int64_t>();
    if (ms > INT64_MAX / kNsPerMs || ms < INT64_MIN / kNsPerMs) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": time ", ms, " ms is ", kTimeRangeText));
    }
    return ms * kNsPerMs;
  }
  if (t.is_string()) {
    auto parsed = ParseTime(t.get<std::string>(), absl::UTCTimeZone());
    if (!parsed.ok())
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", parsed.status().message()));
    return *parsed;
  }
  return Expected(path, "a time (epoch ms integer or RFC 3339 string)", t);
}

}  // namespace

absl::StatusOr<std::vector<Sample>> ParseQueryPoints(std::string_view body) {
  if (auto s = CheckJsonDepth(body); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("answer: ", s.message()));
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError("answer: not valid JSON");
  if (!j.is_object()) return Expected("answer", "an object {\"results\": [...]}", j);
  auto results = j.find("results");
  if (results == j.end()) return absl::InvalidArgumentError("answer: missing \"results\"");
  if (!results->is_array()) return Expected("results", "an array", *results);
  if (results->empty()) return absl::InvalidArgumentError("results: empty (expected 1 result)");
  const json& r = (*results)[0];
  if (!r.is_object()) return Expected("results[0]", "an object", r);
  auto points = r.find("points");
  if (points == r.end()) return absl::InvalidArgumentError("results[0]: missing \"points\"");
  if (!points->is_array()) return Expected("results[0].points", "an array", *points);
  std::vector<Sample> out;
  out.reserve(points->size());
  for (size_t k = 0; k < points->size(); ++k) {
    const json& p = (*points)[k];
    std::string path = absl::StrCat("results[0].points[", k, "]");
    if (!p.is_array() || p.size() < 2) return Expected(path, "[time, value]", p);
    auto t = PointTime(p[0], path + "[0]");
    if (!t.ok()) return t.status();
    if (p[1].is_null()) continue;  // a non-finite value
    if (!p[1].is_number()) return Expected(path + "[1]", "a number or null", p[1]);
    if (!out.empty() && *t <= out.back().t) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, "[0]: times must increase (", *t, " ns after ", out.back().t, ")"));
    }
    out.push_back(Sample{*t, p[1].get<double>(), Quality::kGood});
  }
  return out;
}

}  // namespace dc::accounting
