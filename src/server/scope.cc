#include "server/scope.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/series_key.h"
#include "common/strings.h"

namespace dc::server {
namespace {

constexpr size_t kMaxSiteIdBytes = 64;

std::string ScopeName(const TokenInfo& token) {
  return token.site.empty() ? std::string("all sites") : absl::StrCat("site \"", token.site, "\"");
}

absl::Status OutOfScope(const TokenInfo& token, std::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat("this token is scoped to ", ScopeName(token), " and may not use ", AV(what)));
}

// admin covers every role; read and write cover only themselves.
bool RoleCovers(Role actor, Role wanted) { return actor == Role::kAdmin || actor == wanted; }

}  // namespace

absl::Status CheckSiteId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxSiteIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(AV(what), " must be 1 to ", kMaxSiteIdBytes,
                                                   " bytes long (got ", id.size(), ")"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(AV(what), " \"", AV(id), "\": byte ", i,
                                                     " is not one of [a-z0-9_-] (a site id)"));
    }
  }
  return absl::OkStatus();
}

std::string SiteOfSeries(std::string_view key) {
  auto parts = ParseSeriesKey(key);
  if (!parts.ok()) return "";
  for (const auto& [k, v] : parts->tags) {
    if (k == "site") return v;
  }
  return "";
}

bool InScope(const TokenInfo* token, std::string_view site) {
  return token == nullptr || token->site.empty() || (!site.empty() && token->site == site);
}

bool SeriesInScope(const TokenInfo* token, std::string_view key) {
  if (token == nullptr || token->site.empty()) return true;
  return InScope(token, SiteOfSeries(key));
}

absl::Status Authorize(const Route& route, const HttpRequest& req) {
  const TokenInfo* token = req.token;
  if (token == nullptr) return absl::OkStatus();
  if (!Allows(token->role, route.access)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a ", AV(RoleName(token->role)), " token may not use ", AV(req.method), " ", AV(req.path)));
  }
  if (token->site.empty()) return absl::OkStatus();
  switch (route.scope) {
    case ScopeRule::kNone:
    case ScopeRule::kFilteredList:
    case ScopeRule::kWriteBody:
    case ScopeRule::kTokens:
    case ScopeRule::kQuerySeries:
      return absl::OkStatus();
    case ScopeRule::kAllSites:
      return OutOfScope(
          *token, absl::StrCat(AV(req.method), " ", AV(req.path), " (it describes every site)"));
    case ScopeRule::kSitePath: {
      const std::string& id = req.PathParam("id");
      if (InScope(token, id)) return absl::OkStatus();
      return OutOfScope(*token, absl::StrCat("site \"", id, "\""));
    }
    case ScopeRule::kSiteParam: {
      const std::string* site = req.params.Get("site");
      if (site != nullptr && InScope(token, *site)) return absl::OkStatus();
      return OutOfScope(*token, site == nullptr ? std::string("no site parameter")
                                                : absl::StrCat("site \"", *site, "\""));
    }
  }
  return absl::PermissionDeniedError("unknown scope rule");
}

absl::Status ScopeQuery(const TokenInfo* token, QuerySpec* spec) {
  if (token == nullptr || token->site.empty()) return absl::OkStatus();
  for (const std::string& key : spec->series) {
    if (SeriesInScope(token, key)) continue;
    std::string site = SiteOfSeries(key);
    return OutOfScope(*token, absl::StrCat("series \"", key, "\" (",
                                           site.empty() ? std::string("it has no site tag")
                                                        : absl::StrCat("site \"", site, "\""),
                                           ")"));
  }
  if (!spec->selection.any()) return absl::OkStatus();
  bool pinned = false;
  for (const auto& [tag, value] : spec->selection.tags) {
    if (tag != "site") continue;
    if (value != token->site) return OutOfScope(*token, absl::StrCat("site \"", value, "\""));
    pinned = true;
  }
  if (!pinned) spec->selection.tags.emplace_back("site", token->site);
  return absl::OkStatus();
}

absl::Status RestrictToScope(const TokenInfo* token, PointBatch* batch, size_t max_named) {
  if (token == nullptr || token->site.empty() || batch->empty()) return absl::OkStatus();
  const std::vector<std::string>& keys = batch->keys();
  std::vector<char> allowed(keys.size());
  bool any_refused = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    allowed[i] = SeriesInScope(token, keys[i]);
    any_refused |= !allowed[i];
  }
  if (!any_refused) return absl::OkStatus();
  PointBatch kept;
  std::vector<size_t> refused_points(keys.size());
  size_t refused = 0;
  for (const PointBatch::Row& r : batch->rows()) {
    if (allowed[r.series]) {
      kept.Add(keys[r.series], r.t, r.v, r.q);
    } else {
      ++refused_points[r.series];
      ++refused;
    }
  }
  std::string msg =
      absl::StrCat("refused ", refused, " of ", batch->size(), " points: this token is scoped to ",
                   ScopeName(*token), " and may write only series tagged site=", token->site, " (",
                   kept.size(), " points were written)");
  size_t named = 0, unnamed = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (allowed[i] || refused_points[i] == 0) continue;
    if (named == max_named) {
      ++unnamed;
      continue;
    }
    std::string site = SiteOfSeries(keys[i]);
    absl::StrAppend(&msg, named == 0 ? ": " : "; ", "series \"", keys[i], "\" (",
                    site.empty() ? std::string("no site tag") : absl::StrCat("site ", site), ", ",
                    refused_points[i], refused_points[i] == 1 ? " point)" : " points)");
    ++named;
  }
  if (unnamed > 0) absl::StrAppend(&msg, "; and ", unnamed, " more series");
  *batch = std::move(kept);
  return absl::PermissionDeniedError(msg);
}

absl::Status CheckMint(const TokenInfo* actor, Role role, std::string_view site) {
  if (!site.empty()) {
    if (absl::Status s = CheckSiteId("site", site); !s.ok()) return s;
  }
  if (actor == nullptr) return absl::OkStatus();
  if (!RoleCovers(actor->role, role)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a ", AV(RoleName(actor->role)), " token may not create a ", AV(RoleName(role)), " token"));
  }
  if (!actor->site.empty() && site != actor->site) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this token is scoped to ", ScopeName(*actor), " and may create only tokens for that site",
        site.empty() ? std::string(" (not an unscoped token for all sites)")
                     : absl::StrCat(" (not for site \"", AV(site), "\")")));
  }
  return absl::OkStatus();
}

bool CanManage(const TokenInfo* actor, const TokenInfo& target) {
  if (actor == nullptr || actor->site.empty()) return true;
  return target.site == actor->site;
}

}  // namespace dc::server
