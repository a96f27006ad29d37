#include "server/errors.h"

#include "common/env.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::server {
namespace {

TEST(ErrorsTest, StatusCodesMapToHttp) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(static_cast<absl::StatusCode>(99)), 500);
  EXPECT_EQ(ErrorCodeName(absl::StatusCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(ErrorCodeName(static_cast<absl::StatusCode>(99)), "unknown");
}

TEST(ErrorsTest, ApiBodyHasCodeMessageDetails) {
  absl::Status s = WithDetails(absl::InvalidArgumentError("line 2 is bad"),
                               R"({"errors":[{"line":2,"column":5}]})");
  auto doc = nlohmann::json::parse(ErrorBody(s, ErrorStyle::kApi));
  EXPECT_EQ(doc["error"]["code"], "invalid_argument");
  EXPECT_EQ(doc["error"]["message"], "line 2 is bad");
  EXPECT_EQ(doc["error"]["details"]["errors"][0]["column"], 5);
  auto plain = nlohmann::json::parse(ErrorBody(absl::NotFoundError("x"), ErrorStyle::kApi));
  EXPECT_TRUE(plain["error"]["details"].is_null());
}

TEST(ErrorsTest, InfluxBodyIsAString) {
  auto doc = nlohmann::json::parse(
      ErrorBody(absl::InvalidArgumentError("partial write: x dropped=1"), ErrorStyle::kInflux));
  ASSERT_TRUE(doc["error"].is_string());
  EXPECT_EQ(doc["error"], "partial write: x dropped=1");
}

TEST(ErrorsTest, InvalidUtf8InMessagesStillGivesValidJson) {
  std::string body = ErrorBody(absl::InvalidArgumentError("bad \xff\xfe byte"), ErrorStyle::kApi);
  auto doc = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("bad"), std::string::npos);
}

// A full disk is the server's problem: 507, not 413 (Telegraf drops a batch on 413 as "too
// large" and retries on 5xx). Other storage faults are 503 with Retry-After.
TEST(ErrorsTest, StorageFaultsAreServerErrorsNotTooLarge) {
  absl::Status full = MarkStorageFault(absl::ResourceExhaustedError("write: No space left"),
                                       StorageFault::kNoSpace);
  EXPECT_EQ(HttpStatusFor(full), 507);
  absl::Status io = MarkStorageFault(absl::InternalError("fdatasync: EIO"), StorageFault::kIo);
  EXPECT_EQ(HttpStatusFor(io), 503);
  // The mark survives added context.
  EXPECT_EQ(HttpStatusFor(AnnotateStatus(full, "wal append to 000001.wal")), 507);
  // Not a storage fault: by code, so "too large" stays 413.
  EXPECT_EQ(HttpStatusFor(absl::ResourceExhaustedError("body too large")), 413);
  EXPECT_TRUE(ErrorHeaders(absl::ResourceExhaustedError("body too large")).empty());
  auto headers = ErrorHeaders(full);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0].first, "Retry-After");
  EXPECT_EQ(headers[0].second, std::to_string(kStorageRetryAfterSeconds));
  EXPECT_EQ(ErrorHeaders(io).size(), 1u);
  auto doc = nlohmann::json::parse(ErrorBody(full, ErrorStyle::kApi));
  EXPECT_EQ(doc["error"]["code"], "insufficient_storage");
  EXPECT_EQ(nlohmann::json::parse(ErrorBody(io, ErrorStyle::kApi))["error"]["code"],
            "storage_unavailable");
}

}  // namespace
}  // namespace dc::server
