#include "ingest/line_protocol.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "common/series_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Pt {
  std::string key;
  int64_t t;
  double v;
  friend bool operator==(const Pt& a, const Pt& b) {
    return a.key == b.key && a.t == b.t && a.v == b.v;
  }
  friend std::ostream& operator<<(std::ostream& os, const Pt& p) {
    return os << "{" << p.key << " @" << p.t << " = " << p.v << "}";
  }
};

struct Parsed {
  LpResult res;
  PointBatch batch;
  std::vector<Pt> points() const {
    std::vector<Pt> out;
    for (const auto& r : batch.rows()) out.push_back(Pt{batch.keys()[r.series], r.t, r.v});
    return out;
  }
};

Parsed Parse(std::string_view body, LpOptions opt = {}) {
  Parsed p;
  p.res = ParseLineProtocol(body, opt, &p.batch);
  return p;
}

// The single error of a body with one bad line.
LineError OneError(std::string_view body, LpOptions opt = {}) {
  Parsed p = Parse(body, opt);
  EXPECT_EQ(p.res.error_count, 1u) << body;
  EXPECT_EQ(p.res.points, 0u) << body;
  return p.res.errors.empty() ? LineError{} : p.res.errors[0];
}

TEST(LineProtocol, BasicLine) {
  Parsed p = Parse("energy,site=s1,meter=m0042 kwh=1234.56,kw=12.3 1700000000000000000\n");
  EXPECT_TRUE(p.res.ok());
  EXPECT_EQ(p.res.lines, 1u);
  EXPECT_EQ(p.res.points, 2u);
  EXPECT_THAT(p.points(),
              ElementsAre(Pt{"energy,meter=m0042,site=s1 kwh", 1700000000000000000, 1234.56},
                          Pt{"energy,meter=m0042,site=s1 kw", 1700000000000000000, 12.3}));
}

TEST(LineProtocol, KeysAreCanonicalAndShared) {
  Parsed p = Parse(
      "m,b=2,a=1 v=1 1\n"
      "m,a=1,b=2 v=2 2\n"
      "m,b=2,a=1 v=3,w=4 3\n");
  ASSERT_TRUE(p.res.ok());
  EXPECT_THAT(p.batch.keys(), ElementsAre("m,a=1,b=2 v", "m,a=1,b=2 w"));
  for (const auto& k : p.batch.keys()) EXPECT_EQ(*CanonicalSeriesKey(k), k);
  EXPECT_EQ(p.batch.size(), 4u);
}

TEST(LineProtocol, ManyFieldLinesShareSeriesWithOtherSpellings) {
  // Lines with 3+ fields go through the prefix cache; others build the key directly. Both
  // must give the same series.
  Parsed p = Parse(
      "m,a=1,b=2 x=1,y=2,z=3 1\n"
      "m,b=2,a=1 x=4,y=5,z=6 2\n"
      "m,a=1,b=2 z=7,w=8,x=9 3\n"
      "m,a=1,b=2 x=10 4\n"
      "m,a=1,b=3 x=11,y=12,z=13 5\n");
  ASSERT_TRUE(p.res.ok());
  EXPECT_THAT(p.batch.keys(),
              ElementsAre("m,a=1,b=2 x", "m,a=1,b=2 y", "m,a=1,b=2 z", "m,a=1,b=2 w", "m,a=1,b=3 x",
                          "m,a=1,b=3 y", "m,a=1,b=3 z"));
  std::vector<uint32_t> ids;
  for (const auto& r : p.batch.rows()) ids.push_back(r.series);
  EXPECT_THAT(ids, ElementsAre(0, 1, 2, 0, 1, 2, 2, 3, 0, 0, 4, 5, 6));
  EXPECT_EQ(p.points()[7], (Pt{"m,a=1,b=2 w", 3, 8}));
}

TEST(LineProtocol, NoTags) {
  Parsed p = Parse("cpu value=1 5");
  EXPECT_THAT(p.points(), ElementsAre(Pt{"cpu value", 5, 1}));
}

TEST(LineProtocol, FieldTypes) {
  Parsed p = Parse(
      "m f=1.5,neg=-2.25,exp=1e3,Exp=2.5E-2,dot=.5,trail=5.,int=42i,nint=-7i,u=18u,"
      "s=\"hello\",b1=t,b2=T,b3=true,b4=True,b5=TRUE,b6=f,b7=F,b8=false,b9=False,b10=FALSE 1");
  ASSERT_TRUE(p.res.ok()) << p.res.errors[0].ToString();
  EXPECT_EQ(p.res.points, 19u);
  EXPECT_EQ(p.res.skipped_fields, 1u);
  std::vector<double> v;
  for (const auto& pt : p.points()) v.push_back(pt.v);
  EXPECT_THAT(
      v, ElementsAre(1.5, -2.25, 1000, 0.025, 0.5, 5, 42, -7, 18, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0));
}

TEST(LineProtocol, IntegerAndUnsignedExtremes) {
  Parsed p = Parse(
      "m a=9223372036854775807i,b=-9223372036854775808i,c=18446744073709551615u,"
      "d=9007199254740993i 1");
  ASSERT_TRUE(p.res.ok());
  auto pts = p.points();
  EXPECT_EQ(pts[0].v, 9223372036854775807.0);
  EXPECT_EQ(pts[1].v, -9223372036854775808.0);
  EXPECT_EQ(pts[2].v, 18446744073709551615.0);
  EXPECT_EQ(pts[3].v, 9007199254740992.0);  // 2^53 + 1 rounds: exact only up to 2^53
}

TEST(LineProtocol, NumberErrors) {
  EXPECT_THAT(OneError("m a=9223372036854775808i").message, HasSubstr("integer out of range"));
  EXPECT_THAT(OneError("m a=-9223372036854775809i").message, HasSubstr("integer out of range"));
  EXPECT_THAT(OneError("m a=18446744073709551616u").message, HasSubstr("out of range"));
  EXPECT_THAT(OneError("m a=-1u").message, HasSubstr("cannot be negative"));
  EXPECT_THAT(OneError("m a=1.5i").message, HasSubstr("invalid integer"));
  EXPECT_THAT(OneError("m a=1e400").message, HasSubstr("float out of range"));
  EXPECT_THAT(OneError("m a=1.2.3").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=1e").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=-").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=.").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=+1").message, HasSubstr("invalid field value"));
  EXPECT_THAT(OneError("m a=1x").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=9i9").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=NaN").message, HasSubstr("invalid field value"));
  EXPECT_THAT(OneError("m a=nan").message, HasSubstr("invalid field value"));
  EXPECT_THAT(OneError("m a=inf").message, HasSubstr("invalid field value"));
  EXPECT_THAT(OneError("m a=-inf").message, HasSubstr("invalid number"));
  EXPECT_THAT(OneError("m a=tru").message, HasSubstr("invalid boolean"));
  EXPECT_THAT(OneError("m a=trUe").message, HasSubstr("invalid boolean"));
  EXPECT_THAT(OneError("m a=falsey").message, HasSubstr("invalid boolean"));
}

TEST(LineProtocol, FloatUnderflowIsZero) {
  Parsed p = Parse("m a=1e-400,b=-1e-400 1");
  ASSERT_TRUE(p.res.ok());
  EXPECT_EQ(p.points()[0].v, 0.0);
  EXPECT_EQ(p.points()[1].v, 0.0);
  EXPECT_TRUE(std::signbit(p.points()[1].v));
}

TEST(LineProtocol, MeasurementEscapes) {
  Parsed p = Parse("my\\ meas\\,ure\\=x,t=1 v=1 1");
  ASSERT_TRUE(p.res.ok());
  // Measurement escapes are comma and space; "\=" stays literal in a measurement.
  EXPECT_THAT(p.batch.keys(), ElementsAre("my\\ meas\\,ure\\=x,t=1 v"));
  auto parts = ParseSeriesKey("my\\ meas\\,ure,t=1 v");
  EXPECT_EQ(parts->measurement, "my meas,ure");
}

TEST(LineProtocol, TagAndFieldKeyEscapes) {
  Parsed p = Parse("m,tag\\ key=a\\,b\\=c\\ d,z=1 field\\,\\=\\ k=2 1");
  ASSERT_TRUE(p.res.ok()) << p.res.errors[0].ToString();
  ASSERT_EQ(p.batch.keys().size(), 1u);
  const std::string& key = p.batch.keys()[0];
  EXPECT_EQ(key, "m,tag\\ key=a\\,b\\=c\\ d,z=1 field\\,\\=\\ k");
  auto parts = ParseSeriesKey(key);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->tags[0].first, "tag key");
  EXPECT_EQ(parts->tags[0].second, "a,b=c d");
  EXPECT_EQ(parts->field, "field,= k");
  EXPECT_EQ(FormatSeriesKey(*parts), key);
}

TEST(LineProtocol, EscapedTagsSortByUnescapedKey) {
  // Unescaped, "a b" < "a,b" (0x20 < 0x2c), and the escaped spellings sort the same way.
  Parsed p = Parse("m,a\\,b=2,a\\ b=1 v=1 1");
  ASSERT_TRUE(p.res.ok());
  EXPECT_EQ(p.batch.keys()[0], "m,a\\ b=1,a\\,b=2 v");
  SeriesKeyParts parts{"m", {{"a,b", "2"}, {"a b", "1"}}, "v"};
  EXPECT_EQ(FormatSeriesKey(parts), p.batch.keys()[0]);
}

TEST(LineProtocol, StringFieldEscapesAndContent) {
  // A string may hold commas, spaces, '=', escaped quotes and backslashes, and newlines.
  Parsed p = Parse(
      "m s=\"a, b=c \\\"q\\\" \\\\\",v=1 1\n"
      "m s=\"multi\nline\",v=2 2\n"
      "m v=3 3\n");
  ASSERT_TRUE(p.res.ok()) << p.res.errors[0].ToString();
  EXPECT_EQ(p.res.lines, 3u);
  EXPECT_EQ(p.res.skipped_fields, 2u);
  EXPECT_THAT(p.points(), ElementsAre(Pt{"m v", 1, 1}, Pt{"m v", 2, 2}, Pt{"m v", 3, 3}));
}

TEST(LineProtocol, LineNumbersAfterMultilineString) {
  Parsed p = Parse("m s=\"a\nb\nc\",v=1 1\nm v=x 2\n");
  ASSERT_EQ(p.res.error_count, 1u);
  EXPECT_EQ(p.res.errors[0].line, 4u);
  EXPECT_EQ(p.res.errors[0].column, 5u);
}

TEST(LineProtocol, UnbalancedQuote) {
  Parsed p = Parse("m s=\"abc,v=1 1\nm v=2 2\n");
  EXPECT_EQ(p.res.error_count, 1u);
  EXPECT_THAT(p.res.errors[0].message, HasSubstr("unbalanced quotes"));
  EXPECT_EQ(p.res.errors[0].column, 5u);
  EXPECT_THAT(p.points(), ElementsAre(Pt{"m v", 2, 2}));
}

TEST(LineProtocol, OnlyStringFieldsGiveNoPoints) {
  Parsed p = Parse("log,host=a msg=\"disk full\",level=\"warn\" 1");
  EXPECT_TRUE(p.res.ok());
  EXPECT_EQ(p.res.points, 0u);
  EXPECT_EQ(p.res.skipped_fields, 2u);
  EXPECT_TRUE(p.batch.empty());
}

TEST(LineProtocol, Precisions) {
  struct Case {
    const char* name;
    int64_t nanos;
  } cases[] = {{"", 1},           {"ns", 1},          {"n", 1},
               {"us", 1000},      {"u", 1000},        {"ms", 1000000},
               {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000}};
  for (const auto& c : cases) {
    auto prec = ParsePrecision(c.name);
    ASSERT_TRUE(prec.ok()) << c.name;
    EXPECT_EQ(PrecisionNanos(*prec), c.nanos);
    Parsed p = Parse("m v=1 7", LpOptions{.precision = *prec});
    ASSERT_TRUE(p.res.ok());
    EXPECT_EQ(p.points()[0].t, 7 * c.nanos) << c.name;
  }
  EXPECT_FALSE(ParsePrecision("x").ok());
  EXPECT_FALSE(ParsePrecision("sec").ok());
  EXPECT_THAT(std::string(ParsePrecision("d").status().message()), HasSubstr("\"d\""));
}

TEST(LineProtocol, DefaultTime) {
  Parsed p = Parse("m v=1\nm v=2   \nm v=3 9\n", LpOptions{.default_time_ns = 123});
  ASSERT_TRUE(p.res.ok());
  EXPECT_THAT(p.points(), ElementsAre(Pt{"m v", 123, 1}, Pt{"m v", 123, 2}, Pt{"m v", 9, 3}));
}

TEST(LineProtocol, TimestampExtremes) {
  const int64_t kMax = std::numeric_limits<int64_t>::max() - 1;
  const int64_t kMin = std::numeric_limits<int64_t>::min() + 2;
  Parsed p = Parse(
      "m v=1 9223372036854775806\nm v=2 -9223372036854775806\nm v=3 -5\n"
      "m v=4 0000000000000000000000001\n");
  ASSERT_TRUE(p.res.ok()) << p.res.errors[0].ToString();
  EXPECT_EQ(p.points()[0].t, kMax);
  EXPECT_EQ(p.points()[1].t, kMin);
  EXPECT_EQ(p.points()[2].t, -5);
  EXPECT_EQ(p.points()[3].t, 1);
  // Out of range: past int64, the two reserved extremes, and overflow after scaling.
  for (const char* body :
       {"m v=1 9223372036854775807", "m v=1 9223372036854775808", "m v=1 -9223372036854775807",
        "m v=1 -9223372036854775808", "m v=1 99999999999999999999999"}) {
    LineError e = OneError(body);
    EXPECT_THAT(e.message, HasSubstr("timestamp out of range")) << body;
    EXPECT_EQ(e.column, 7u) << body;
  }
  LineError e = OneError("m v=1 9223372036854776", LpOptions{.precision = Precision::kMs});
  EXPECT_THAT(e.message, HasSubstr("timestamp out of range"));
  Parsed ok = Parse("m v=1 2562047", LpOptions{.precision = Precision::kH});
  EXPECT_TRUE(ok.res.ok());
  EXPECT_FALSE(Parse("m v=1 2562048", LpOptions{.precision = Precision::kH}).res.ok());
}

TEST(LineProtocol, TimestampErrors) {
  EXPECT_THAT(OneError("m v=1 12a").message, HasSubstr("bad timestamp"));
  EXPECT_THAT(OneError("m v=1 1.5").message, HasSubstr("bad timestamp"));
  EXPECT_THAT(OneError("m v=1 -").message, HasSubstr("bad timestamp"));
  EXPECT_THAT(OneError("m v=1 1 2").message, HasSubstr("after the timestamp"));
  EXPECT_EQ(OneError("m v=1 1 2").column, 9u);
}

TEST(LineProtocol, CommentsBlankLinesCrlfAndWhitespace) {
  Parsed p = Parse(
      "# a comment\r\n"
      "\r\n"
      "   \n"
      "\t# indented comment\n"
      "m v=1 1\r\n"
      "  m v=2 2  \r\n"
      "m  v=3   3\t\n"
      "m v=4 4");
  ASSERT_TRUE(p.res.ok()) << p.res.errors[0].ToString();
  EXPECT_EQ(p.res.lines, 4u);
  EXPECT_THAT(p.points(),
              ElementsAre(Pt{"m v", 1, 1}, Pt{"m v", 2, 2}, Pt{"m v", 3, 3}, Pt{"m v", 4, 4}));
}

TEST(LineProtocol, EmptyInput) {
  for (const char* body : {"", "\n", "\n\n\r\n", "# only\n# comments"}) {
    Parsed p = Parse(body);
    EXPECT_TRUE(p.res.ok());
    EXPECT_EQ(p.res.lines, 0u);
    EXPECT_TRUE(p.batch.empty());
  }
}

TEST(LineProtocol, StructuralErrorsWithColumns) {
  struct Case {
    const char* line;
    size_t column;
    const char* why;
  } cases[] = {
      {",t=1 v=1", 1, "missing measurement"},
      {"cpu", 4, "missing fields"},
      {"cpu ", 5, "missing fields"},
      {"cpu,host=a", 11, "missing fields"},
      {"cpu,host=a ", 12, "missing fields"},
      {"cpu, v=1", 5, "missing tag key"},
      {"cpu,=a v=1", 5, "missing tag key"},
      {"cpu,host v=1", 9, "missing tag value"},
      {"cpu,host= v=1", 10, "missing tag value"},
      {"cpu,host=a=b v=1", 11, "invalid tag format"},
      {"cpu,host=a,host=b v=1", 12, "duplicate tag key"},
      {"cpu,b=1,host=a,b=2 v=1", 16, "duplicate tag key"},
      {"cpu =1", 5, "missing field key"},
      {"cpu v=1,=2", 9, "missing field key"},
      {"cpu v=1,", 9, "missing field key"},
      {"cpu v", 6, "field key without '='"},
      {"cpu v=1,w", 10, "field key without '='"},
      {"cpu v=", 7, "missing field value"},
      {"cpu v=,w=1", 7, "missing field value"},
      {"cpu v=\"s\"x", 10, "expected ',' or ' '"},
      {"cpu v=abc", 7, "invalid field value"},
  };
  for (const auto& c : cases) {
    std::string body = std::string("good v=1 1\n") + c.line + "\ngood v=2 2\n";
    Parsed p = Parse(body);
    ASSERT_EQ(p.res.error_count, 1u) << c.line;
    EXPECT_EQ(p.res.errors[0].line, 2u) << c.line;
    EXPECT_EQ(p.res.errors[0].column, c.column) << c.line << ": " << p.res.errors[0].ToString();
    EXPECT_THAT(p.res.errors[0].message, HasSubstr(c.why)) << c.line;
    EXPECT_EQ(p.res.lines, 3u);
    EXPECT_THAT(p.points(), ElementsAre(Pt{"good v", 1, 1}, Pt{"good v", 2, 2})) << c.line;
  }
}

TEST(LineProtocol, BadLineRejectedWholeGoodLinesKept) {
  Parsed p = Parse(
      "m,a=1 x=1,y=oops,z=3 1\n"  // the whole line is rejected, x too
      "m,a=1 x=2 2\n"
      "m,a=1 x=3 bad\n"
      "m,a=1 x=4 4\n");
  EXPECT_EQ(p.res.lines, 4u);
  EXPECT_EQ(p.res.error_count, 2u);
  EXPECT_EQ(p.res.errors[0].line, 1u);
  EXPECT_EQ(p.res.errors[0].column, 13u);
  EXPECT_EQ(p.res.errors[1].line, 3u);
  EXPECT_EQ(p.res.errors[1].column, 11u);
  EXPECT_THAT(p.points(), ElementsAre(Pt{"m,a=1 x", 2, 2}, Pt{"m,a=1 x", 4, 4}));
  EXPECT_EQ(p.res.errors[0].ToString(),
            "line 1, column 13: invalid field value: expected a number, a boolean or a "
            "\"string\" (near \"oops,z=3 1\")");
}

TEST(LineProtocol, MaxErrorsKeepsCounting) {
  std::string body;
  for (int i = 0; i < 50; ++i) body += "bad\nm v=1 1\n";
  Parsed p = Parse(body, LpOptions{.max_errors = 3});
  EXPECT_EQ(p.res.error_count, 50u);
  EXPECT_EQ(p.res.errors.size(), 3u);
  EXPECT_EQ(p.res.errors[2].line, 5u);
  EXPECT_EQ(p.res.points, 50u);
}

TEST(LineProtocol, NonPrintableBytesInErrorsAreEscaped) {
  std::string body("m v=\x01\xff", 6);
  LineError e = OneError(body);
  EXPECT_THAT(e.message, HasSubstr("\\x01\\xff"));
}

TEST(LineProtocol, HugeLines) {
  // A 1 MB tag value: too long for a key (kMaxSeriesKeyBytes), reported, not crashed.
  std::string big(1 << 20, 'x');
  Parsed p = Parse("m,t=" + big + " v=1 1\nm v=2 2\n");
  EXPECT_EQ(p.res.error_count, 1u);
  EXPECT_THAT(p.res.errors[0].message, HasSubstr("the limit is 1024"));
  EXPECT_EQ(p.res.points, 1u);
  // A line with 10,000 fields (under a raised limit) and a 1 MB string field is fine.
  std::string line = "m ";
  for (int i = 0; i < 10000; ++i) line += "f" + std::to_string(i) + "=" + std::to_string(i) + ",";
  line += "s=\"" + big + "\" 1";
  LpOptions many;
  many.max_fields = 20000;
  Parsed q = Parse(line, many);
  ASSERT_TRUE(q.res.ok());
  EXPECT_EQ(q.res.points, 10000u);
  EXPECT_EQ(q.res.skipped_fields, 1u);
  EXPECT_EQ(q.points()[9999].v, 9999);
}

TEST(LineProtocol, ManyTagsOutOfOrder) {
  std::string line = "m";
  for (int i = 99; i >= 0; --i) line += ",t" + std::to_string(1000 + i) + "=v";
  line += " f=1 1";
  Parsed p = Parse(line);
  ASSERT_TRUE(p.res.ok());
  const std::string& key = p.batch.keys()[0];
  EXPECT_EQ(*CanonicalSeriesKey(key), key);
  EXPECT_EQ(key.substr(0, 14), "m,t1000=v,t100");
}

// Golden lines as Telegraf 1.x writes them (inputs.cpu, inputs.mem, inputs.modbus,
// inputs.system), copied verbatim in style: sorted tags, integer fields with 'i'.
TEST(LineProtocol, TelegrafGolden) {
  const char* body =
      "cpu,cpu=cpu0,host=plant-gw-01 usage_user=2.0080321285140563,usage_system=1.0040160642570282,"
      "usage_idle=96.98795180722891,usage_nice=0,usage_iowait=0,usage_irq=0,usage_softirq=0,"
      "usage_steal=0,usage_guest=0,usage_guest_nice=0 1700000010000000000\n"
      "mem,host=plant-gw-01 active=1123463168i,available=6385471488i,"
      "available_percent=78.32418823242188,buffered=111448064i,cached=2149249024i,"
      "free=4337152000i,total=8152608768i,used=1554759680i,used_percent=19.07063636541158 "
      "1700000010000000000\n"
      "modbus,host=plant-gw-01,name=Meter-02,slave_id=2,type=holding_register "
      "energy_import_kwh=123456.7,power_kw=12.34,voltage_l1=230.1 1700000010000000000\n"
      "system,host=plant-gw-01 load1=0.12,load5=0.2,load15=0.18,n_cpus=4i,n_users=1i "
      "1700000010000000000\n"
      "system,host=plant-gw-01 uptime=123456i 1700000010000000000\n"
      "system,host=plant-gw-01 uptime_format=\"1 day,  10:17\" 1700000010000000000\n";
  Parsed p = Parse(body);
  ASSERT_TRUE(p.res.ok()) << p.res.errors[0].ToString();
  EXPECT_EQ(p.res.lines, 6u);
  EXPECT_EQ(p.res.points, 10u + 9u + 3u + 5u + 1u);
  EXPECT_EQ(p.res.skipped_fields, 1u);
  auto pts = p.points();
  EXPECT_EQ(pts[0], (Pt{"cpu,cpu=cpu0,host=plant-gw-01 usage_user", 1700000010000000000,
                        2.0080321285140563}));
  EXPECT_EQ(pts[10], (Pt{"mem,host=plant-gw-01 active", 1700000010000000000, 1123463168}));
  EXPECT_EQ(pts[19], (Pt{"modbus,host=plant-gw-01,name=Meter-02,slave_id=2,type=holding_register "
                         "energy_import_kwh",
                         1700000010000000000, 123456.7}));
  EXPECT_EQ(pts.back(), (Pt{"system,host=plant-gw-01 uptime", 1700000010000000000, 123456}));
}

std::string ManyFields(int n) {
  std::string line = "m,host=a ";
  for (int i = 0; i < n; ++i) {
    if (i > 0) line += ",";
    line += "f" + std::to_string(i) + "=1";
  }
  return line + " 1";
}

TEST(LineProtocol, FieldsPerLineAreBounded) {
  std::string body = "m v=1 1\n" + ManyFields(1001) + "\nm v=2 2\n";
  Parsed p = Parse(body);
  EXPECT_EQ(p.res.error_count, 1u);
  EXPECT_EQ(p.res.points, 2u);  // the good lines are kept
  ASSERT_EQ(p.res.errors.size(), 1u);
  EXPECT_EQ(p.res.errors[0].line, 2u);
  EXPECT_THAT(p.res.errors[0].message, HasSubstr("more than 1000 fields on one line"));
  // The column is that of the 1001st field.
  EXPECT_EQ(body.substr(body.find('\n') + p.res.errors[0].column, 6), "f1000=");
  EXPECT_TRUE(Parse(ManyFields(1000)).res.ok());
  LpOptions few;
  few.max_fields = 3;
  EXPECT_THAT(OneError("m a=1,b=2,c=\"s\",d=4", few).message, HasSubstr("more than 3 fields"));
}

// 100,000 distinct fields on one line took 17-21 s (a linear search per field); linear now.
TEST(LineProtocol, ManyFieldsParseInLinearTime) {
  LpOptions opt;
  opt.max_fields = 1'000'000;
  auto t0 = std::chrono::steady_clock::now();
  Parsed p = Parse(ManyFields(100'000), opt);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(p.res.ok());
  EXPECT_EQ(p.batch.keys().size(), 100'000u);
  EXPECT_EQ(p.batch.keys()[99'999], "m,host=a f99999");
  EXPECT_LT(s, 2.0);  // ~0.05 s; generous for sanitizers and a busy machine
  // The same prefix again, fields in another order, still finds every series.
  Parsed q = Parse(
      "m,host=a f9=1,f8=2,f7=3,f6=4,f5=5,f4=6,f3=7,f2=8,f1=9,f0=10 1\n"
      "m,host=a f0=1,f1=2,f2=3,f3=4,f4=5,f5=6,f6=7,f7=8,f8=9,f9=10,f0=11 2\n");
  ASSERT_TRUE(q.res.ok());
  EXPECT_EQ(q.batch.keys().size(), 10u);
  EXPECT_EQ(q.batch.size(), 21u);
  EXPECT_EQ(q.batch.keys()[q.batch.rows()[20].series], "m,host=a f0");
}

TEST(LineProtocol, SeriesKeyRules) {
  using namespace std::string_literals;
  EXPECT_THAT(OneError("m,t=a\0b v=1 1"s).message, HasSubstr("control character 0x00"));
  EXPECT_THAT(OneError("m\x01 v=1 1").message, HasSubstr("control character 0x01"));
  EXPECT_THAT(OneError("m,t=\xff\xfe v=1 1").message, HasSubstr("invalid UTF-8"));
  LineError field = OneError("m v\x7f=1 1");
  EXPECT_THAT(field.message, HasSubstr("control character 0x7f"));
  EXPECT_EQ(field.column, 3u);  // the field key
  // kMaxSeriesKeyBytes: "m,t=" + value + " v" of exactly 1024 bytes is fine, 1025 is not.
  std::string fits(1024 - 6, 'x');
  EXPECT_TRUE(Parse("m,t=" + fits + " v=1 1").res.ok());
  EXPECT_THAT(OneError("m,t=" + fits + "x v=1 1").message, HasSubstr("1025 bytes long"));
  // UTF-8 text is welcome.
  Parsed p = Parse("电表,站=一号 千瓦时=1 1");
  ASSERT_TRUE(p.res.ok());
  EXPECT_EQ(p.batch.keys()[0], "电表,站=一号 千瓦时");
}

TEST(LineProtocol, BackslashKeysRoundTrip) {
  Parsed p = Parse("m,id=a\\\\b v=1 1\nm,id=c\\d v=2 2\n");
  ASSERT_TRUE(p.res.ok());
  ASSERT_EQ(p.batch.keys().size(), 2u);
  EXPECT_EQ(p.batch.keys()[0], "m,id=a\\\\b v");
  EXPECT_EQ(p.batch.keys()[1], "m,id=c\\d v");
  for (const auto& k : p.batch.keys()) EXPECT_EQ(*CanonicalSeriesKey(k), k) << k;
}

TEST(LineProtocol, PrecisionOverflowIsOutOfRange) {
  LpOptions h;
  h.precision = Precision::kH;
  LineError e = OneError("m v=1 9999999999", h);
  EXPECT_THAT(e.message, HasSubstr("timestamp out of range"));
  EXPECT_THAT(e.message, HasSubstr("storable range"));
  EXPECT_EQ(e.column, 7u);
}

TEST(LineProtocol, AppendsToExistingBatch) {
  PointBatch batch;
  batch.Add("m v", 0, 0);
  LpResult r = ParseLineProtocol("m v=1 1\nn v=2 2", {}, &batch);
  EXPECT_EQ(r.points, 2u);
  EXPECT_EQ(batch.keys().size(), 2u);
  EXPECT_EQ(batch.rows()[1].series, 0u);
}

}  // namespace
}  // namespace dc
