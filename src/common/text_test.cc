#include "common/text.h"

#include <string>

#include "gtest/gtest.h"

namespace dc {
namespace {

TEST(Utf8, AcceptsWellFormedAndRejectsMalformed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("grid-in"));
  EXPECT_TRUE(IsValidUtf8("水泥熟料 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("cli\xff"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE6\xB0"));          // truncated
}

TEST(CheckText, NamesWhatWhereAndWhy) {
  EXPECT_TRUE(CheckText("token name", "ops 运维", 64).ok());
  absl::Status s = CheckText("token name", "cli\xff", 64);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("token name: invalid UTF-8 at byte 3"), std::string::npos) << s;
  s = CheckText("series key", std::string("a\0b", 3), 64);
  EXPECT_NE(s.message().find("control character 0x00 at byte 1"), std::string::npos) << s;
  s = CheckText("site name", std::string(65, 'x'), 64);
  EXPECT_NE(s.message().find("65 bytes long; the limit is 64"), std::string::npos) << s;
}

TEST(CheckJsonDepth, CountsNestingOutsideStrings) {
  EXPECT_TRUE(CheckJsonDepth("[[[1]]]", 3).ok());
  EXPECT_FALSE(CheckJsonDepth("[[[[1]]]]", 3).ok());
  EXPECT_TRUE(CheckJsonDepth(R"({"a":"[[[[[[\"]]]]"})", 1).ok());
  EXPECT_TRUE(CheckJsonDepth("[]" + std::string(10000, ' ') + "[]", 1).ok());
  std::string deep(100000, '[');
  absl::Status s = CheckJsonDepth(deep);
  EXPECT_NE(s.message().find("deeper than 64 levels at byte 64"), std::string::npos) << s;
}

}  // namespace
}  // namespace dc
