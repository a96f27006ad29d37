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
  EXPECT_EQ(wrong.allow, "GET, POST, HEAD");
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

Router SitesRouter() {
  Router r;
  r.Add({"GET", "/api/v1/sites", "sites", Access::kRead, ErrorStyle::kApi, nullptr});
  r.Add({"GET", "/api/v1/sites/{id}", "site-get", Access::kRead, ErrorStyle::kApi, nullptr});
  r.Add({"PUT", "/api/v1/sites/{id}", "site-put", Access::kAdmin, ErrorStyle::kApi, nullptr});
  r.Add({"GET", "/api/v1/sites/{id}/inventory", "inv", Access::kRead, ErrorStyle::kApi, nullptr});
  r.Add({"GET", "/api/v1/sites/stats", "stats", Access::kRead, ErrorStyle::kApi, nullptr});
  return r;
}

TEST(RouterTest, PathParametersCaptureOneDecodedSegment) {
  Router r = SitesRouter();
  auto m = r.Find("GET", "/api/v1/sites/kiln-1");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "site-get");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "kiln-1");

  auto inv = r.Find("GET", "/api/v1/sites/a%20b/inventory");
  ASSERT_NE(inv.route, nullptr);
  EXPECT_EQ(inv.route->name, "inv");
  ASSERT_EQ(inv.params.size(), 1u);
  EXPECT_EQ(inv.params[0].second, "a b");

  HttpRequest req;
  req.path_params = inv.params;
  EXPECT_EQ(req.PathParam("id"), "a b");
  EXPECT_EQ(req.PathParam("nope"), "");

  auto put = r.Find("PUT", "/api/v1/sites/x");
  ASSERT_NE(put.route, nullptr);
  EXPECT_EQ(put.route->name, "site-put");
  // HEAD falls back to the GET pattern with its parameters.
  auto head = r.Find("HEAD", "/api/v1/sites/x");
  ASSERT_NE(head.route, nullptr);
  EXPECT_EQ(head.route->name, "site-get");
  EXPECT_EQ(head.params.at(0).second, "x");
}

TEST(RouterTest, PathParametersDoNotMatchEmptyExtraOrEncodedSlashSegments) {
  Router r = SitesRouter();
  EXPECT_EQ(r.Find("GET", "/api/v1/sites/").route, nullptr);
  EXPECT_FALSE(r.Find("GET", "/api/v1/sites/").path_known);
  EXPECT_EQ(r.Find("GET", "/api/v1/sites/a/b").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1/sites/a/inventory/x").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1/sites//inventory").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1/sites/a%2Fb").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1/sites/bad%zz").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v2/sites/a").route, nullptr);
}

TEST(RouterTest, ExactRouteWinsOverPatternAndDecides405) {
  Router r = SitesRouter();
  auto stats = r.Find("GET", "/api/v1/sites/stats");
  ASSERT_NE(stats.route, nullptr);
  EXPECT_EQ(stats.route->name, "stats");
  EXPECT_TRUE(stats.params.empty());
  // PUT exists for the pattern but the exact route owns this path: 405 with its methods.
  auto put = r.Find("PUT", "/api/v1/sites/stats");
  EXPECT_EQ(put.route, nullptr);
  EXPECT_TRUE(put.path_known);
  EXPECT_EQ(put.allow, "GET, HEAD");
  // Wrong method on a pattern route: 405 with the pattern's methods.
  auto del = r.Find("DELETE", "/api/v1/sites/x");
  EXPECT_EQ(del.route, nullptr);
  EXPECT_TRUE(del.path_known);
  EXPECT_EQ(del.allow, "GET, PUT, HEAD");
  auto post = r.Find("POST", "/api/v1/sites/x/inventory");
  EXPECT_TRUE(post.path_known);
  EXPECT_EQ(post.allow, "GET, HEAD");
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
