// GET /api/v1/sites/{id}/emissions?start=&end= (docs/api.md "Emissions"): the site's stack
// emissions from its CEMS series (accounting/cems.h), hour by hour, against the sector's
// ultra-low emission limits.
#ifndef DC_SERVER_EMISSIONS_API_H_
#define DC_SERVER_EMISSIONS_API_H_

#include "absl/status/status.h"
#include "server/router.h"
#include "server/sites_api.h"
#include "storage/store.h"

namespace dc::server {

class EmissionsApi {
 public:
  EmissionsApi(Store& store, SitesOptions options) : store_(store), options_(std::move(options)) {}

  void Register(Router& router);
  absl::Status Emissions(HttpRequest& req, HttpResponse& res);

 private:
  Store& store_;
  const SitesOptions options_;
};

}  // namespace dc::server

#endif  // DC_SERVER_EMISSIONS_API_H_
