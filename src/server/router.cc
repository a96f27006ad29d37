#include "server/router.h"

#include <algorithm>
#include <limits>

#include "server/params.h"

namespace dc::server {
namespace {

// Matches `path` against `pattern`; on success fills *params and returns the number of {name}
// segments (0 for an exact match), else -1.
int MatchPath(std::string_view pattern, std::string_view path,
              std::vector<std::pair<std::string, std::string>>* params) {
  params->clear();
  if (pattern == path) return 0;
  if (pattern.find('{') == std::string_view::npos) return -1;
  int n = 0;
  while (true) {
    size_t ps = pattern.find('/'), qs = path.find('/');
    std::string_view pseg = pattern.substr(0, ps), qseg = path.substr(0, qs);
    if (pseg.size() >= 2 && pseg.front() == '{' && pseg.back() == '}') {
      if (qseg.empty()) return -1;
      auto decoded = PercentDecode(qseg, /*plus_is_space=*/false);
      if (!decoded.ok() || decoded->find('/') != std::string::npos) return -1;
      params->emplace_back(std::string(pseg.substr(1, pseg.size() - 2)), std::move(*decoded));
      ++n;
    } else if (pseg != qseg) {
      return -1;
    }
    if ((ps == std::string_view::npos) != (qs == std::string_view::npos)) return -1;
    if (ps == std::string_view::npos) return n;
    pattern.remove_prefix(ps + 1);
    path.remove_prefix(qs + 1);
  }
}

}  // namespace

const std::string& HttpRequest::PathParam(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return kEmpty;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  const Route* get = nullptr;
  int best = std::numeric_limits<int>::max(), best_get = best;
  std::vector<std::pair<std::string, std::string>> params, get_params;
  // The most specific matching pattern decides which methods the path has (405's Allow).
  int known = std::numeric_limits<int>::max();
  std::vector<std::string_view> allow;
  for (const Route& r : routes_) {
    int n = MatchPath(r.path, path, &params);
    if (n < 0 || n > known) continue;
    if (n < known) {
      known = n;
      allow.clear();
    }
    m.path_known = true;
    if (std::find(allow.begin(), allow.end(), r.method) == allow.end()) allow.push_back(r.method);
    if (r.method == method && n < best) {
      m.route = &r;
      best = n;
      m.params = params;
    }
    if (r.method == "GET" && n < best_get) {
      get = &r;
      best_get = n;
      get_params = params;
    }
  }
  if (m.route != nullptr && best > known) {
    // A less specific pattern has this method but a more specific one owns the path.
    m.route = nullptr;
    m.params.clear();
  }
  if (m.route == nullptr && method == "HEAD" && get != nullptr && best_get == known) {
    m.route = get;
    m.params = std::move(get_params);
  }
  // HEAD is served for every GET route (above), so it is allowed wherever GET is.
  const bool has_get = std::find(allow.begin(), allow.end(), "GET") != allow.end();
  if (has_get && std::find(allow.begin(), allow.end(), "HEAD") == allow.end()) {
    allow.push_back("HEAD");
  }
  for (std::string_view a : allow) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += a;
  }
  return m;
}

}  // namespace dc::server
