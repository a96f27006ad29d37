// The web dashboard's files (web/dist, built by scripts/build-web.sh) served at "/": the files
// with their content types and cache headers, and index.html for every other non-API path (the
// single-page app routes in the browser). Public routes: the app logs in with a token it sends
// as Bearer on its API calls. Documented in docs/dashboard.md.
#ifndef DC_SERVER_STATIC_FILES_H_
#define DC_SERVER_STATIC_FILES_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/env.h"
#include "server/router.h"

namespace dc::server {

// The dashboard directory when none is configured: $DC_WEB_DIR, else web/dist beside the
// binary's repository or share dir (../web/dist up to three levels up from the executable,
// ../share/dualcarbon/web), else $DC_SOURCE_DIR/web/dist, else "web/dist".
std::string DefaultWebDir();

// "text/html; charset=utf-8" for "index.html", ...; "application/octet-stream" when unknown.
std::string_view ContentTypeFor(std::string_view file_name);

// The relative file path for the decoded path segments of a request, or InvalidArgument when a
// segment could leave the directory or name something no dashboard file is named like: "." or
// "..", a leading '.', '\\', control characters (NUL), invalid UTF-8.
absl::StatusOr<std::string> SafeRelativePath(
    const std::vector<std::pair<std::string, std::string>>& segments);

// True for paths the API owns ("/api/...", "/write", "/query", ...): never the app's.
bool IsApiPath(std::string_view path);

class StaticFiles {
 public:
  // Paths deeper than this many segments are not the dashboard's (404).
  static constexpr int kMaxDepth = 8;

  // `dir` holds index.html and assets/; it may be missing (then "/" answers 503 saying so).
  // `env` is borrowed.
  explicit StaticFiles(std::string dir, Env* env = Env::Default())
      : dir_(std::move(dir)), env_(env) {}

  // GET (and so HEAD) "/" and "/{p1}" ... "/{p1}/.../{p8}", public. API routes stay more
  // specific than these patterns, so they keep their own 404 and 405 answers.
  void Register(Router& router);

  absl::Status Serve(HttpRequest& req, HttpResponse& res);

  const std::string& dir() const { return dir_; }

 private:
  // Reads `rel` under dir_. NotFound when it does not exist or is a directory.
  absl::StatusOr<std::string> Read(const std::string& rel);
  absl::Status ServeIndex(HttpResponse& res);

  const std::string dir_;
  Env* const env_;
};

}  // namespace dc::server

#endif  // DC_SERVER_STATIC_FILES_H_
