// Limits of the formula parser: no input exhausts the stack, long input is refused by size.
#include "model/formula.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dc::model {
namespace {

std::string Nested(int n) { return std::string(n, '(') + "a" + std::string(n, ')'); }

TEST(FormulaLimits, NestingUpToTheLimitParses) {
  auto f = Formula::Parse(Nested(Formula::kMaxDepth));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_DOUBLE_EQ(f->Eval([](std::string_view) { return 3.0; }), 3);
  std::string minus(Formula::kMaxDepth, '-');
  auto g = Formula::Parse(minus + "a");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_DOUBLE_EQ(g->Eval([](std::string_view) { return 3.0; }), 3);  // even count
}

TEST(FormulaLimits, DeepParenthesesAreAnErrorNotACrash) {
  for (int n : {Formula::kMaxDepth + 1, 1000}) {
    auto f = Formula::Parse(Nested(n));
    ASSERT_FALSE(f.ok()) << n;
    EXPECT_TRUE(absl::StrContains(f.status().message(), "nested deeper than 64")) << f.status();
    EXPECT_TRUE(absl::StrContains(f.status().message(), "at character 65")) << f.status();
  }
}

TEST(FormulaLimits, TwentyThousandParenthesesAreRefused) {
  auto f = Formula::Parse(Nested(20000));
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::StrContains(f.status().message(), "longer than 4096 bytes")) << f.status();
  // The message quotes only the start of the formula.
  EXPECT_LT(f.status().message().size(), 300u);
}

TEST(FormulaLimits, UnaryMinusChainsAreBounded) {
  auto f = Formula::Parse(std::string(Formula::kMaxDepth + 1, '-') + "a");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::StrContains(f.status().message(), "unary minus")) << f.status();
  auto g = Formula::Parse(std::string(100000, '-') + "a");
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(absl::StrContains(g.status().message(), "longer than")) << g.status();
  // Mixed: "-(-(-(...a)))" counts both kinds.
  std::string mixed;
  for (int i = 0; i < 40; ++i) mixed += "-(";
  mixed += "a" + std::string(40, ')');
  EXPECT_FALSE(Formula::Parse(mixed).ok());
}

TEST(FormulaLimits, LongFlatFormulaWithinLimitEvaluates) {
  std::string text = "a";
  while (text.size() + 4 <= Formula::kMaxBytes) text += " + a";
  auto f = Formula::Parse(text);
  ASSERT_TRUE(f.ok()) << f.status();
  size_t terms = (text.size() + 3) / 4;
  EXPECT_DOUBLE_EQ(f->Eval([](std::string_view) { return 1.0; }), static_cast<double>(terms));
  EXPECT_TRUE(f->Linear());
  EXPECT_FALSE(Formula::Parse(text + " + a").ok());
}

}  // namespace
}  // namespace dc::model
