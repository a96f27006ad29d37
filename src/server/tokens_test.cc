#include "server/tokens.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/env.h"
#include "gtest/gtest.h"

namespace dc::server {
namespace {

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dc-tokens-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string FileText(const std::string& name) {
    std::ifstream f(dir_ / name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::filesystem::path dir_;
};

TEST_F(TokensTest, CreateVerifyRoundTrip) {
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->empty());
  TokenInfo info;
  auto token = (*store)->Create(Role::kWrite, "gateway", "site-7", &info);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->substr(0, 3), "dc_");
  EXPECT_EQ(info.id.size(), 12u);
  auto v = (*store)->Verify(*token);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->role, Role::kWrite);
  EXPECT_EQ(v->name, "gateway");
  EXPECT_EQ(v->site, "site-7");
  EXPECT_EQ(v->id, info.id);
}

TEST_F(TokensTest, PlaintextIsNeverStored) {
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  auto token = (*store)->Create(Role::kAdmin, "", "");
  ASSERT_TRUE(token.ok());
  std::string secret = token->substr(16);
  std::string file = FileText("tokens.json");
  EXPECT_EQ(file.find(secret), std::string::npos);
  EXPECT_NE(file.find("\"hash\""), std::string::npos);
  auto perms = std::filesystem::status(dir_ / "tokens.key").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_read, std::filesystem::perms::none);
}

TEST_F(TokensTest, RejectsWrongAndMalformedTokens) {
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  auto token = (*store)->Create(Role::kRead, "", "");
  ASSERT_TRUE(token.ok());
  std::string flipped = *token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  std::string other_id = *token;
  other_id[3] = other_id[3] == '0' ? '1' : '0';
  for (const std::string& bad :
       {flipped, other_id, std::string(""), std::string("dc_"), std::string("dc_x"),
        token->substr(0, token->size() - 1), *token + "x", std::string("Bearer ") + *token}) {
    auto v = (*store)->Verify(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
  }
}

TEST_F(TokensTest, PersistsAndRevokes) {
  std::string token;
  std::string id;
  {
    auto store = TokenStore::Open(dir_);
    ASSERT_TRUE(store.ok());
    TokenInfo info;
    auto t = (*store)->Create(Role::kAdmin, "ops", "", &info);
    ASSERT_TRUE(t.ok());
    token = *t;
    id = info.id;
    ASSERT_TRUE((*store)->Create(Role::kRead, "dash", "", nullptr).ok());
  }
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Verify(token).ok());
  ASSERT_EQ((*store)->List().size(), 2u);
  EXPECT_EQ((*store)->Revoke("nobody").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*store)->Revoke(id).ok());
  EXPECT_FALSE((*store)->Verify(token).ok());
  ASSERT_TRUE((*store)->Revoke("dash").ok());  // by unique name
  EXPECT_TRUE((*store)->List().empty());
}

TEST_F(TokensTest, TwoStoresOnOneDirectorySeeEachOther) {
  auto server = TokenStore::Open(dir_);
  auto cli = TokenStore::Open(dir_);
  ASSERT_TRUE(server.ok() && cli.ok());
  auto a = (*server)->Create(Role::kAdmin, "a", "");
  auto b = (*cli)->Create(Role::kWrite, "b", "");  // must not lose a
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*cli)->List().size(), 2u);
  // The server rereads the file when it changes (checked at most once a second).
  bool seen = false;
  for (int i = 0; i < 40 && !seen; ++i) {
    seen = (*server)->Verify(*b).ok();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(seen);
}

TEST_F(TokensTest, CorruptFileIsAClearError) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "tokens.json") << "{not json";
  auto store = TokenStore::Open(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(std::string(store.status().message()).find("tokens.json"), std::string::npos);
}

TEST(ExtractTokenTest, AllSchemes) {
  std::string p = "from-query";
  EXPECT_EQ(ExtractToken("Bearer abc", nullptr), "abc");
  EXPECT_EQ(ExtractToken("bearer   abc ", nullptr), "abc");
  EXPECT_EQ(ExtractToken("Token abc", nullptr), "abc");
  EXPECT_EQ(ExtractToken("Basic dGVsZWdyYWY6c2VjcmV0", nullptr), "secret");  // telegraf:secret
  EXPECT_EQ(ExtractToken("Basic !!!", nullptr), "");
  EXPECT_EQ(ExtractToken("", &p), "from-query");
  EXPECT_EQ(ExtractToken("Bearer hdr", &p), "hdr");
  EXPECT_EQ(ExtractToken("", nullptr), "");
  EXPECT_EQ(ExtractToken("Bearerabc", nullptr), "");
}

TEST(RoleTest, ParseAndName) {
  for (Role r : {Role::kRead, Role::kWrite, Role::kAdmin}) {
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
  }
  EXPECT_FALSE(ParseRole("root").ok());
}

TEST_F(TokensTest, NamesAndSitesAreCheckedText) {
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  for (std::string bad : {std::string("cli\xff"), std::string("a\0b", 3), std::string("tab\there"),
                          std::string(kMaxTokenNameBytes + 1, 'n')}) {
    auto t = (*store)->Create(Role::kRead, bad, "");
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(t.status().message().find("token name"), std::string::npos) << t.status();
  }
  EXPECT_TRUE((*store)->Create(Role::kRead, "r\xc3\xa9seau", "").ok());  // UTF-8 is fine
  EXPECT_TRUE((*store)->Create(Role::kRead, std::string(kMaxTokenNameBytes, 'n'), "").ok());
  for (std::string bad : {std::string("Site A"), std::string("../x"), std::string(65, 's')}) {
    auto t = (*store)->Create(Role::kRead, "x", bad);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ((*store)->List().size(), 2u);
}

TEST_F(TokensTest, FailedSaveLeavesStateUnchanged) {
  FaultInjectionEnv env(Env::Default());
  auto store = TokenStore::Open(dir_, &env);
  ASSERT_TRUE(store.ok()) << store.status();
  auto keep = (*store)->Create(Role::kAdmin, "keep", "");
  ASSERT_TRUE(keep.ok());
  const std::string before = FileText("tokens.json");
  for (int fault = 0; fault < 3; ++fault) {
    env.SetSyncFails(fault == 0);
    env.SetWriteBudget(fault == 1 ? 10 : -1);
    env.SetOpenFails(fault == 2);
    auto t = (*store)->Create(Role::kRead, "lost", "");
    EXPECT_FALSE(t.ok()) << "fault " << fault;
    EXPECT_EQ((*store)->List().size(), 1u) << "fault " << fault;
    EXPECT_FALSE((*store)->Revoke("keep").ok()) << "fault " << fault;
    ASSERT_EQ((*store)->List().size(), 1u) << "fault " << fault;  // still there in memory
    EXPECT_TRUE((*store)->Verify(*keep).ok()) << "fault " << fault;
    EXPECT_EQ(FileText("tokens.json"), before) << "fault " << fault;  // and on disk
  }
  env.SetSyncFails(false);
  env.SetWriteBudget(-1);
  env.SetOpenFails(false);
  EXPECT_TRUE((*store)->Revoke("keep").ok());
  EXPECT_TRUE((*store)->empty());
}

TEST_F(TokensTest, RevokeSeesOnlyVisibleTokens) {
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  TokenInfo root, other;
  ASSERT_TRUE((*store)->Create(Role::kAdmin, "root", "", &root).ok());
  ASSERT_TRUE((*store)->Create(Role::kRead, "b-reader", "b", &other).ok());
  auto only_a = [](const TokenInfo& t) { return t.site == "a"; };
  EXPECT_EQ((*store)->Revoke(root.id, only_a).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->Revoke("b-reader", only_a).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->List().size(), 2u);
  EXPECT_TRUE((*store)->Revoke(other.id).ok());
  EXPECT_EQ((*store)->List().size(), 1u);
}

TEST_F(TokensTest, FilesArePrivate) {
  auto store = TokenStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Create(Role::kRead, "r", "").ok());
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);
  for (const char* f : {"tokens.json", "tokens.key", "tokens.lock"}) {
    EXPECT_EQ(fs::status(dir_ / f).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << f;
  }
}

}  // namespace
}  // namespace dc::server
