// GET /api/v1/stream?site=ID: the site's points as server-sent events while they are written
// (docs/api.md "Live stream"; the hub and the body are in stream.h).
#ifndef DC_SERVER_STREAM_API_H_
#define DC_SERVER_STREAM_API_H_

#include "absl/status/status.h"
#include "server/router.h"
#include "server/stream.h"

namespace dc::server {

class StreamApi {
 public:
  explicit StreamApi(PointHub& hub) : hub_(hub) {}
  void Register(Router& router);
  absl::Status Stream(HttpRequest& req, HttpResponse& res);

 private:
  PointHub& hub_;
};

}  // namespace dc::server

#endif  // DC_SERVER_STREAM_API_H_
