// The meter event routes (docs/api.md "Meter events"): a site meter's recorded swaps and the
// discontinuities the counter rules find in its data, plus recording and deleting swaps.
// Swaps are persisted by model::MeterEvents; queries and inventories use them.
#ifndef DC_SERVER_EVENTS_API_H_
#define DC_SERVER_EVENTS_API_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/counter.h"
#include "model/meter_events.h"
#include "model/site_store.h"
#include "server/router.h"
#include "server/sites_api.h"
#include "storage/store.h"

namespace dc::server {

// The counter options (rollover and swaps) of the site meter whose series is `key` (canonical);
// default options if no site meter reads that series. Either store may be null (then: none).
absl::StatusOr<CounterOptions> CounterOptionsOfSeries(model::SiteStore* sites,
                                                      model::MeterEvents* events,
                                                      std::string_view key);

// The events document of meter `m` of `site` over [start, end] (docs/api.md "Meter events"):
// {"meter", "series", "swaps": [...], "counter_events": [...]}, times in the site's zone.
absl::StatusOr<std::string> MeterEventsJson(Store& store, const model::Site& site,
                                            const model::Meter& m, model::MeterEvents& events,
                                            int64_t start, int64_t end);

class EventsApi {
 public:
  // Borrows what `options` points to (sites, meter_events), as SitesApi does.
  EventsApi(Store& store, const SitesOptions& options) : store_(store), options_(options) {}

  void Register(Router& router);

  // GET /api/v1/sites/{id}/meters/{meter}/events?start=&end=
  absl::Status Events(HttpRequest& req, HttpResponse& res);
  // POST /api/v1/sites/{id}/meters/{meter}/swaps, body {"t", "old_final", "new_initial", "note"}
  absl::Status AddSwap(HttpRequest& req, HttpResponse& res);
  // DELETE /api/v1/sites/{id}/meters/{meter}/swaps?t=
  absl::Status DeleteSwap(HttpRequest& req, HttpResponse& res);

 private:
  absl::Status Need() const;

  Store& store_;
  const SitesOptions options_;
};

}  // namespace dc::server

#endif  // DC_SERVER_EVENTS_API_H_
