#include "server/static_files.h"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/text.h"

namespace dc::server {
namespace {

constexpr size_t kMaxSegmentBytes = 255;  // a file name on the usual file systems
constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kRevalidate[] = "no-cache";

struct TypeEntry {
  std::string_view ext;
  std::string_view type;
};
constexpr std::array<TypeEntry, 18> kTypes = {{
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"ico", "image/x-icon"},
    {"webp", "image/webp"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
}};

constexpr std::array<std::string_view, 7> kApiRoots = {"api",    "write",   "query", "ping",
                                                       "health", "metrics", "debug"};

absl::Status CheckSegment(std::string_view seg) {
  if (seg.empty() || seg == "." || seg == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("path segment \"", AV(seg), "\" is not allowed in a dashboard path"));
  }
  if (seg.front() == '.') {
    return absl::InvalidArgumentError(absl::StrCat(
        "path segment \"", AV(seg), "\": names starting with '.' are not dashboard files"));
  }
  if (seg.find('\\') != std::string_view::npos) {
    return absl::InvalidArgumentError("path segment contains '\\'");
  }
  return CheckText("path segment", seg, kMaxSegmentBytes);
}

}  // namespace

std::string DefaultWebDir() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("DC_WEB_DIR"); e && *e) return e;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) {
    fs::path d = exe.parent_path();
    for (const fs::path& cand : {d / "../web/dist", d / "../../web/dist", d / "../../../web/dist",
                                 d / "../share/dualcarbon/web"}) {
      if (Env::Default()->FileExists((cand / "index.html").string())) {
        return fs::weakly_canonical(cand, ec).string();
      }
    }
  }
  if (const char* s = std::getenv("DC_SOURCE_DIR"); s && *s) return std::string(s) + "/web/dist";
  return "web/dist";
}

std::string_view ContentTypeFor(std::string_view file_name) {
  size_t dot = file_name.rfind('.');
  if (dot != std::string_view::npos) {
    std::string ext = absl::AsciiStrToLower(AV(file_name.substr(dot + 1)));
    for (const TypeEntry& e : kTypes) {
      if (e.ext == ext) return e.type;
    }
  }
  return "application/octet-stream";
}

absl::StatusOr<std::string> SafeRelativePath(
    const std::vector<std::pair<std::string, std::string>>& segments) {
  std::string rel;
  for (const auto& [name, seg] : segments) {
    if (absl::Status s = CheckSegment(seg); !s.ok()) return s;
    absl::StrAppend(&rel, rel.empty() ? "" : "/", seg);
  }
  return rel;
}

bool IsApiPath(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string_view root = path.substr(0, path.find('/'));
  for (std::string_view r : kApiRoots) {
    if (root == r) return true;
  }
  return false;
}

void StaticFiles::Register(Router& router) {
  auto serve = [this](HttpRequest& req, HttpResponse& res) { return Serve(req, res); };
  router.Add({"GET", "/", "web", Access::kPublic, ErrorStyle::kApi, serve});
  std::string pattern;
  for (int i = 1; i <= kMaxDepth; ++i) {
    absl::StrAppend(&pattern, "/{p", i, "}");
    router.Add({"GET", pattern, "web", Access::kPublic, ErrorStyle::kApi, serve});
  }
}

absl::StatusOr<std::string> StaticFiles::Read(const std::string& rel) {
  std::string path = absl::StrCat(dir_, "/", rel);
  auto data = ReadFileToString(env_, path);
  if (data.ok()) return data;
  if (!env_->FileExists(path) || env_->GetChildren(path).ok()) {
    return absl::NotFoundError(absl::StrCat("no file \"", rel, "\" in the dashboard"));
  }
  return data.status();
}

absl::Status StaticFiles::ServeIndex(HttpResponse& res) {
  auto index = Read("index.html");
  if (!index.ok()) {
    if (!absl::IsNotFound(index.status())) return index.status();
    return absl::UnavailableError(
        absl::StrCat("the dashboard is not built: no index.html in \"", dir_,
                     "\" (run scripts/build-web.sh, or pass --web-dir DIR / http.web_dir)"));
  }
  res.status = 200;
  res.content_type = std::string(ContentTypeFor("index.html"));
  res.body = std::move(*index);
  res.headers.emplace_back("Cache-Control", kRevalidate);
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return absl::OkStatus();
}

absl::Status StaticFiles::Serve(HttpRequest& req, HttpResponse& res) {
  if (IsApiPath(req.path)) {
    return absl::NotFoundError(absl::StrCat("no route ", AV(req.method), " ", AV(req.path)));
  }
  if (req.path_params.empty()) return ServeIndex(res);
  auto rel = SafeRelativePath(req.path_params);
  if (!rel.ok()) return rel.status();
  auto data = Read(*rel);
  if (!data.ok()) {
    if (!absl::IsNotFound(data.status())) return data.status();
    // A missing file is an error; a missing page is the app's route (no extension).
    if (req.path_params.back().second.find('.') != std::string::npos) return data.status();
    return ServeIndex(res);
  }
  res.status = 200;
  res.content_type = std::string(ContentTypeFor(*rel));
  res.body = std::move(*data);
  // Vite names every file under assets/ by its content hash: such a name never changes meaning.
  bool hashed = absl::StartsWith(*rel, "assets/");
  res.headers.emplace_back("Cache-Control", hashed ? kImmutable : kRevalidate);
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return absl::OkStatus();
}

}  // namespace dc::server
