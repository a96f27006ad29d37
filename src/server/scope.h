// Authorisation in one place: which role a route needs (Access), which sites a token may touch
// (its scope), and which tokens a token may mint, list and revoke. Pure functions over plain
// structs, so every rule is unit-tested without a server (docs/security.md).
//
// A token's scope is its `site`: empty = every site; otherwise exactly that site. A series
// belongs to the site named by its `site` tag; a series without one belongs to no site, so only
// unscoped tokens may use it. A null `token` means authentication is off (--no-auth on
// loopback) or the caller is the operator on the host (the CLI): everything is allowed.
#ifndef DC_SERVER_SCOPE_H_
#define DC_SERVER_SCOPE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/sample.h"
#include "server/params.h"
#include "server/router.h"
#include "server/tokens.h"

namespace dc::server {

// OK when `id` is a valid site id: [a-z0-9_-]+, at most 64 bytes. `what` names the input.
absl::Status CheckSiteId(std::string_view what, std::string_view id);

// The value of the `site` tag of series `key` ("" when it has none or does not parse).
std::string SiteOfSeries(std::string_view key);

// True when `token` may use data of site `site` ("" = no site: unscoped tokens only).
bool InScope(const TokenInfo* token, std::string_view site);
// True when `token` may read or write series `key`.
bool SeriesInScope(const TokenInfo* token, std::string_view key);

// The single check every request passes before its handler runs: the role the route requires
// (route.access) and the route's declared scope rule (route.scope) against the request's path
// and parameters. PermissionDenied (403) names the token's role or site and what it asked for.
// Rules that depend on a body or on what a handler lists or selects (kWriteBody, kFilteredList,
// kTokens, kQuerySeries) pass here and are applied by the handler through the functions below.
absl::Status Authorize(const Route& route, const HttpRequest& req);

// The scope check of a query, GET or POST (route rule kQuerySeries), on the parsed request: for
// a site-scoped token every listed series must carry the token's site, and a selection's `site`
// tags must name it (else PermissionDenied naming the series or site); a selection is then
// pinned to site=<the token's site>, so it can choose no other site's series. A null or
// unscoped token passes with `spec` unchanged.
absl::Status ScopeQuery(const TokenInfo* token, QuerySpec* spec);

// Removes from `batch` every point whose series is outside `token`'s scope. OK when none was
// removed; otherwise PermissionDenied naming the refused series (at most `max_named`), the
// number of points refused and why. The points that remain are the caller's to write.
absl::Status RestrictToScope(const TokenInfo* token, PointBatch* batch, size_t max_named = 10);

// Token minting: `actor` may create a token of `role` for `site` ("" = all sites) only when the
// new scope lies inside its own (an unscoped actor: any; a scoped one: its own site only) and
// the role is no higher than its own (admin > write, admin > read; write and read are not
// comparable, each covers only itself).
absl::Status CheckMint(const TokenInfo* actor, Role role, std::string_view site);
// True when `actor` may see (list) and revoke `target`: the target's scope lies inside the
// actor's.
bool CanManage(const TokenInfo* actor, const TokenInfo& target);

}  // namespace dc::server

#endif  // DC_SERVER_SCOPE_H_
