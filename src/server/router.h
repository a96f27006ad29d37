// The routing table: (method, path) -> handler, with the access each route requires and the
// style its errors are written in. Requests and responses here are plain structs, independent
// of Beast, so routes are testable without sockets.
#ifndef DC_SERVER_ROUTER_H_
#define DC_SERVER_ROUTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/sample.h"
#include "server/errors.h"
#include "server/params.h"
#include "server/tokens.h"

namespace dc::server {

// Per-connection buffers reused from request to request (no allocation per batch).
struct ConnScratch {
  PointBatch batch;
  std::string inflated;  // decompressed body
};

struct HttpRequest {
  std::string_view method;  // "GET", "HEAD", "POST", ...
  std::string_view path;    // without the query
  // Values of the route's {name} segments, percent-decoded, in path order.
  std::vector<std::pair<std::string, std::string>> path_params;
  Params params;  // query string (and form body for POST /query)
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view accept;
  std::string* body = nullptr;       // owned by the connection; handlers may consume it
  const TokenInfo* token = nullptr;  // nullptr when the route is public or auth is off
  ConnScratch* scratch = nullptr;
  int64_t received_ns = 0;  // wall clock when the request was read

  // The value of path parameter `name` ("" when the route has none of that name).
  const std::string& PathParam(std::string_view name) const;
};

class EventStream;  // stream.h

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by a streaming route: the session sends `status`, `content_type` and `headers`, then
  // the stream's events as they come, and closes the connection when it ends (body unused).
  std::shared_ptr<EventStream> stream;
};

using Handler = std::function<absl::Status(HttpRequest&, HttpResponse&)>;

// What of a request a site-scoped token is checked against (scope.h, Authorize). Every route
// declares one; unscoped tokens and --no-auth pass every rule.
enum class ScopeRule {
  kNone,          // no site data (ping, health, the InfluxDB database list)
  kAllSites,      // describes every site (metrics): unscoped tokens only
  kSitePath,      // the {id} path segment is a site id
  kSiteParam,     // the `site` query parameter is a site id
  kQuerySeries,   // the series a query lists or selects: the handler applies ScopeQuery
  kFilteredList,  // lists series or sites: the handler shows only the token's (InScope)
  kWriteBody,     // writes points: the handler drops those of other sites (RestrictToScope)
  kTokens,        // token management: CheckMint / CanManage in the handler
};

struct Route {
  std::string method;
  // Exact path, or a pattern whose segments may be "{name}": "/api/v1/sites/{id}" matches
  // "/api/v1/sites/kiln-1" (one non-empty segment, percent-decoded, never containing '/').
  std::string path;
  std::string name;  // label in metrics and logs, e.g. "write"
  Access access = Access::kRead;
  ErrorStyle style = ErrorStyle::kApi;
  Handler handler;
  ScopeRule scope = ScopeRule::kNone;
};

class Router {
 public:
  void Add(Route route) { routes_.push_back(std::move(route)); }

  struct Match {
    const Route* route = nullptr;  // nullptr: no route for this method and path
    bool path_known = false;       // the path exists with other methods (-> 405)
    std::string allow;             // those methods, "GET, HEAD"
    std::vector<std::pair<std::string, std::string>> params;  // {name} values of `route`
  };
  // A route's path matches when equal, or segment by segment when it has {name} segments; an
  // exact route wins over a pattern (then the pattern with fewer parameters, then the first
  // added). HEAD falls back to the GET route when no HEAD route exists.
  Match Find(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace dc::server

#endif  // DC_SERVER_ROUTER_H_
