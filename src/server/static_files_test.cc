#include "server/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/router.h"

namespace dc::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string MakeDir() {
  std::string t = (fs::path(::testing::TempDir()) / "static_files_XXXXXX").string();
  EXPECT_NE(::mkdtemp(t.data()), nullptr);
  return t;
}

void Write(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(WriteFileAtomic(Env::Default(), path, data).ok());
}

std::string Header(const HttpResponse& res, const std::string& name) {
  for (const auto& [k, v] : res.headers) {
    if (k == name) return v;
  }
  return "";
}

// Routes a GET through a router holding the dashboard and one API route, as the server does.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeDir();
    Write(dir_ + "/index.html", "<!doctype html><title>dc</title>");
    Write(dir_ + "/assets/index-abc123.js", "console.log(1)");
    Write(dir_ + "/assets/index-abc123.css", "body{}");
    Write(dir_ + "/favicon.svg", "<svg/>");
    Write(dir_ + "/.env", "SECRET=1");
    Write(dir_ + "/../outside.txt", "outside");
    files_ = std::make_unique<StaticFiles>(dir_);
    files_->Register(router_);
    router_.Add({"GET", "/api/v1/sites", "sites", Access::kRead, ErrorStyle::kApi,
                 [](HttpRequest&, HttpResponse& res) {
                   res.body = "[]";
                   return absl::OkStatus();
                 }});
    router_.Add({"POST", "/write", "write", Access::kWrite, ErrorStyle::kInflux,
                 [](HttpRequest&, HttpResponse&) { return absl::OkStatus(); }});
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The route's answer; `route_name` gets the matched route ("" when none).
  absl::Status Get(const std::string& path, HttpResponse* res, std::string* route_name = nullptr,
                   const std::string& method = "GET") {
    Router::Match m = router_.Find(method, path);
    if (route_name != nullptr) *route_name = m.route ? m.route->name : "";
    if (m.route == nullptr) {
      return m.path_known ? absl::InvalidArgumentError("405") : absl::NotFoundError("no route");
    }
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.path_params = m.params;
    return m.route->handler(req, *res);
  }

  std::string dir_;
  Router router_;
  std::unique_ptr<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesIndexAtRoot) {
  HttpResponse res;
  ASSERT_TRUE(Get("/", &res).ok());
  EXPECT_EQ(res.body, "<!doctype html><title>dc</title>");
  EXPECT_EQ(res.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(res, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, ServesAssetsWithTypeAndLongCache) {
  HttpResponse js, css, svg;
  ASSERT_TRUE(Get("/assets/index-abc123.js", &js).ok());
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(js, "X-Content-Type-Options"), "nosniff");
  ASSERT_TRUE(Get("/assets/index-abc123.css", &css).ok());
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  ASSERT_TRUE(Get("/favicon.svg", &svg).ok());
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(Header(svg, "Cache-Control"), "no-cache");  // not content-hashed
}

TEST_F(StaticFilesTest, AppRoutesFallBackToIndex) {
  for (const char* path : {"/overview", "/sites/cement/trends", "/carbon/2026-11", "/assets"}) {
    HttpResponse res;
    ASSERT_TRUE(Get(path, &res).ok()) << path;
    EXPECT_EQ(res.body, "<!doctype html><title>dc</title>") << path;
    EXPECT_EQ(Header(res, "Cache-Control"), "no-cache") << path;
  }
}

TEST_F(StaticFilesTest, MissingFileWithExtensionIs404) {
  HttpResponse res;
  absl::Status s = Get("/assets/missing-1.js", &res);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("assets/missing-1.js"));
}

TEST_F(StaticFilesTest, ApiPathsKeepTheirAnswers) {
  HttpResponse res;
  std::string route;
  ASSERT_TRUE(Get("/api/v1/sites", &res, &route).ok());
  EXPECT_EQ(route, "sites");
  absl::Status s = Get("/api/v1/nothing", &res, &route);
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("no route GET /api/v1/nothing"));
  EXPECT_TRUE(absl::IsNotFound(Get("/write/x", &res)));
  // GET /write: the exact POST route owns the path, so 405, not the dashboard.
  EXPECT_TRUE(absl::IsInvalidArgument(Get("/write", &res, &route)));
  EXPECT_EQ(route, "");
}

TEST_F(StaticFilesTest, NoPathTraversal) {
  for (const char* path : {"/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt",
                           "/%2E%2E", "/assets/%2e%2e/%2e%2e/outside.txt", "/.env", "/%2eenv",
                           "/a%00b.js", "/a%5c..%5cb", "/assets/.", "/%ff.js"}) {
    HttpResponse res;
    absl::Status s = Get(path, &res);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << path << ": " << s;
    EXPECT_EQ(res.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(res.body.find("SECRET"), std::string::npos) << path;
  }
  // An encoded '/' cannot form a segment; an absolute path has an empty segment: no route.
  for (const char* path : {"/..%2foutside.txt", "//etc/passwd", "/assets//x.js"}) {
    HttpResponse res;
    std::string route;
    EXPECT_TRUE(absl::IsNotFound(Get(path, &res, &route))) << path;
    EXPECT_EQ(route, "") << path;
  }
}

TEST_F(StaticFilesTest, UnbuiltDashboardIs503SayingHowToBuild) {
  StaticFiles missing(dir_ + "/nope");
  HttpRequest req;
  req.method = "GET";
  req.path = "/";
  HttpResponse res;
  absl::Status s = missing.Serve(req, res);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("scripts/build-web.sh"));
}

TEST(StaticFilesPure, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("a.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("a.exe"), "application/octet-stream");
}

TEST(StaticFilesPure, ApiPaths) {
  EXPECT_TRUE(IsApiPath("/api/v1/x"));
  EXPECT_TRUE(IsApiPath("/metrics"));
  EXPECT_FALSE(IsApiPath("/apis"));
  EXPECT_FALSE(IsApiPath("/overview"));
  EXPECT_FALSE(IsApiPath("/"));
}

}  // namespace
}  // namespace dc::server
