#include "server/scope.h"

#include "gtest/gtest.h"

namespace dc::server {
namespace {

TokenInfo Tok(Role role, std::string site = "") {
  TokenInfo t;
  t.id = "000000000001";
  t.role = role;
  t.site = std::move(site);
  return t;
}

TEST(ScopeTest, SiteIds) {
  EXPECT_TRUE(CheckSiteId("site", "kiln-1_a").ok());
  EXPECT_FALSE(CheckSiteId("site", "").ok());
  EXPECT_FALSE(CheckSiteId("site", "Kiln").ok());
  EXPECT_FALSE(CheckSiteId("site", "a/b").ok());
  EXPECT_FALSE(CheckSiteId("site", std::string(65, 'a')).ok());
  EXPECT_TRUE(CheckSiteId("site", std::string(64, 'a')).ok());
  EXPECT_NE(CheckSiteId("site", "a\xff").message().find("byte 1"), std::string::npos);
}

TEST(ScopeTest, SeriesBelongToTheirSiteTag) {
  EXPECT_EQ(SiteOfSeries("meter,id=grid,site=a value"), "a");
  EXPECT_EQ(SiteOfSeries("meter,site=b,id=grid value"), "b");
  EXPECT_EQ(SiteOfSeries("meter,id=grid value"), "");
  TokenInfo a = Tok(Role::kRead, "a"), all = Tok(Role::kRead);
  EXPECT_TRUE(SeriesInScope(&a, "meter,id=grid,site=a value"));
  EXPECT_FALSE(SeriesInScope(&a, "meter,id=grid,site=b value"));
  EXPECT_FALSE(SeriesInScope(&a, "meter,id=grid value"));  // untagged: unscoped tokens only
  EXPECT_FALSE(SeriesInScope(&a, "meter,id=grid,site=ab value"));
  EXPECT_TRUE(SeriesInScope(&all, "meter,id=grid value"));
  EXPECT_TRUE(SeriesInScope(nullptr, "meter,id=grid,site=b value"));  // auth off
}

TEST(ScopeTest, RestrictToScopeKeepsOnlyTheTokensSite) {
  PointBatch b;
  b.Add("meter,id=g,site=a value", 1, 1);
  b.Add("meter,id=g,site=b value", 2, 5000000);
  b.Add("meter,id=g value", 3, 7);
  b.Add("meter,id=g,site=a value", 4, 2);
  TokenInfo a = Tok(Role::kWrite, "a");
  absl::Status s = RestrictToScope(&a, &b);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("refused 2 of 4 points"), std::string::npos) << s;
  EXPECT_NE(s.message().find("meter,id=g,site=b value"), std::string::npos) << s;
  EXPECT_NE(s.message().find("no site tag"), std::string::npos) << s;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.keys()[b.rows()[0].series], "meter,id=g,site=a value");
  EXPECT_EQ(b.rows()[1].t, 4);
  // Unscoped tokens and auth off keep everything.
  PointBatch c;
  c.Add("meter,id=g value", 1, 1);
  TokenInfo all = Tok(Role::kWrite);
  EXPECT_TRUE(RestrictToScope(&all, &c).ok());
  EXPECT_TRUE(RestrictToScope(nullptr, &c).ok());
  EXPECT_EQ(c.size(), 1u);
}

TEST(ScopeTest, MintingNeverEscalates) {
  TokenInfo root = Tok(Role::kAdmin), site_admin = Tok(Role::kAdmin, "a");
  TokenInfo writer = Tok(Role::kWrite), reader_a = Tok(Role::kRead, "a");
  EXPECT_TRUE(CheckMint(&root, Role::kAdmin, "").ok());
  EXPECT_TRUE(CheckMint(&root, Role::kRead, "b").ok());
  EXPECT_TRUE(CheckMint(&site_admin, Role::kAdmin, "a").ok());
  EXPECT_TRUE(CheckMint(&site_admin, Role::kWrite, "a").ok());
  // A site admin may not mint an unscoped token nor one for another site.
  EXPECT_EQ(CheckMint(&site_admin, Role::kAdmin, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckMint(&site_admin, Role::kRead, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckMint(&site_admin, Role::kRead, "b").code(), absl::StatusCode::kPermissionDenied);
  // Roles no higher than one's own; write and read do not cover each other.
  EXPECT_EQ(CheckMint(&writer, Role::kAdmin, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckMint(&writer, Role::kRead, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckMint(&writer, Role::kWrite, "").ok());
  EXPECT_TRUE(CheckMint(&reader_a, Role::kRead, "a").ok());
  EXPECT_EQ(CheckMint(&reader_a, Role::kWrite, "a").code(), absl::StatusCode::kPermissionDenied);
  // The site must be a site id, whoever asks.
  EXPECT_EQ(CheckMint(nullptr, Role::kRead, "Bad Site").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckMint(nullptr, Role::kAdmin, "").ok());
}

TEST(ScopeTest, ManageOnlyInsideOwnScope) {
  TokenInfo root = Tok(Role::kAdmin), site_admin = Tok(Role::kAdmin, "a");
  EXPECT_TRUE(CanManage(&root, Tok(Role::kAdmin)));
  EXPECT_TRUE(CanManage(&root, Tok(Role::kRead, "b")));
  EXPECT_TRUE(CanManage(&site_admin, Tok(Role::kRead, "a")));
  EXPECT_FALSE(CanManage(&site_admin, Tok(Role::kRead, "b")));
  EXPECT_FALSE(CanManage(&site_admin, Tok(Role::kAdmin)));  // the unscoped admin
  EXPECT_TRUE(CanManage(nullptr, Tok(Role::kAdmin)));
}

Route MakeRoute(Access access, ScopeRule scope) {
  Route r;
  r.method = "GET";
  r.path = "/x";
  r.access = access;
  r.scope = scope;
  return r;
}

TEST(ScopeTest, AuthorizeChecksRoleThenDeclaredScope) {
  TokenInfo reader_a = Tok(Role::kRead, "a"), writer = Tok(Role::kWrite);
  HttpRequest req;
  req.method = "GET";
  req.path = "/x";
  req.token = &writer;
  EXPECT_EQ(Authorize(MakeRoute(Access::kRead, ScopeRule::kNone), req).code(),
            absl::StatusCode::kPermissionDenied);  // role
  req.token = &reader_a;
  EXPECT_TRUE(Authorize(MakeRoute(Access::kRead, ScopeRule::kNone), req).ok());
  EXPECT_EQ(Authorize(MakeRoute(Access::kRead, ScopeRule::kAllSites), req).code(),
            absl::StatusCode::kPermissionDenied);
  req.path_params = {{"id", "a"}};
  EXPECT_TRUE(Authorize(MakeRoute(Access::kRead, ScopeRule::kSitePath), req).ok());
  req.path_params = {{"id", "b"}};
  absl::Status s = Authorize(MakeRoute(Access::kRead, ScopeRule::kSitePath), req);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("site \"b\""), std::string::npos) << s;
  // A query's series are checked by its handler (ScopeQuery), on the parsed request.
  req.params = *Params::Parse("series=meter,id%3Dg,site%3Db");
  EXPECT_TRUE(Authorize(MakeRoute(Access::kRead, ScopeRule::kQuerySeries), req).ok());
}

QuerySpec Spec(std::string_view query) {
  auto p = Params::Parse(query);
  EXPECT_TRUE(p.ok()) << p.status();
  auto spec = ParseQuerySpec(*p, 1'800'000'000'000'000'000);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : QuerySpec{};
}

TEST(ScopeTest, QueryListsOnlyTheTokensSite) {
  TokenInfo reader_a = Tok(Role::kRead, "a");
  QuerySpec q = Spec("series=meter,site%3Da,id%3Dg%20value&series=meter,id%3Dg,site%3Da&start=0");
  EXPECT_TRUE(ScopeQuery(&reader_a, &q).ok());
  q = Spec("series=meter,site%3Da,id%3Dg&series=meter,id%3Dg,site%3Db&start=0");
  absl::Status s = ScopeQuery(&reader_a, &q);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("meter,id=g,site=b value"), std::string::npos) << s;
  q = Spec("series=meter,id%3Dg&start=0");  // no site tag
  EXPECT_EQ(ScopeQuery(&reader_a, &q).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(ScopeQuery(nullptr, &q).ok());  // auth off
}

TEST(ScopeTest, QuerySelectionIsPinnedToTheTokensSite) {
  TokenInfo reader_a = Tok(Role::kRead, "a"), reader_all = Tok(Role::kRead);
  QuerySpec q = Spec("where=kind%3Denergy&field=kwh&start=0");
  ASSERT_TRUE(ScopeQuery(&reader_a, &q).ok());
  EXPECT_TRUE(SelectionMatches(q.selection, "meter,id=1,kind=energy,site=a kwh"));
  EXPECT_FALSE(SelectionMatches(q.selection, "meter,id=1,kind=energy,site=b kwh"));
  EXPECT_FALSE(SelectionMatches(q.selection, "meter,id=1,kind=energy kwh"));  // no site
  q = Spec("where=site%3Db&start=0");
  absl::Status s = ScopeQuery(&reader_a, &q);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("site \"b\""), std::string::npos) << s;
  q = Spec("where=site%3Da&where=site%3Db&start=0");
  EXPECT_EQ(ScopeQuery(&reader_a, &q).code(), absl::StatusCode::kPermissionDenied);
  q = Spec("measurement=meter&start=0");
  ASSERT_TRUE(ScopeQuery(&reader_all, &q).ok());
  EXPECT_TRUE(SelectionMatches(q.selection, "meter,id=1,site=b kwh"));  // unscoped: unchanged
}

TEST(ScopeTest, SiteParamIsTheTokensSite) {
  TokenInfo reader_a = Tok(Role::kRead, "a"), reader_all = Tok(Role::kRead);
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/stream";
  req.token = &reader_a;
  Route stream = MakeRoute(Access::kRead, ScopeRule::kSiteParam);
  req.params = *Params::Parse("site=a");
  EXPECT_TRUE(Authorize(stream, req).ok());
  req.params = *Params::Parse("site=b");
  absl::Status s = Authorize(stream, req);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("site \"b\""), std::string::npos) << s;
  req.params = *Params::Parse("");
  EXPECT_EQ(Authorize(stream, req).code(), absl::StatusCode::kPermissionDenied);
  req.token = &reader_all;
  req.params = *Params::Parse("site=b");
  EXPECT_TRUE(Authorize(stream, req).ok());
}

}  // namespace
}  // namespace dc::server
