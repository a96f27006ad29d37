#include "server/router.h"

namespace dc::server {

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  const Route* get = nullptr;
  for (const Route& r : routes_) {
    if (r.path != path) continue;
    m.path_known = true;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
    if (r.method == method) m.route = &r;
    if (r.method == "GET") get = &r;
  }
  if (m.route == nullptr && method == "HEAD") m.route = get;
  return m;
}

}  // namespace dc::server
