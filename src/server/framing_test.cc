#include "server/framing.h"

#include "gtest/gtest.h"

namespace dc::server {
namespace {

using V = std::vector<std::string_view>;

TEST(FramingTest, UnambiguousLengthsPass) {
  EXPECT_TRUE(CheckFraming({}, {}).ok());
  EXPECT_TRUE(CheckFraming({}, {"12"}).ok());
  EXPECT_TRUE(CheckFraming({}, {"12", "12"}).ok());  // repeated, same value
  EXPECT_TRUE(CheckFraming({}, {"12, 12"}).ok());
  EXPECT_TRUE(CheckFraming({"chunked"}, {}).ok());
  EXPECT_TRUE(CheckFraming({"Chunked"}, {}).ok());
}

TEST(FramingTest, TransferCodingsOtherThanChunkedAreNotImplemented) {
  for (V te : {V{"foo"}, V{"gzip"}, V{"chunked, gzip"}, V{"gzip, chunked"}, V{"gzip", "chunked"},
               V{"identity"}, V{"chunked;x=1, deflate"}}) {
    absl::Status s = CheckFraming(te, {});
    EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << te[0] << ": " << s;
  }
  EXPECT_NE(CheckFraming({"gzip, chunked"}, {}).message().find("\"gzip\""), std::string::npos);
}

TEST(FramingTest, AmbiguousOrMalformedLengthsAreBadRequests) {
  auto bad = [](V te, V cl) {
    return CheckFraming(te, cl).code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(bad({"chunked"}, {"5"}));  // Content-Length with Transfer-Encoding
  EXPECT_TRUE(bad({"foo"}, {"5"}));
  EXPECT_TRUE(bad({}, {"5", "6"}));  // conflicting
  EXPECT_TRUE(bad({}, {"5, 6"}));
  EXPECT_TRUE(bad({}, {"-1"}));
  EXPECT_TRUE(bad({}, {"0x10"}));
  EXPECT_TRUE(bad({}, {""}));
  EXPECT_TRUE(bad({}, {"99999999999999999999999"}));
  EXPECT_TRUE(bad({"chunked, chunked"}, {}));
  EXPECT_TRUE(bad({"chunked,"}, {}));
  EXPECT_TRUE(bad({""}, {}));
}

}  // namespace
}  // namespace dc::server
