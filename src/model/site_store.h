// Sites persisted in SQLite: the site file as written (TOML) plus its parsed form (JSON), so the
// server can offer CRUD under /api/v1/sites and re-parse exactly what the user saved.
// Thread-safe (one connection guarded by a mutex). The database file is created through the
// Env (mode 0600, its directory 0700); SQLite then opens it itself.
#ifndef DC_MODEL_SITE_STORE_H_
#define DC_MODEL_SITE_STORE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/env.h"
#include "model/site.h"

struct sqlite3;

namespace dc::model {

struct SiteSummary {
  std::string id, name;
  int64_t updated_unix_s = 0;
};

class SiteStore {
 public:
  // Opens (creating) the database file; ":memory:" for a private in-memory database. `env`
  // (borrowed, must outlive the store) creates the file and its directory and gives the clock.
  static absl::StatusOr<std::unique_ptr<SiteStore>> Open(const std::string& path,
                                                         Env* env = Env::Default());
  ~SiteStore();
  SiteStore(const SiteStore&) = delete;
  SiteStore& operator=(const SiteStore&) = delete;

  // Parses `toml` (errors name `file_name`) and inserts or replaces the site with its id.
  absl::StatusOr<Site> Save(std::string_view toml, std::string_view file_name = "site.toml");
  // The site as saved, parsed again. NotFound names the id.
  absl::StatusOr<Site> Load(std::string_view id);
  absl::StatusOr<std::string> LoadToml(std::string_view id);
  absl::StatusOr<std::string> LoadJson(std::string_view id);
  absl::StatusOr<std::vector<SiteSummary>> List();
  // NotFound if absent.
  absl::Status Delete(std::string_view id);

 private:
  SiteStore(Env* env, sqlite3* db) : env_(env), db_(db) {}
  absl::StatusOr<std::string> Column(std::string_view id, const char* column);
  Env* const env_;
  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace dc::model

#endif  // DC_MODEL_SITE_STORE_H_
