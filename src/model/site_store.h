// Sites persisted in SQLite: the site file as written (TOML) plus its parsed form (JSON), so the
// server can offer CRUD under /api/v1/sites and re-parse exactly what the user saved.
// Thread-safe (one connection guarded by a mutex).
#ifndef DC_MODEL_SITE_STORE_H_
#define DC_MODEL_SITE_STORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/site.h"

struct sqlite3;

namespace dc::model {

struct SiteSummary {
  std::string id, name;
  int64_t updated_unix_s = 0;
};

class SiteStore {
 public:
  // Opens (creating) the database file; ":memory:" for a private in-memory database.
  static absl::StatusOr<std::unique_ptr<SiteStore>> Open(const std::string& path);
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
  explicit SiteStore(sqlite3* db) : db_(db) {}
  absl::StatusOr<std::string> Column(std::string_view id, const char* column);
  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace dc::model

#endif  // DC_MODEL_SITE_STORE_H_
