#include "server/tokens.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "common/strings.h"
#include "common/text.h"
#include "nlohmann/json.hpp"
#include "server/scope.h"

namespace dc::server {
namespace {

constexpr char kTokensFile[] = "tokens.json";
constexpr char kKeyFile[] = "tokens.key";
constexpr char kLockFile[] = "tokens.lock";
constexpr size_t kIdBytes = 6;                           // 12 hex digits
constexpr size_t kSecretBytes = 32;                      // 256 bits
constexpr size_t kHashBytes = crypto_generichash_BYTES;  // 32
constexpr int64_t kReloadCheckNs = 1'000'000'000;

std::string ToHex(const unsigned char* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

absl::StatusOr<std::string> FromHex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != out.size()) {
    return absl::DataLossError("bad hex in tokens.json");
  }
  return out;
}

absl::StatusOr<std::string> LoadOrCreateKey(Env* env, const std::string& dir) {
  std::string path = dir + "/" + kKeyFile;
  if (env->FileExists(path)) {
    auto key = ReadFileToString(env, path);
    if (!key.ok()) return key.status();
    if (key->size() != crypto_generichash_KEYBYTES) {
      return absl::DataLossError(absl::StrCat(path, ": expected ", crypto_generichash_KEYBYTES,
                                              " bytes, found ", key->size()));
    }
    return key;
  }
  std::string key(crypto_generichash_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  if (absl::Status s = WriteFileAtomic(env, path, key); !s.ok()) return s;
  return key;
}

}  // namespace

absl::StatusOr<Role> ParseRole(std::string_view text) {
  if (text == "read") return Role::kRead;
  if (text == "write") return Role::kWrite;
  if (text == "admin") return Role::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid role \"", AV(text), "\": expected admin, write or read"));
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "read";
}

bool Allows(Role role, Access access) {
  switch (access) {
    case Access::kPublic:
    case Access::kAnyToken:
      return true;
    case Access::kRead:
      return role == Role::kRead || role == Role::kAdmin;
    case Access::kWrite:
      return role == Role::kWrite || role == Role::kAdmin;
    case Access::kAdmin:
      return role == Role::kAdmin;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& dir, Env* env) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  absl::Status made = env->CreateDirs(dir);
  if (!made.ok()) return made;
  auto lock = env->LockFileWait(dir + "/" + kLockFile);
  if (!lock.ok()) return lock.status();
  auto key = LoadOrCreateKey(env, dir);
  if (!key.ok()) return key.status();
  std::unique_ptr<TokenStore> store(new TokenStore(env, dir, std::move(*key)));
  absl::MutexLock l(&store->mu_);
  absl::Status s = store->LoadLocked();
  if (!s.ok()) return s;
  return store;
}

int64_t TokenStore::FileStampOf(const std::string& path) {
  auto st = env_->Stat(path);
  if (!st.ok()) return 0;
  return st->mtime_ns ^ static_cast<int64_t>(st->size << 1) ^ static_cast<int64_t>(st->inode);
}

std::string TokenStore::Hash(std::string_view token) const {
  std::string out(kHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  return out;
}

absl::Status TokenStore::LoadLocked() {
  std::string path = dir_ + "/" + kTokensFile;
  const int64_t stamp = FileStampOf(path);
  if (!env_->FileExists(path)) {
    records_.clear();
    file_stamp_ = stamp;
    return absl::OkStatus();
  }
  auto text = ReadFileToString(env_, path);
  if (!text.ok()) return text.status();
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("tokens") ||
      !doc["tokens"].is_array()) {
    return absl::DataLossError(
        absl::StrCat(path, ": not a tokens file (expected {\"tokens\": [...]})"));
  }
  std::vector<Record> loaded;  // records_ changes only when the whole file is good
  for (const auto& t : doc["tokens"]) {
    Record r;
    try {
      r.info.id = t.at("id").get<std::string>();
      r.info.name = t.value("name", "");
      r.info.site = t.value("site", "");
      r.info.created_ns = t.value("created_ns", int64_t{0});
      auto role = ParseRole(t.at("role").get<std::string>());
      if (!role.ok()) return role.status();
      r.info.role = *role;
      auto hash = FromHex(t.at("hash").get<std::string>());
      if (!hash.ok() || hash->size() != kHashBytes) {
        return absl::DataLossError(absl::StrCat(path, ": token ", r.info.id, " has a bad hash"));
      }
      r.hash = std::move(*hash);
    } catch (const nlohmann::json::exception& e) {
      return absl::DataLossError(absl::StrCat(path, ": ", e.what()));
    }
    loaded.push_back(std::move(r));
  }
  records_ = std::move(loaded);
  file_stamp_ = stamp;
  return absl::OkStatus();
}

absl::Status TokenStore::CommitLocked(std::vector<Record> records) {
  nlohmann::json list = nlohmann::json::array();
  for (const Record& r : records) {
    list.push_back(
        {{"id", r.info.id},
         {"name", r.info.name},
         {"role", std::string(RoleName(r.info.role))},
         {"site", r.info.site},
         {"created_ns", r.info.created_ns},
         {"hash", ToHex(reinterpret_cast<const unsigned char*>(r.hash.data()), r.hash.size())}});
  }
  nlohmann::json doc = {
      {"version", 1}, {"hash", "blake2b-256 keyed with tokens.key"}, {"tokens", list}};
  std::string path = dir_ + "/" + kTokensFile;
  absl::Status s = WriteFileAtomic(env_, path, doc.dump(2) + "\n");
  if (!s.ok()) return s;
  records_ = std::move(records);
  file_stamp_ = FileStampOf(path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> TokenStore::Create(Role role, std::string_view name,
                                               std::string_view site, TokenInfo* info) {
  if (absl::Status s = CheckText("token name", name, kMaxTokenNameBytes); !s.ok()) return s;
  if (!site.empty()) {
    if (absl::Status s = CheckSiteId("token site", site); !s.ok()) return s;
  }
  auto lock = env_->LockFileWait(dir_ + "/" + kLockFile);
  if (!lock.ok()) return lock.status();
  absl::MutexLock l(&mu_);
  absl::Status s = LoadLocked();  // another process may have changed the file
  if (!s.ok()) return s;
  unsigned char id[kIdBytes];
  unsigned char secret[kSecretBytes];
  randombytes_buf(id, sizeof(id));
  randombytes_buf(secret, sizeof(secret));
  char b64[sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof(b64), secret, sizeof(secret),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret, sizeof(secret));
  Record r;
  r.info.id = ToHex(id, sizeof(id));
  r.info.name = std::string(name);
  r.info.role = role;
  r.info.site = std::string(site);
  r.info.created_ns = env_->NowNanos();
  std::string token = absl::StrCat("dc_", r.info.id, "_", b64);
  sodium_memzero(b64, sizeof(b64));
  r.hash = Hash(token);
  std::vector<Record> next = records_;
  next.push_back(r);
  if (s = CommitLocked(std::move(next)); !s.ok()) return s;
  if (info) *info = r.info;
  return token;
}

std::vector<TokenInfo> TokenStore::List() {
  MaybeReload();
  absl::MutexLock l(&mu_);
  std::vector<TokenInfo> out;
  for (const Record& r : records_) out.push_back(r.info);
  return out;
}

absl::Status TokenStore::Revoke(std::string_view id_or_name, const Visible& visible) {
  auto lock = env_->LockFileWait(dir_ + "/" + kLockFile);
  if (!lock.ok()) return lock.status();
  absl::MutexLock l(&mu_);
  absl::Status s = LoadLocked();
  if (!s.ok()) return s;
  auto seen = [&](const Record& r) { return visible == nullptr || visible(r.info); };
  auto it = std::find_if(records_.begin(), records_.end(),
                         [&](const Record& r) { return r.info.id == id_or_name && seen(r); });
  if (it == records_.end()) {
    int named = 0;
    for (auto i = records_.begin(); i != records_.end(); ++i) {
      if (!id_or_name.empty() && i->info.name == id_or_name && seen(*i)) {
        it = i;
        ++named;
      }
    }
    if (named > 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(named, " tokens are named \"", AV(id_or_name), "\"; revoke one by its id"));
    }
  }
  if (it == records_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no token with id or name \"", AV(id_or_name), "\"",
                     visible == nullptr ? "" : " within this token's scope"));
  }
  std::vector<Record> next = records_;
  next.erase(next.begin() + (it - records_.begin()));
  return CommitLocked(std::move(next));
}

void TokenStore::MaybeReload() {
  int64_t now = env_->MonotonicNanos();
  int64_t last = last_check_ns_.load(std::memory_order_relaxed);
  if (now - last < kReloadCheckNs) return;
  if (!last_check_ns_.compare_exchange_strong(last, now)) return;
  int64_t stamp = FileStampOf(dir_ + "/" + kTokensFile);
  absl::MutexLock l(&mu_);
  if (stamp == file_stamp_) return;
  (void)LoadLocked();  // on failure it keeps serving the last good set
}

absl::StatusOr<TokenInfo> TokenStore::Verify(std::string_view token) {
  MaybeReload();
  // dc_<12 hex>_<secret>
  if (token.size() < 3 + 2 * kIdBytes + 2 || !token.starts_with("dc_") ||
      token[3 + 2 * kIdBytes] != '_') {
    return absl::UnauthenticatedError("invalid token");
  }
  std::string_view id = token.substr(3, 2 * kIdBytes);
  std::string hash = Hash(token);
  absl::ReaderMutexLock l(&mu_);
  for (const Record& r : records_) {
    if (r.info.id != id) continue;
    if (sodium_memcmp(r.hash.data(), hash.data(), kHashBytes) == 0) return r.info;
    break;
  }
  return absl::UnauthenticatedError("invalid token");
}

bool TokenStore::empty() {
  absl::ReaderMutexLock l(&mu_);
  return records_.empty();
}

std::string ExtractToken(std::string_view authorization, const std::string* p_param) {
  auto strip = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  auto scheme_is = [&](std::string_view scheme) {
    if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ') return false;
    for (size_t i = 0; i < scheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
    }
    return true;
  };
  authorization = strip(authorization);
  if (scheme_is("bearer")) return std::string(strip(authorization.substr(7)));
  if (scheme_is("token")) return std::string(strip(authorization.substr(6)));
  if (scheme_is("basic")) {
    std::string_view b64 = strip(authorization.substr(6));
    std::string raw(b64.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), b64.data(),
                          b64.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
      return "";
    }
    raw.resize(len);
    size_t colon = raw.find(':');
    return colon == std::string::npos ? "" : raw.substr(colon + 1);
  }
  if (p_param != nullptr) return *p_param;
  return "";
}

}  // namespace dc::server
