// Excel export routes (docs/api.md "Export"): POST /api/v1/export/xlsx turns a table spec
// (the dashboard's tables and trends) into a workbook; GET /api/v1/sites/{id}/inventory.xlsx
// is a site's inventory over a period as sheets (totals, energy by meter, emission lines,
// factors with their sources, products).
#ifndef DC_SERVER_EXPORT_API_H_
#define DC_SERVER_EXPORT_API_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/router.h"
#include "server/sites_api.h"
#include "server/xlsx.h"

namespace dc::server {

// The inventory JSON (accounting::InventoryToJson) as workbook sheets.
absl::StatusOr<XlsxBook> InventoryWorkbook(std::string_view inventory_json);

class ExportApi {
 public:
  // REQUIRES: `sites` outlives this object.
  explicit ExportApi(SitesApi& sites);
  ~ExportApi();  // removes its temporary directory

  void Register(Router& router);

  absl::Status Xlsx(HttpRequest& req, HttpResponse& res);
  absl::Status InventoryXlsx(HttpRequest& req, HttpResponse& res);

 private:
  SitesApi& sites_;
  std::string tmp_dir_;  // private dir for libxlsxwriter's files; "" if it could not be made
};

}  // namespace dc::server

#endif  // DC_SERVER_EXPORT_API_H_
