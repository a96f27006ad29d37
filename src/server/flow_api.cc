// GET /api/v1/sites/{id}/flow: the site's energy flow over a period (accounting/flow.h), from
// the same inventory as /inventory.
#include "accounting/flow.h"
#include "server/scope.h"
#include "server/sites_api.h"

namespace dc::server {

void SitesApi::RegisterFlow(Router& router) {
  using enum Access;
  using enum ScopeRule;
  auto add = [&](const char* method, const char* path, const char* name, Access access,
                 absl::Status (SitesApi::*fn)(HttpRequest&, HttpResponse&), ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi,
                [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); },
                scope});
  };
  add("GET", "/api/v1/sites/{id}/flow", "site_flow", kRead, &SitesApi::Flow, kSitePath);
}

absl::Status SitesApi::Flow(HttpRequest& req, HttpResponse& res) {
  auto c = Compute(req);
  if (!c.ok()) return c.status();
  res.body = accounting::FlowToJson(accounting::ComputeFlow(c->site, c->inventory));
  return absl::OkStatus();
}

}  // namespace dc::server
