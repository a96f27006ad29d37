// Api handlers against a real store on a FaultInjectionEnv: what a client sees when the disk
// fills or fails, and the database-name rules of InfluxQL's CREATE DATABASE.
#include "server/api.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/errors.h"

namespace dc::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ApiFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("dc_api_" + std::to_string(getpid()))).string();
    fs::remove_all(dir_);
    StoreOptions o;
    o.dir = dir_;
    o.env = &env_;
    o.fsync.mode = FsyncPolicy::Mode::kOff;
    o.background = false;
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    api_ = std::make_unique<Api>(*store_, nullptr, metrics_, ApiOptions{});
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // POST /write with `body`; returns the handler's status, *res filled.
  absl::Status Write(std::string body, HttpResponse* res) {
    body_ = std::move(body);
    HttpRequest req;
    req.method = "POST";
    req.path = "/write";
    req.body = &body_;
    req.scratch = &scratch_;
    req.received_ns = 1'700'000'000'000'000'000;
    return api_->Write(req, *res);
  }
  nlohmann::json Health() {
    HttpRequest req;
    HttpResponse res;
    EXPECT_TRUE(api_->Health(req, res).ok());
    return nlohmann::json::parse(res.body);
  }

  std::string dir_;
  FaultInjectionEnv env_{Env::Default()};
  std::unique_ptr<Store> store_;
  Metrics metrics_;
  std::unique_ptr<Api> api_;
  std::string body_;
  ConnScratch scratch_;
};

TEST_F(ApiFaultTest, DiskFullIs507WithRetryAfterAndDegradedHealthNot413) {
  HttpResponse res;
  ASSERT_TRUE(Write("m v=1 1", &res).ok());
  EXPECT_EQ(Health()["status"], "ok");
  env_.SetWriteBudget(0);
  absl::Status s = Write("m v=2 2", &res);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(HttpStatusFor(s), 507) << s;
  EXPECT_THAT(s.message(), HasSubstr("No space left on device"));
  ASSERT_EQ(ErrorHeaders(s).size(), 1u);
  EXPECT_EQ(ErrorHeaders(s)[0].first, "Retry-After");
  nlohmann::json h = Health();
  EXPECT_EQ(h["status"], "degraded");
  EXPECT_EQ(h["storage_error"]["kind"], "no_space");
  EXPECT_THAT(h["storage_error"]["message"].get<std::string>(), HasSubstr("No space"));
  EXPECT_FALSE(h["storage_error"]["time"].get<std::string>().empty());
  std::string text = metrics_.Render(store_->Stats(), 0);
  EXPECT_THAT(text, HasSubstr("dualcarbon_storage_errors_total{kind=\"no_space\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("dualcarbon_storage_degraded 1\n"));
  // Space again: the next write succeeds and health recovers (the last error stays visible).
  env_.SetWriteBudget(-1);
  ASSERT_TRUE(Write("m v=3 3", &res).ok());
  h = Health();
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["storage_error"]["kind"], "no_space");
}

TEST_F(ApiFaultTest, FailingSyncIs503) {
  store_.reset();
  StoreOptions o;
  o.dir = dir_;
  o.env = &env_;
  o.fsync.mode = FsyncPolicy::Mode::kAlways;
  o.background = false;
  auto st = Store::Open(o);
  ASSERT_TRUE(st.ok()) << st.status();
  store_ = std::move(*st);
  api_ = std::make_unique<Api>(*store_, nullptr, metrics_, ApiOptions{});
  env_.SetSyncFails(true);
  HttpResponse res;
  absl::Status s = Write("m v=1 1", &res);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(HttpStatusFor(s), 503) << s;
  EXPECT_EQ(Health()["storage_error"]["kind"], "io");
  env_.SetSyncFails(false);
}

TEST(StorageFaultLog, RateLimitedPerKindWithSuppressedCount) {
  Metrics m;
  const int64_t s = 1'000'000'000;
  EXPECT_EQ(m.StorageFaultSeen(StorageFault::kNoSpace, "full", 1 * s, 0), 0);  // logged
  EXPECT_EQ(m.StorageFaultSeen(StorageFault::kNoSpace, "full", 2 * s, 0), -1);
  EXPECT_EQ(m.StorageFaultSeen(StorageFault::kNoSpace, "full", 3 * s, 0), -1);
  EXPECT_EQ(m.StorageFaultSeen(StorageFault::kIo, "eio", 3 * s, 0), 0);  // its own budget
  EXPECT_EQ(m.StorageFaultSeen(StorageFault::kNoSpace, "full", 12 * s, 0), 2);
  EXPECT_THAT(m.Render(StoreStats{}, 0),
              HasSubstr("dualcarbon_storage_errors_total{kind=\"no_space\"} 4\n"));
}

}  // namespace
}  // namespace dc::server
