#include "server/router.h"

#include "gtest/gtest.h"

namespace dc::server {
namespace {

Handler Named(std::string* called, std::string name) {
  return [called, name](HttpRequest&, HttpResponse&) {
    *called = name;
    return absl::OkStatus();
  };
}

TEST(RouterTest, FindsExactMethodAndPath) {
  std::string called;
  Router r;
  r.Add({"GET", "/api/v1/query", "query", Access::kRead, ErrorStyle::kApi, Named(&called, "q")});
  r.Add({"POST", "/write", "write", Access::kWrite, ErrorStyle::kInflux, Named(&called, "w")});
  auto m = r.Find("POST", "/write");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "write");
  EXPECT_EQ(m.route->access, Access::kWrite);
  HttpRequest req;
  HttpResponse res;
  ASSERT_TRUE(m.route->handler(req, res).ok());
  EXPECT_EQ(called, "w");
}

TEST(RouterTest, UnknownPathAndWrongMethod) {
  Router r;
  r.Add({"GET", "/api/v1/query", "query", Access::kRead, ErrorStyle::kApi, nullptr});
  r.Add({"POST", "/api/v1/query", "query", Access::kRead, ErrorStyle::kApi, nullptr});
  auto none = r.Find("GET", "/api/v1/nope");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_FALSE(none.path_known);
  auto wrong = r.Find("DELETE", "/api/v1/query");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_TRUE(wrong.path_known);
  EXPECT_EQ(wrong.allow, "GET, POST");
  // Paths match exactly: no prefix or trailing-slash matches.
  EXPECT_EQ(r.Find("GET", "/api/v1/query/").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1").route, nullptr);
}

TEST(RouterTest, HeadFallsBackToGetUnlessRouted) {
  Router r;
  r.Add({"GET", "/health", "health", Access::kPublic, ErrorStyle::kApi, nullptr});
  r.Add({"GET", "/ping", "ping-get", Access::kPublic, ErrorStyle::kInflux, nullptr});
  r.Add({"HEAD", "/ping", "ping-head", Access::kPublic, ErrorStyle::kInflux, nullptr});
  ASSERT_NE(r.Find("HEAD", "/health").route, nullptr);
  EXPECT_EQ(r.Find("HEAD", "/health").route->name, "health");
  EXPECT_EQ(r.Find("HEAD", "/ping").route->name, "ping-head");
  EXPECT_EQ(r.Find("POST", "/health").route, nullptr);
}

TEST(AccessTest, RolesAndRoutes) {
  EXPECT_TRUE(Allows(Role::kWrite, Access::kWrite));
  EXPECT_FALSE(Allows(Role::kWrite, Access::kRead));
  EXPECT_FALSE(Allows(Role::kWrite, Access::kAdmin));
  EXPECT_TRUE(Allows(Role::kRead, Access::kRead));
  EXPECT_FALSE(Allows(Role::kRead, Access::kWrite));
  EXPECT_TRUE(Allows(Role::kRead, Access::kAnyToken));
  EXPECT_TRUE(Allows(Role::kAdmin, Access::kRead));
  EXPECT_TRUE(Allows(Role::kAdmin, Access::kWrite));
  EXPECT_TRUE(Allows(Role::kAdmin, Access::kAdmin));
}

}  // namespace
}  // namespace dc::server
