// POST /api/v1/import (docs/api.md "Import"): a CSV file in the body (long or wide layout,
// docs/import.md), the import options as query parameters. Bad rows are answered by line and
// reason; the good rows are written. Points outside a scoped token's site are refused (403)
// as on /write; storage faults are 5xx (errors.h).
#ifndef DC_SERVER_IMPORT_API_H_
#define DC_SERVER_IMPORT_API_H_

#include <cstddef>

#include "absl/status/status.h"
#include "model/site_store.h"
#include "server/metrics.h"
#include "server/router.h"
#include "storage/store.h"

namespace dc::server {

// Borrows the store, the metrics and the site database (nullptr: none; then `site` is only a
// site id); all must outlive it. Thread-safe.
class ImportApi {
 public:
  ImportApi(Store& store, Metrics& metrics, model::SiteStore* sites, size_t max_body_bytes)
      : store_(store), metrics_(metrics), sites_(sites), max_body_bytes_(max_body_bytes) {}
  void Register(Router& router);
  absl::Status Import(HttpRequest& req, HttpResponse& res);

 private:
  absl::Status StoreWrite(const PointBatch& batch);

  Store& store_;
  Metrics& metrics_;
  model::SiteStore* sites_;
  const size_t max_body_bytes_;
};

}  // namespace dc::server

#endif  // DC_SERVER_IMPORT_API_H_
