// API tokens: roles, hashed storage in DIR/tokens.json, constant-time verification.
//
// A token reads "dc_<id>_<secret>": <id> is 12 hex digits naming the record (not secret),
// <secret> 43 base64url characters (256 random bits). The file keeps only a keyed BLAKE2b-256
// of the whole token (key in DIR/tokens.key, mode 0600), so the plaintext is shown once, at
// creation, and never again.
#ifndef DC_SERVER_TOKENS_H_
#define DC_SERVER_TOKENS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/env.h"

namespace dc::server {

enum class Role { kRead, kWrite, kAdmin };
absl::StatusOr<Role> ParseRole(std::string_view text);  // "read" | "write" | "admin"
std::string_view RoleName(Role role);

// What a route requires of the caller's token.
enum class Access { kPublic, kAnyToken, kRead, kWrite, kAdmin };
// True when `role` may use a route requiring `access`: admin may do all; read tokens read;
// write tokens write; kAnyToken accepts every role.
bool Allows(Role role, Access access);

struct TokenInfo {
  std::string id;    // 12 hex digits, public
  std::string name;  // free text, may be empty
  Role role = Role::kRead;
  std::string site;  // scope: a site id (enforced on /api/v1/sites/..., sites_api.h); empty = all
  int64_t created_ns = 0;
};

// Longest token name accepted (bytes of UTF-8).
inline constexpr size_t kMaxTokenNameBytes = 128;

// Thread-safe. Several processes may share one directory: changes are written atomically
// under DIR/tokens.lock, and a running server rereads the file when it changes (checked at
// most once a second). All file and clock access goes through the Env. When saving fails the
// store keeps the state it had before the call.
class TokenStore {
 public:
  // Opens the tokens of `dir` (created if absent), creating the hash key on first use.
  // `env` is borrowed and must outlive the store.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(const std::string& dir,
                                                          Env* env = Env::Default());

  // Creates a token and returns its plaintext (the only time it is available). InvalidArgument
  // when `name` is not valid text (dc::CheckText, at most kMaxTokenNameBytes) or `site` is
  // neither empty nor a site id. Who may mint what is decided by the caller (scope.h CheckMint).
  absl::StatusOr<std::string> Create(Role role, std::string_view name, std::string_view site,
                                     TokenInfo* info = nullptr);
  // All tokens, oldest first.
  std::vector<TokenInfo> List();
  // Tokens `visible` accepts; the others do not exist for this call.
  using Visible = std::function<bool(const TokenInfo&)>;
  // Removes the token with this id (or, if no id matches, the single token with this name)
  // among those `visible` accepts (all when null). NotFound when there is none.
  absl::Status Revoke(std::string_view id_or_name, const Visible& visible = nullptr);
  // The record of `token`, or kUnauthenticated. Constant time in the secret.
  absl::StatusOr<TokenInfo> Verify(std::string_view token);
  bool empty();

 private:
  struct Record {
    TokenInfo info;
    std::string hash;  // 32 raw bytes
  };
  TokenStore(Env* env, std::string dir, std::string key)
      : env_(env), dir_(std::move(dir)), key_(std::move(key)) {}
  std::string Hash(std::string_view token) const;
  int64_t FileStampOf(const std::string& path);
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `records` and, only when that succeeded, makes them the store's.
  absl::Status CommitLocked(std::vector<Record> records) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeReload();

  Env* const env_;
  const std::string dir_;
  const std::string key_;
  absl::Mutex mu_;
  std::vector<Record> records_ ABSL_GUARDED_BY(mu_);
  int64_t file_stamp_ ABSL_GUARDED_BY(mu_) = -1;  // mtime ns ^ size of the file last read
  std::atomic<int64_t> last_check_ns_{0};
};

// The token carried by a request: "Authorization: Bearer <t>", "Authorization: Token <t>",
// "Authorization: Basic base64(user:<t>)", or the query parameter p (InfluxDB 1.x ?u=&p=).
// Returns "" when there is none.
std::string ExtractToken(std::string_view authorization, const std::string* p_param);

}  // namespace dc::server

#endif  // DC_SERVER_TOKENS_H_
