#include "common/toml_depth.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(TomlDepth, RealSiteFileShapesPass) {
  const char* ok = R"toml(# comment with [[[ and a.b.c.d.e
[site]
id = "a"   # trailing [ comment
name = "x [[[ {{{ a.b.c"
areas = ["raw_mill", "kiln", [1, [2]]]
inline = { a = 1, b.c = { d = 2 } }
multi = """
[[[[ a.a.a.a
"""""
lit = '''x.y.z'''
[[meter.lab]]
period = "2025-03"
)toml";
  auto r = CheckTomlDepth(ok);
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(TomlDepth, CountsEveryKindOfLevel) {
  // [a.b] is 2, c.d.e under it is 5.
  EXPECT_TRUE(CheckTomlDepth("[a.b]\nc.d.e = 1\n", 5).ok());
  auto r = CheckTomlDepth("[a.b]\nc.d.e = 1\n", 4);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.column, 4);
  // [[x]] is 2 (the array and its table); x = [[1]] is 3.
  EXPECT_TRUE(CheckTomlDepth("x = [[1]]", 3).ok());
  EXPECT_FALSE(CheckTomlDepth("x = [[1]]", 2).ok());
  EXPECT_FALSE(CheckTomlDepth("[[a.b]]\n", 2).ok());
  EXPECT_TRUE(CheckTomlDepth("[[a.b]]\n", 3).ok());
  // Inline tables add their keys' parts.
  // a, {, b, c, {, d: 6 levels.
  EXPECT_FALSE(CheckTomlDepth("a = { b.c = { d = 1 } }", 5).ok());
  EXPECT_TRUE(CheckTomlDepth("a = { b.c = { d = 1 } }", 6).ok());
  // A new top-level key starts again at the header's depth.
  EXPECT_TRUE(CheckTomlDepth("a.b.c = 1\nd.e.f = 1\n", 3).ok());
}

TEST(TomlDepth, HostileNestingIsFoundWithItsPosition) {
  for (const std::string& text :
       {"x = 1\na" + Repeat(".a", 100000) + " = 1\n", "x = 1\n[a" + Repeat(".a", 100000) + "]\n",
        "x = 1\na = " + Repeat("[", 100000) + Repeat("]", 100000),
        "x = 1\na = " + Repeat("{a=", 100000) + "1" + Repeat("}", 100000),
        "x = 1\na = [" + Repeat("{a = [", 50000)}) {
    auto r = CheckTomlDepth(text);
    ASSERT_FALSE(r.ok()) << text.substr(0, 40);
    EXPECT_EQ(r.line, 2);
    EXPECT_GT(r.column, 1);
    EXPECT_TRUE(absl::StrContains(r.message, "deeper than 32")) << r.message;
  }
}

TEST(TomlDepth, BracketsInStringsAndCommentsDoNotCount) {
  std::string deep = Repeat("[", 1000);
  EXPECT_TRUE(CheckTomlDepth("a = \"" + deep + "\"\n").ok());
  EXPECT_TRUE(CheckTomlDepth("a = '" + deep + "'\n").ok());
  EXPECT_TRUE(CheckTomlDepth("a = \"\\\"" + deep + "\"\n").ok());  // escaped quote
  EXPECT_TRUE(CheckTomlDepth("# " + deep + "\na = 1\n").ok());
  EXPECT_TRUE(CheckTomlDepth("\"a.b.c.d\" = 1\n", 1).ok());  // a quoted key is one part
  EXPECT_TRUE(CheckTomlDepth("a = 1.5e3\nb = 1979-05-27T07:32:00.999Z\n", 1).ok());
}

}  // namespace
}  // namespace dc
