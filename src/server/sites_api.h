// The site routes of the HTTP API (docs/api.md "Sites"): CRUD of site files under
// /api/v1/sites/{id} (persisted in DATA_DIR/sites.db), and the inventory and report of a site
// over a period computed from the server's own store.
//
// Token scope (scope.h): a token whose `site` is set may only see and use that site (others:
// 403; the list shows only it) and may not save a site file whose meters read series of
// another site. Tokens without a site, and requests when auth is off, see every site.
#ifndef DC_SERVER_SITES_API_H_
#define DC_SERVER_SITES_API_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "accounting/inventory.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "model/meter_events.h"
#include "model/site_store.h"
#include "server/router.h"
#include "storage/store.h"

namespace dc::server {

// What the site routes need; borrowed, must outlive the server. Any of them may be missing:
// the routes that need it then answer 503 naming what is missing.
struct SitesOptions {
  model::SiteStore* sites = nullptr;
  std::string sites_error;  // why `sites` is null (e.g. the database could not be opened)
  const accounting::Reference* reference = nullptr;
  std::string reference_error;  // why `reference` is null (e.g. "reference library not found")
  std::string data_description = "store";      // data_source in inventories
  model::MeterEvents* meter_events = nullptr;  // meter swaps; nullptr = none recorded
};

// A site's inventory over the period of a request, with what it was computed from.
struct SiteComputation {
  model::Site site;
  std::string toml;
  accounting::Inventory inventory;
  std::unique_ptr<accounting::DataSource> data;
};

class SitesApi {
 public:
  SitesApi(Store& store, SitesOptions options) : store_(store), options_(std::move(options)) {}

  void Register(Router& router);
  const SitesOptions& options() const { return options_; }

  absl::Status List(HttpRequest& req, HttpResponse& res);
  absl::Status Get(HttpRequest& req, HttpResponse& res);
  absl::Status Put(HttpRequest& req, HttpResponse& res);
  absl::Status Delete(HttpRequest& req, HttpResponse& res);
  absl::Status Inventory(HttpRequest& req, HttpResponse& res);
  absl::Status InventoryBreakdown(HttpRequest& req, HttpResponse& res, const std::string& format);
  absl::Status Report(HttpRequest& req, HttpResponse& res);
  // GET /api/v1/sites/{id}/flow (flow_api.cc).
  absl::Status Flow(HttpRequest& req, HttpResponse& res);

 private:
  absl::Status NeedSites() const;
  absl::Status NeedReference() const;
  void RegisterFlow(Router& router);
  // The site of the path's {id}, its inventory over the `period` parameter, from the store.
  absl::StatusOr<SiteComputation> Compute(const HttpRequest& req);

  Store& store_;
  const SitesOptions options_;
  absl::Mutex write_mu_;  // PUT/DELETE: "created or replaced" is decided atomically
};

}  // namespace dc::server

#endif  // DC_SERVER_SITES_API_H_
