// POST /api/v1/import against a real store on a FaultInjectionEnv: the answer for good and bad
// rows, 400 when nothing is good, storage faults as 5xx (the write path's mapping).
#include "server/import_api.h"

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

class ImportApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("dc_import_api_" + std::to_string(getpid()))).string();
    fs::remove_all(dir_);
    StoreOptions o;
    o.dir = dir_;
    o.env = &env_;
    o.fsync.mode = FsyncPolicy::Mode::kOff;
    o.background = false;
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    api_ = std::make_unique<ImportApi>(*store_, metrics_, nullptr, 64 << 20);
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  absl::Status Post(std::string query, std::string body, HttpResponse* res) {
    body_ = std::move(body);
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/import";
    auto p = Params::Parse(query);
    EXPECT_TRUE(p.ok());
    req.params = *p;
    req.body = &body_;
    req.scratch = &scratch_;
    return api_->Import(req, *res);
  }

  std::string dir_;
  FaultInjectionEnv env_{Env::Default()};
  std::unique_ptr<Store> store_;
  Metrics metrics_;
  std::unique_ptr<ImportApi> api_;
  std::string body_;
  ConnScratch scratch_;
};

TEST_F(ImportApiTest, GoodAndBadRowsAreAnswered) {
  HttpResponse res;
  absl::Status s = Post("format=wide&map=a%3Dm%2Cid%3Da%20value",
                        "time,a\n2025-01-01T00:00:00Z,1\nx,2\n2025-01-01T00:15:00Z,NA\n", &res);
  ASSERT_TRUE(s.ok()) << s;
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["points"], 1);
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["skipped"], 1);
  EXPECT_EQ(j["empty_cells"], 1);
  EXPECT_EQ(j["errors"][0]["line"], 3);
  auto raw = store_->QueryRaw("m,id=a value", 0, INT64_MAX);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 1u);
}

TEST_F(ImportApiTest, NothingGoodIs400AndUnknownParameterNamed) {
  HttpResponse res;
  absl::Status s = Post("", "time,meter,value\nx,m,1\n", &res);
  EXPECT_EQ(HttpStatusFor(s), 400);
  EXPECT_THAT(s.message(), HasSubstr("nothing imported (1 bad rows of 1): line 2"));
  s = Post("colour=red", "time,meter,value\n", &res);
  EXPECT_EQ(HttpStatusFor(s), 400);
  EXPECT_THAT(s.message(), HasSubstr("unknown import option \"colour\""));
}

TEST_F(ImportApiTest, DiskFullIs507) {
  env_.SetWriteBudget(0);
  HttpResponse res;
  absl::Status s = Post("", "time,meter,value\n2025-01-01T00:00:00Z,m,1\n", &res);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(HttpStatusFor(s), 507) << s;
  env_.SetWriteBudget(-1);
}

}  // namespace
}  // namespace dc::server
