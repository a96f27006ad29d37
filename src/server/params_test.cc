#include "server/params.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dc::server {
namespace {

TEST(ParamsTest, DecodesAndRepeats) {
  auto p = Params::Parse("series=a%2Cb%3Dc+kwh&series=x&flag&&start=2025-01-01");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->GetAll("series"), (std::vector<std::string>{"a,b=c kwh", "x"}));
  EXPECT_EQ(*p->Get("series"), "a,b=c kwh");
  EXPECT_TRUE(p->Has("flag"));
  EXPECT_EQ(*p->Get("flag"), "");
  EXPECT_EQ(p->GetOr("missing", "dflt"), "dflt");
}

TEST(ParamsTest, MalformedEscapeNamesOffset) {
  for (const char* bad : {"a=%zz", "a=%4", "a=%"}) {
    auto p = Params::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(std::string(p.status().message()).find("offset"), std::string::npos);
  }
  auto raw = PercentDecode("a+b%20c", /*plus_is_space=*/false);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, "a+b c");
}

TEST(ParamsTest, SplitTarget) {
  EXPECT_EQ(SplitTarget("/write?db=x&precision=s").first, "/write");
  EXPECT_EQ(SplitTarget("/write?db=x&precision=s").second, "db=x&precision=s");
  EXPECT_EQ(SplitTarget("/ping").second, "");
}

QuerySpec MustParse(std::string_view query) {
  auto p = Params::Parse(query);
  EXPECT_TRUE(p.ok());
  auto spec = ParseQuerySpec(*p, 1'800'000'000'000'000'000);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : QuerySpec{};
}

std::string ParseError(std::string_view query) {
  auto p = Params::Parse(query);
  EXPECT_TRUE(p.ok());
  auto spec = ParseQuerySpec(*p, 1'800'000'000'000'000'000);
  EXPECT_FALSE(spec.ok()) << query;
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(QuerySpecTest, DefaultsAndCanonicalKeys) {
  QuerySpec s = MustParse("series=energy,site%3Da,meter%3Dm1+kwh&start=2025-03-01T00:00:00Z");
  ASSERT_EQ(s.series.size(), 1u);
  EXPECT_EQ(s.series[0], "energy,meter=m1,site=a kwh");  // tags sorted
  EXPECT_EQ(s.step.unit, Step::Unit::kRaw);
  EXPECT_EQ(s.agg, Agg::kMean);
  EXPECT_EQ(s.end, 1'800'000'000'000'000'000);  // now
  EXPECT_FALSE(s.closed_right);
  EXPECT_FALSE(s.epoch_ms);
}

TEST(QuerySpecTest, AllParameters) {
  QuerySpec s = MustParse(
      "series=a&series=b+x&start=2025-03-01&end=2025-04-01&step=1mo&agg=increase"
      "&tz=Asia/Shanghai&closed=right&epoch=ms");
  EXPECT_EQ(s.series, (std::vector<std::string>{"a value", "b x"}));
  EXPECT_EQ(s.step.unit, Step::Unit::kMonth);
  EXPECT_EQ(s.agg, Agg::kIncrease);
  EXPECT_TRUE(s.closed_right);
  EXPECT_TRUE(s.epoch_ms);
  // Local midnight in Shanghai is 16:00 UTC the day before.
  EXPECT_EQ(s.start, 1740758400LL * 1'000'000'000);  // 2025-02-28T16:00:00Z
}

TEST(QuerySpecTest, ErrorsNameTheParameter) {
  EXPECT_NE(ParseError("start=2025-01-01").find("series"), std::string::npos);
  EXPECT_NE(ParseError("series=a").find("start"), std::string::npos);
  EXPECT_NE(ParseError("series=a&start=soon").find("start=\"soon\""), std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&end=2024-01-01").find("before"),
            std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&step=3x").find("step"), std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&agg=median").find("agg"), std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&tz=Nowhere/City").find("tz"), std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&closed=both").find("closed"), std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&epoch=s").find("epoch"), std::string::npos);
  EXPECT_NE(ParseError("series=%2Cbad&start=2025-01-01").find("series"), std::string::npos);
}

TEST(QuerySpecTest, SelectionByTags) {
  QuerySpec s = MustParse(
      "where=site%3Da&where=kind%3Denergy&field=kwh&measurement=meter&start=2025-01-01&format=csv");
  EXPECT_TRUE(s.series.empty());
  ASSERT_EQ(s.selection.tags.size(), 2u);
  EXPECT_EQ(s.selection.tags[0], (std::pair<std::string, std::string>{"site", "a"}));
  EXPECT_EQ(s.selection.field, "kwh");
  EXPECT_EQ(s.format, QueryFormat::kCsv);
  // Tags in any order; every tag must be there with that value; field and measurement exact.
  EXPECT_TRUE(SelectionMatches(s.selection, "meter,kind=energy,line=2,site=a kwh"));
  EXPECT_FALSE(SelectionMatches(s.selection, "meter,kind=energy,site=ab kwh"));
  EXPECT_FALSE(SelectionMatches(s.selection, "meter,site=a kwh"));
  EXPECT_FALSE(SelectionMatches(s.selection, "meter,kind=energy,site=a kw"));
  EXPECT_FALSE(SelectionMatches(s.selection, "meter2,kind=energy,site=a kwh"));
  // Escaped characters are compared unescaped.
  QuerySpec e = MustParse("where=zone%3Dnorth+hall&start=2025-01-01");
  EXPECT_TRUE(SelectionMatches(e.selection, "m,zone=north\\ hall value"));
}

TEST(QuerySpecTest, SelectionErrors) {
  EXPECT_NE(ParseError("where=site&start=2025-01-01").find("where=\"site\""), std::string::npos);
  EXPECT_NE(ParseError("where=%3Da&start=2025-01-01").find("TAG=VALUE"), std::string::npos);
  EXPECT_NE(ParseError("where=site%3D&start=2025-01-01").find("TAG=VALUE"), std::string::npos);
  EXPECT_NE(ParseError("field=&start=2025-01-01").find("field"), std::string::npos);
  EXPECT_NE(ParseError("series=a&where=site%3Da&start=2025-01-01").find("not both"),
            std::string::npos);
  EXPECT_NE(ParseError("series=a&start=2025-01-01&format=xml").find("format"), std::string::npos);
}

TEST(QuerySpecTest, JsonBody) {
  auto s = ParseQueryBody(
      R"({"series": ["b x", "a"], "start": 1700000000000000000, "end": "2025-01-01",
          "step": "1d", "agg": "sum", "tz": "Asia/Shanghai"})",
      0);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->series, (std::vector<std::string>{"b x", "a value"}));
  EXPECT_EQ(s->start, 1700000000000000000);
  EXPECT_EQ(s->step.unit, Step::Unit::kDay);
  auto w = ParseQueryBody(R"({"where": {"site": "a", "kind": "energy"}, "start": "2025-01-01"})",
                          1'800'000'000'000'000'000);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(SelectionMatches(w->selection, "m,kind=energy,site=a value"));
  EXPECT_FALSE(SelectionMatches(w->selection, "m,kind=water,site=a value"));
}

TEST(QuerySpecTest, JsonBodyErrorsNameTheMember) {
  auto err = [](std::string_view body) {
    auto s = ParseQueryBody(body, 0);
    EXPECT_FALSE(s.ok()) << body;
    return s.ok() ? std::string() : std::string(s.status().message());
  };
  EXPECT_NE(err("not json").find("JSON object"), std::string::npos);
  EXPECT_NE(err("[1]").find("JSON object"), std::string::npos);
  EXPECT_NE(err(R"({"series": "a", "start": "2025-01-01"})").find("\"series\""), std::string::npos);
  EXPECT_NE(err(R"({"series": ["a", 3], "start": "2025-01-01"})").find("element 1"),
            std::string::npos);
  EXPECT_NE(err(R"({"where": {"site": 1}, "start": "2025-01-01"})").find("tag \"site\""),
            std::string::npos);
  EXPECT_NE(err(R"({"series": ["a"], "strat": "2025-01-01"})").find("\"strat\": unknown"),
            std::string::npos);
  EXPECT_NE(err(R"({"series": ["a"], "start": 1.5})").find("\"start\""), std::string::npos);
  EXPECT_NE(err(R"({"series": ["a"], "start": "2025-01-01", "step": 5})").find("\"step\""),
            std::string::npos);
  EXPECT_NE(err(R"({"series": ["a"]})").find("start"), std::string::npos);
  std::string deep = std::string(200, '[') + std::string(200, ']');
  EXPECT_FALSE(ParseQueryBody(deep, 0).ok());
}

TEST(QuerySpecTest, SeriesLimit) {
  std::string q = "start=2025-01-01";
  for (size_t i = 0; i <= kMaxQuerySeries; ++i) absl::StrAppend(&q, "&series=m", i);
  EXPECT_NE(ParseError(q).find("too many series"), std::string::npos);
}

TEST(DurationTest, Units) {
  EXPECT_EQ(*ParseDurationNs("0"), 0);
  EXPECT_EQ(*ParseDurationNs("250ms"), 250'000'000);
  EXPECT_EQ(*ParseDurationNs("30s"), 30 * kNanosPerSecond);
  EXPECT_EQ(*ParseDurationNs("5m"), 5 * kNanosPerMinute);
  EXPECT_EQ(*ParseDurationNs("2h"), 2 * kNanosPerHour);
  EXPECT_EQ(*ParseDurationNs("30d"), 30 * kNanosPerDay);
  EXPECT_EQ(*ParseDurationNs("52w"), 52 * 7 * kNanosPerDay);
  for (const char* bad : {"", "s", "-1s", "1.5h", "10", "3mo", "99999999999999w"}) {
    EXPECT_FALSE(ParseDurationNs(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace dc::server
