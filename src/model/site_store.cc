#include "model/site_store.h"

#include <sqlite3.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"

namespace dc::model {
namespace {

absl::Status SqlError(sqlite3* db, std::string_view what) {
  return absl::InternalError(absl::StrCat("site store: ", AV(what), ": ", sqlite3_errmsg(db)));
}

// RAII statement.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s, i))
           : std::string();
}

// Creates `path` (and its directory) through `env` when absent, so the database gets the
// Env's private file modes before SQLite opens it.
absl::Status CreateDatabaseFile(Env* env, const std::string& path) {
  if (path == ":memory:" || path.empty() || env->FileExists(path)) return absl::OkStatus();
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (absl::Status s = env->CreateDirs(path.substr(0, slash)); !s.ok()) return s;
  }
  auto f = env->NewWritableFile(path);
  if (!f.ok()) return f.status();
  return (*f)->Close();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SiteStore>> SiteStore::Open(const std::string& path, Env* env) {
  if (absl::Status s = CreateDatabaseFile(env, path); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("site store ", path, ": ", s.message()));
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    absl::Status s =
        absl::UnavailableError(absl::StrCat("site store ", path, ": ", sqlite3_errmsg(db)));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SiteStore> store(new SiteStore(env, db));
  const char* ddl =
      "CREATE TABLE IF NOT EXISTS sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, toml TEXT NOT "
      "NULL,"
      " json TEXT NOT NULL, updated INTEGER NOT NULL)";
  if (sqlite3_exec(db, ddl, nullptr, nullptr, nullptr) != SQLITE_OK)
    return SqlError(db, "create table");
  sqlite3_busy_timeout(db, 5000);
  return store;
}

SiteStore::~SiteStore() { sqlite3_close(db_); }

absl::StatusOr<Site> SiteStore::Save(std::string_view toml, std::string_view file_name) {
  auto site = ParseSite(toml, file_name);
  if (!site.ok()) return site.status();
  std::string json = SiteToJson(*site).dump();
  absl::MutexLock lock(&mu_);
  Stmt st(db_,
          "INSERT OR REPLACE INTO sites (id, name, toml, json, updated) VALUES (?, ?, ?, ?, ?)");
  if (!st.ok()) return SqlError(db_, "prepare insert");
  st.Text(1, site->id);
  st.Text(2, site->name);
  st.Text(3, toml);
  st.Text(4, json);
  sqlite3_bind_int64(st.get(), 5, env_->NowNanos() / 1'000'000'000);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return SqlError(db_, "insert");
  return site;
}

absl::StatusOr<std::string> SiteStore::Column(std::string_view id, const char* column) {
  absl::MutexLock lock(&mu_);
  std::string sql = absl::StrCat("SELECT ", column, " FROM sites WHERE id = ?");
  Stmt st(db_, sql.c_str());
  if (!st.ok()) return SqlError(db_, "prepare select");
  st.Text(1, id);
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE)
    return absl::NotFoundError(absl::StrCat("site \"", AV(id), "\" not found"));
  if (rc != SQLITE_ROW) return SqlError(db_, "select");
  return ColumnText(st.get(), 0);
}

absl::StatusOr<std::string> SiteStore::LoadToml(std::string_view id) { return Column(id, "toml"); }
absl::StatusOr<std::string> SiteStore::LoadJson(std::string_view id) { return Column(id, "json"); }

absl::StatusOr<Site> SiteStore::Load(std::string_view id) {
  auto toml = LoadToml(id);
  if (!toml.ok()) return toml.status();
  return ParseSite(*toml, absl::StrCat("site ", AV(id)));
}

absl::StatusOr<std::vector<SiteSummary>> SiteStore::List() {
  absl::MutexLock lock(&mu_);
  Stmt st(db_, "SELECT id, name, updated FROM sites ORDER BY id");
  if (!st.ok()) return SqlError(db_, "prepare list");
  std::vector<SiteSummary> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.push_back(SiteSummary{ColumnText(st.get(), 0), ColumnText(st.get(), 1),
                              sqlite3_column_int64(st.get(), 2)});
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "list");
  return out;
}

absl::Status SiteStore::Delete(std::string_view id) {
  absl::MutexLock lock(&mu_);
  Stmt st(db_, "DELETE FROM sites WHERE id = ?");
  if (!st.ok()) return SqlError(db_, "prepare delete");
  st.Text(1, id);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return SqlError(db_, "delete");
  if (sqlite3_changes(db_) == 0)
    return absl::NotFoundError(absl::StrCat("site \"", AV(id), "\" not found"));
  return absl::OkStatus();
}

}  // namespace dc::model
