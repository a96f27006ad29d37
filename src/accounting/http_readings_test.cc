// HttpReadings against a small HTTP/1.1 peer that answers GET /api/v1/query in the format of
// docs/api.md from a table of points.
#include "accounting/http_readings.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "accounting/inventory.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Param(std::string_view target, std::string_view name) {
  std::string key = std::string(name) + "=";
  size_t p = target.find("?");
  while (p != std::string_view::npos) {
    size_t start = p + 1;
    if (target.substr(start, key.size()) == key) {
      size_t end = target.find('&', start);
      return Decode(target.substr(start + key.size(),
                                  end == std::string_view::npos ? end : end - start - key.size()));
    }
    p = target.find('&', start);
  }
  return "";
}

// Serves `points` (series -> samples) until stopped; requires "Bearer secret".
class Peer {
 public:
  explicit Peer(std::map<std::string, std::vector<Sample>> points)
      : points_(std::move(points)),
        acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Loop(); });
  }
  ~Peer() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket s(ioc_);
    s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Loop() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) continue;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) continue;
      ++requests_;
      http::response<http::string_body> res;
      res.version(11);
      if (req[http::field::authorization] != "Bearer secret") {
        res.result(http::status::unauthorized);
        res.body() = R"({"error": {"code": "unauthorized", "message": "token required"}})";
      } else {
        std::string target(req.target().data(), req.target().size());
        std::string series = Param(target, "series");
        int64_t start = std::stoll(Param(target, "start")), end = std::stoll(Param(target, "end"));
        nlohmann::json pts = nlohmann::json::array();
        for (const Sample& s : points_[series]) {
          if (s.t >= start && s.t < end)
            pts.push_back({FormatTime(s.t, *LoadZone("Asia/Shanghai")), s.v});
        }
        res.result(http::status::ok);
        res.body() = nlohmann::json{{"results", {{{"series", series}, {"points", pts}}}}}.dump();
      }
      res.prepare_payload();
      http::write(sock, res, ec);
    }
  }

  std::map<std::string, std::vector<Sample>> points_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  int port_ = 0;
};

constexpr char kSite[] = R"toml([site]
id = "remote"
timezone = "Asia/Shanghai"
grid_year = 2022

[[meter]]
id = "grid-in"
carrier = "electricity"
kind = "counter"
unit = "kWh"

[[meter]]
id = "coke"
carrier = "coke"
kind = "interval"
unit = "t"
series = "fuel,site=remote,id=coke t"
)toml";

TEST(HttpReadings, SameInventoryAsCsv) {
  auto z = *LoadZone("Asia/Shanghai");
  auto t = [&](const char* s) { return *ParseTime(s, z); };
  std::map<std::string, std::vector<Sample>> points = {
      {"meter,id=grid-in,site=remote value",
       {{t("2025-02-28 12:00"), 100},
        {t("2025-03-15 00:00"), 5100},
        {t("2025-04-01 12:00"), 10100}}},
      {"fuel,id=coke,site=remote t",
       {{t("2025-03-01 00:00"), 99}, {t("2025-03-10 00:00"), 12.5}, {t("2025-04-01 00:00"), 7.5}}}};
  Peer peer(points);
  auto site = model::ParseSite(kSite, "remote.toml");
  ASSERT_TRUE(site.ok()) << site.status();
  auto ref = Reference::Load(DC_SOURCE_DIR "/reference");
  ASSERT_TRUE(ref.ok());
  auto source = HttpReadings::Make("http://127.0.0.1:" + std::to_string(peer.port()) + "/",
                                   "secret", 31 * kNanosPerDay);
  ASSERT_TRUE(source.ok()) << source.status();
  auto inv = ComputeInventory(*site, *source, "2025-03", *ref);
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(peer.requests(), 2);

  std::string csv = "time,meter,value\n";
  for (const auto& [meter, series] :
       std::map<std::string, std::string>{{"grid-in", "meter,id=grid-in,site=remote value"},
                                          {"coke", "fuel,id=coke,site=remote t"}}) {
    for (const Sample& s : points[series])
      csv += FormatTime(s.t, z) + "," + meter + "," + FormatNumber(s.v) + "\n";
  }
  auto readings = CsvReadings::Parse(csv, "r.csv", *site, z);
  ASSERT_TRUE(readings.ok());
  auto expected = ComputeInventory(*site, *readings, "2025-03", *ref);
  ASSERT_TRUE(expected.ok());
  EXPECT_DOUBLE_EQ(inv->total_tco2e, expected->total_tco2e);
  EXPECT_DOUBLE_EQ(inv->total_tce, expected->total_tce);
  // Coke: 12.5 + 7.5 = 20 t (99 at the start excluded); electricity interpolated at both bounds.
  ASSERT_EQ(inv->by_carrier.size(), 2u);
  EXPECT_DOUBLE_EQ(inv->by_carrier[0].amount, 20);
  EXPECT_TRUE(absl::StartsWith(inv->data_source, "server http://127.0.0.1"));

  auto unauthorized = HttpReadings::Make("http://127.0.0.1:" + std::to_string(peer.port()), "", 0);
  auto bad = ComputeInventory(*site, *unauthorized, "2025-03", *ref);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "401")) << bad.status();
}

TEST(HttpReadings, BadUrls) {
  EXPECT_FALSE(HttpReadings::Make("https://x", "", 0).ok());
  EXPECT_FALSE(HttpReadings::Make("ftp://x", "", 0).ok());
  EXPECT_FALSE(HttpReadings::Make("http://:80", "", 0).ok());
  EXPECT_EQ(UrlEncode("meter,id=a b"), "meter%2Cid%3Da%20b");
  auto closed = HttpReadings::Make("http://127.0.0.1:1", "", 0);
  ASSERT_TRUE(closed.ok());
  auto r = closed->Get("/api/v1/query");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "127.0.0.1:1")) << r.status();
}

std::string ParseError(std::string_view body) {
  auto r = ParseQueryPoints(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : std::string(r.status().message());
}

TEST(ParseQueryPoints, TypeErrorsNameThePath) {
  EXPECT_EQ(ParseError(R"({"results":[5]})"), "results[0]: expected an object, got number");
  EXPECT_EQ(ParseError(R"({"results":{}})"), "results: expected an array, got object");
  EXPECT_EQ(ParseError(R"([1])"), "answer: expected an object {\"results\": [...]}, got array");
  EXPECT_EQ(ParseError(R"({"results":[]})"), "results: empty (expected 1 result)");
  EXPECT_EQ(ParseError(R"({"results":[{}]})"), "results[0]: missing \"points\"");
  EXPECT_EQ(ParseError(R"({"results":[{"points":"x"}]})"),
            "results[0].points: expected an array, got string");
  EXPECT_EQ(ParseError(R"({"results":[{"points":[[1,2],[3]]}]})"),
            "results[0].points[1]: expected [time, value], got array");
  EXPECT_EQ(ParseError(R"({"results":[{"points":[[1,"2"]]}]})"),
            "results[0].points[0][1]: expected a number or null, got string");
  EXPECT_EQ(ParseError(R"({"results":[{"points":[[true,2]]}]})"),
            "results[0].points[0][0]: expected a time (epoch ms integer or RFC 3339 string), got "
            "boolean");
  EXPECT_TRUE(absl::StrContains(ParseError(R"({"results":[{"points":[[1.5,2]]}]})"), "got number"));
  EXPECT_TRUE(absl::StrContains(ParseError(R"({"results":[{"points":[[9223372036854775807,2]]}]})"),
                                "storable range"));
  EXPECT_TRUE(absl::StrContains(
      ParseError(R"({"results":[{"points":[[18446744073709551615,2]]}]})"), "storable range"));
  EXPECT_TRUE(absl::StrContains(ParseError(R"({"results":[{"points":[["nope",2]]}]})"),
                                "results[0].points[0][0]: "));
  EXPECT_TRUE(absl::StrContains(ParseError(R"({"results":[{"points":[[2,1],[1,1]]}]})"),
                                "results[0].points[1][0]: times must increase"));
  EXPECT_EQ(ParseError("{"), "answer: not valid JSON");
}

TEST(ParseQueryPoints, DeepJsonIsRefusedBeforeParsing) {
  std::string deep = R"({"results":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_TRUE(absl::StrContains(ParseError(deep), "JSON nests deeper than 64")) << ParseError(deep);
}

TEST(ParseQueryPoints, GoodAnswer) {
  auto r = ParseQueryPoints(
      R"({"results":[{"points":[[1000,1.5],["1970-01-01T00:00:02Z",null],["1970-01-01T00:00:03Z",4]]}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].t, 1'000'000'000);
  EXPECT_EQ((*r)[0].v, 1.5);
  EXPECT_EQ((*r)[1].t, 3'000'000'000);
}

}  // namespace
}  // namespace dc::accounting
