"""Security suite (docs/security.md): every route of the router x caller (no token, bad token,
read, write, admin) x scope (all sites, site A, site B) -> expected HTTP status, asserted as a
table and printed; token minting rules; data scope (a site-A token can neither write nor read
site B's series, nor untagged ones; site B's March inventory does not move after a refused
write); hostile token names from the API and the CLI.
Usage: python3 security_authz_test.py /path/to/dualcarbon"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, token_cli  # noqa: E402

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DC_SOURCE_DIR", os.path.dirname(HERE))
REF = os.path.join(SRC, "reference")
CASE = os.path.join(HERE, "accounting", "golden", "electricity")
work = tempfile.mkdtemp(prefix="dc-authz-")
data = os.path.join(work, "data")
A, B = "site-a", "site-b"
MARCH = 1741104000  # 2025-03-04T16:00:00Z, inside March 2025 in Asia/Shanghai


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def site_toml(sid):
    return re.sub(r'(?m)^id = "elec"$', f'id = "{sid}"', read(os.path.join(CASE, "site.toml")), count=1)


def readings_lp(sid):
    """The golden readings as line protocol on each meter's default key (with its site)."""
    import datetime
    import zoneinfo
    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    rows = read(os.path.join(CASE, "readings.csv")).splitlines()
    out = []
    for row in rows[1:]:
        if not row.strip():
            continue
        t, meter, value = row.split(",")[:3]
        ts = datetime.datetime.fromisoformat(t).replace(tzinfo=tz)
        out.append(f"meter,id={meter},site={sid} value={value} {int(ts.timestamp())}")
    return "\n".join(out) + "\n"


# -- the routes, enumerated from the code: every add("METHOD", "PATH", ...) of the route tables
routes = set()
SERVER_SRC = os.path.join(SRC, "src", "server")
for f in sorted(os.listdir(SERVER_SRC)):
    if not f.endswith(".cc") or f.endswith("_test.cc") or f.endswith("_fuzz.cc"):
        continue
    for m in re.finditer(r'add\("([A-Z]+)", "([^"]+)"', read(os.path.join(SERVER_SRC, f))):
        routes.add((m.group(1), m.group(2)))
# the dashboard's own routes (static_files.cc registers them with router.Add)
for m in re.finditer(r'router\.Add\(\{"([A-Z]+)", "(/[^"]*)"', read(os.path.join(SRC, "src/server/static_files.cc"))):
    routes.add((m.group(1), m.group(2)))
check(len(routes) >= 19, f"route tables enumerated from the code ({len(routes)} routes)")

srv = Server(BIN, data, args=["--reference", REF])
root = srv.admin_token
TOML = {"Content-Type": "application/toml"}


def mint(role, site=""):
    args = ["create", "--role", role, "--name", f"{role}-{site or 'all'}"] + (["--site", site] if site else [])
    rc, tok, err = token_cli(BIN, data, *args)
    assert rc == 0, err
    return tok


tokens = {(role, scope): mint(role, scope) for role in ("read", "write", "admin") for scope in ("", A, B)}
for sid in (A, B):
    st, _, body = srv.request("PUT", f"/api/v1/sites/{sid}", body=site_toml(sid).encode(), headers=TOML, token=root)
    check(st in (200, 201), f"PUT {sid} ({st} {body[:200]!r})")
    st, _, body = srv.request("POST", "/write?precision=s", body=readings_lp(sid), token=root)
    check(st == 204, f"readings of {sid} written on its own keys ({st} {body[:200]!r})")


def inventory(sid):
    st, doc = srv.json("GET", f"/api/v1/sites/{sid}/inventory?period=2025-03", token=root)
    assert st == 200, doc
    return doc["emissions"]["total_tco2e"]


base_a, base_b = inventory(A), inventory(B)
check(base_a == base_b and base_a > 0, f"two sites with the same meter ids keep separate series ({base_a} {base_b})")

# -- the matrix ---------------------------------------------------------------------------
KEY_A = f"meter,id=grid-in,site={A} value"
LP_A = f"meter,id=mill,site={A} value=1 1577836800\n"  # 2020: outside every period used here
JSON_A = json.dumps([{"series": f"meter,id=mill,site={A} value", "t": "2020-01-01T00:00:00Z", "v": 1}])


def fresh_token_id():
    st, doc = srv.json("POST", "/api/v1/tokens", body=json.dumps({"role": "read", "site": A, "name": "victim"}), token=root)
    assert st == 201, doc
    return doc["id"]


SWAP_N = [0]


def fresh_swap_time():
    """A swap time in 2019, before every reading (so no inventory moves), new at each call."""
    SWAP_N[0] += 1
    return f"2019-01-01T00:{SWAP_N[0] // 60:02d}:{SWAP_N[0] % 60:02d}Z"


SWAPS_A = f"/api/v1/sites/{A}/meters/grid-in/swaps"


def swap_body():
    return json.dumps({"t": fresh_swap_time(), "old_final": 5, "new_initial": 0, "note": "authz"})


def recorded_swap():
    t = fresh_swap_time()
    st, doc = srv.json("POST", SWAPS_A, body=json.dumps({"t": t, "old_final": 5, "new_initial": 0}), token=root)
    assert st == 201, doc
    return SWAPS_A + "?t=" + urllib.parse.quote(t)


# route -> (request builder, status on success); requests address site A's resources.
REQ = {
    ("POST", "/write"): lambda: ("/write?precision=s", LP_A, {}),
    ("POST", "/api/v1/write"): lambda: ("/api/v1/write", JSON_A, {"Content-Type": "application/json"}),
    ("POST", "/api/v1/import"): lambda: ("/api/v1/import?" + urllib.parse.urlencode({"format": "wide", "map": f"mill=meter,id=mill,site={A} value"}),
                                         "time,mill\n2020-01-01T00:00:00Z,1\n", {"Content-Type": "text/csv"}),
    ("GET", "/api/v1/query"): lambda: ("/api/v1/query?" + urllib.parse.urlencode({"series": KEY_A, "start": "2025-03-01T00:00:00Z"}), None, {}),
    ("POST", "/api/v1/query"): lambda: ("/api/v1/query", json.dumps({"series": [KEY_A], "start": "2025-03-01T00:00:00Z"}),
                                        {"Content-Type": "application/json"}),
    ("GET", "/api/v1/series"): lambda: ("/api/v1/series", None, {}),
    ("GET", "/health"): lambda: ("/health", None, {}),
    ("GET", "/metrics"): lambda: ("/metrics", None, {}),
    ("GET", "/api/v1/sources"): lambda: ("/api/v1/sources", None, {}),
    ("GET", "/"): lambda: ("/", None, {}),
    ("GET", "/ping"): lambda: ("/ping", None, {}),
    ("HEAD", "/ping"): lambda: ("/ping", None, {}),
    ("GET", "/query"): lambda: ("/query?q=SHOW+DATABASES", None, {}),
    ("POST", "/query"): lambda: ("/query", "q=SHOW+DATABASES", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("GET", "/api/v1/tokens"): lambda: ("/api/v1/tokens", None, {}),
    ("POST", "/api/v1/tokens"): lambda: ("/api/v1/tokens", json.dumps({"role": "read", "site": A}), {}),
    ("DELETE", "/api/v1/tokens"): lambda: ("/api/v1/tokens?id=" + fresh_token_id(), None, {}),
    ("GET", "/api/v1/sites"): lambda: ("/api/v1/sites", None, {}),
    ("GET", "/api/v1/sites/{id}"): lambda: (f"/api/v1/sites/{A}", None, {}),
    ("PUT", "/api/v1/sites/{id}"): lambda: (f"/api/v1/sites/{A}", site_toml(A), TOML),
    ("DELETE", "/api/v1/sites/{id}"): lambda: (f"/api/v1/sites/{A}", None, {}),
    ("GET", "/api/v1/sites/{id}/inventory"): lambda: (f"/api/v1/sites/{A}/inventory?period=2025-03", None, {}),
    ("GET", "/api/v1/sites/{id}/report"): lambda: (f"/api/v1/sites/{A}/report?period=2025-03", None, {}),
    ("GET", "/api/v1/sites/{id}/flow"): lambda: (f"/api/v1/sites/{A}/flow?period=2025-03", None, {}),
    ("GET", "/api/v1/stream"): lambda: (f"/api/v1/stream?site={A}&seconds=1", None, {}),
    ("GET", "/api/v1/sites/{id}/inventory.xlsx"): lambda: (f"/api/v1/sites/{A}/inventory.xlsx?period=2025-03", None, {}),
    ("GET", "/api/v1/sites/{id}/emissions"): lambda: (f"/api/v1/sites/{A}/emissions?start=2025-03-01&end=2025-03-02", None, {}),
    ("POST", "/api/v1/export/xlsx"): lambda: ("/api/v1/export/xlsx", json.dumps({"sheets": [{"columns": ["a"], "rows": [[1]]}]}), {"Content-Type": "application/json"}),
    ("GET", "/api/v1/sites/{id}/meters/{meter}/events"): lambda: (f"/api/v1/sites/{A}/meters/grid-in/events", None, {}),
    ("POST", "/api/v1/sites/{id}/meters/{meter}/swaps"): lambda: (SWAPS_A, swap_body(), {"Content-Type": "application/json"}),
    ("DELETE", "/api/v1/sites/{id}/meters/{meter}/swaps"): lambda: (recorded_swap(), None, {}),
}
# (role needed, scope rule, status on success)
RULE = {
    ("POST", "/write"): ("write", "data", 204),
    ("POST", "/api/v1/write"): ("write", "data", 204),
    ("POST", "/api/v1/import"): ("write", "data", 200),
    ("GET", "/api/v1/query"): ("read", "data", 200),
    ("POST", "/api/v1/query"): ("read", "data", 200),
    ("GET", "/api/v1/series"): ("read", "list", 200),
    ("GET", "/health"): ("public", "none", 200),
    ("GET", "/metrics"): ("read", "all-sites", 200),
    ("GET", "/api/v1/sources"): ("read", "all-sites", 200),
    ("GET", "/"): ("public", "none", 200),
    ("GET", "/ping"): ("public", "none", 204),
    ("HEAD", "/ping"): ("public", "none", 204),
    ("GET", "/query"): ("any", "none", 200),
    ("POST", "/query"): ("any", "none", 200),
    ("GET", "/api/v1/tokens"): ("admin", "list", 200),
    ("POST", "/api/v1/tokens"): ("admin", "data", 201),
    ("DELETE", "/api/v1/tokens"): ("admin", "hidden", 204),
    ("GET", "/api/v1/sites"): ("read", "list", 200),
    ("GET", "/api/v1/sites/{id}"): ("read", "data", 200),
    ("PUT", "/api/v1/sites/{id}"): ("admin", "data", 200),
    ("DELETE", "/api/v1/sites/{id}"): ("admin", "data", 204),
    ("GET", "/api/v1/sites/{id}/inventory"): ("read", "data", 200),
    ("GET", "/api/v1/sites/{id}/report"): ("read", "data", 200),
    ("GET", "/api/v1/sites/{id}/flow"): ("read", "data", 200),
    ("GET", "/api/v1/stream"): ("read", "data", 200),
    ("GET", "/api/v1/sites/{id}/inventory.xlsx"): ("read", "data", 200),
    ("POST", "/api/v1/export/xlsx"): ("read", "none", 200),
    ("GET", "/api/v1/sites/{id}/emissions"): ("read", "data", 200),
    ("GET", "/api/v1/sites/{id}/meters/{meter}/events"): ("read", "data", 200),
    ("POST", "/api/v1/sites/{id}/meters/{meter}/swaps"): ("write", "data", 201),
    ("DELETE", "/api/v1/sites/{id}/meters/{meter}/swaps"): ("admin", "data", 204),
}
check(set(REQ) == routes and set(RULE) == routes,
      f"the matrix covers exactly the routes of the code (missing {sorted(routes - set(RULE))}, extra {sorted(set(RULE) - routes)})")


def expected(route, caller, scope):
    need, rule, ok = RULE[route]
    if need == "public":
        return ok
    if caller in ("none", "bad"):
        return 401
    if need == "admin" and caller != "admin":
        return 403
    if need in ("read", "write") and caller not in (need, "admin"):
        return 403
    if scope == B and rule == "data":
        return 403
    if scope == B and rule == "hidden":
        return 404
    if scope and rule == "all-sites":
        return 403
    return ok


CALLERS = [("none", ""), ("bad", "")] + [(r, s) for r in ("read", "write", "admin") for s in ("", A, B)]
matrix, wrong = [], []
for route in sorted(routes, key=lambda r: (r[1], r[0])):
    row = []
    for caller, scope in CALLERS:
        path, body, headers = REQ[route]()
        tok = None if caller == "none" else "dc_000000000000_notavalidtokenatall" if caller == "bad" else tokens[(caller, scope)]
        st, _, resp = srv.request(route[0], path, body=body.encode() if isinstance(body, str) else body, headers=headers, token=tok)
        want = expected(route, caller, scope)
        row.append(st if st == want else f"{st}!{want}")
        if st != want:
            wrong.append(f"{route[0]} {route[1]} as {caller}/{scope or 'all'}: {st}, expected {want} ({resp[:160]!r})")
        if route == ("DELETE", "/api/v1/sites/{id}") and st == 204:  # put it back for the next caller
            srv.request("PUT", f"/api/v1/sites/{A}", body=site_toml(A).encode(), headers=TOML, token=root)
    matrix.append((f"{route[0]} {route[1]}", row))

heads = [c if c in ("none", "bad") else f"{c}/{s or 'all'}" for c, s in CALLERS]
print("\nauthorisation matrix (status; 'got!expected' marks a mismatch)")
print(f"{'route':36}" + "".join(f"{h:>13}" for h in heads))
for name, row in matrix:
    print(f"{name:36}" + "".join(f"{str(c):>13}" for c in row))
print()
for w in wrong:
    print("  mismatch:", w)
check(not wrong, f"every cell of the matrix ({len(matrix)} routes x {len(CALLERS)} callers) as expected")

# -- minting ------------------------------------------------------------------------------
print("== token minting")
adm_a = tokens[("admin", A)]


def create(tok, **body):
    return srv.json("POST", "/api/v1/tokens", body=json.dumps(body), token=tok)


st, _ = create(adm_a, role="admin")
check(st == 403, f"site-A admin cannot create an unscoped admin token ({st})")
st, _ = create(adm_a, role="read")
check(st == 403, f"site-A admin cannot create an unscoped read token ({st})")
st, _ = create(adm_a, role="write", site=B)
check(st == 403, f"site-A admin cannot create a token for site B ({st})")
st, doc = create(adm_a, role="admin", site=A, name="deputy")
check(st == 201 and doc.get("site") == A and doc.get("role") == "admin", f"site-A admin creates a site-A admin token ({st})")
st, doc = create(root, role="admin", site=B, name="b-admin")
check(st == 201, "unscoped admin creates a token for any site")
st, doc = srv.json("GET", "/api/v1/tokens", token=adm_a)
sites_seen = {t["site"] for t in doc["tokens"]} if st == 200 else {"?"}
check(st == 200 and sites_seen == {A}, f"site-A admin lists only site-A tokens ({sites_seen})")
st, doc = srv.json("GET", "/api/v1/tokens", token=root)
root_id = next(t["id"] for t in doc["tokens"] if t["site"] == "" and t["role"] == "admin")
b_id = next(t["id"] for t in doc["tokens"] if t["site"] == B)
for victim, what in ((root_id, "the unscoped admin"), (b_id, "a site-B token"), ("admin-all", "a token by name outside its scope")):
    st, _ = srv.json("DELETE", f"/api/v1/tokens?id={victim}", token=adm_a)
    check(st == 404, f"site-A admin cannot revoke {what} ({st})")
st, _ = srv.json("GET", "/api/v1/series", token=root)
check(st == 200, "the unscoped admin token still works")

print("== token names and body fields")
for body, what in (({"role": "read", "name": 5}, "name of the wrong type"), ({"role": 1}, "role of the wrong type"),
                   ({"role": "read", "site": ["a"]}, "site of the wrong type"),
                   ({"role": "read", "name": "nul\u0000byte"}, "NUL in the name"),
                   ({"role": "read", "name": "x" * 129}, "name over 128 bytes"),
                   ({"role": "read", "site": "Site B!"}, "site that is not a site id"),
                   ({"role": "superuser"}, "unknown role")):
    st, doc = create(root, **body)
    check(st == 400 and doc.get("error", {}).get("message"), f"{what} -> 400 with a message ({st} {doc})")
st, _, body = srv.request("POST", "/api/v1/tokens", body=b'{"role": "read", "name": "bad\xff"}', token=root)
check(st == 400, f"invalid UTF-8 in the body -> 400 ({st} {body[:120]!r})")
st, _, body = srv.request("POST", "/api/v1/tokens", body=("[" * 100000 + "]" * 100000).encode(), token=root)
check(st == 400, f"deeply nested body -> 400 ({st})")
r = subprocess.run([BIN, "token", "create", "--data-dir", data, "--role", "read", "--name", b"cli\xff".decode("utf-8", "surrogateescape")],
                   capture_output=True, timeout=60)
check(r.returncode not in (0, 134) and b"token name" in r.stderr, f"CLI rejects an invalid UTF-8 name with a message (rc {r.returncode}: {r.stderr[:160]!r})")
rc, out, _ = token_cli(BIN, data, "list", "--json")
check(rc == 0 and "\ufffd" not in out, "token list shows no replacement characters")

print("== data scope")
w_a, r_a = tokens[("write", A)], tokens[("read", A)]
body = (f"meter,id=grid-2,site={B} value=5000000 {MARCH}\n"
        f"meter,id=grid-2 value=5000000 {MARCH}\n"
        f"meter,id=mill,site={A} value=7 1577840400\n")
st, doc = srv.json("POST", "/write?precision=s", body=body, token=w_a)
msg = doc.get("error", "") if isinstance(doc, dict) else ""
check(st == 403 and f"site={B}" in msg and "meter,id=grid-2 value" in msg and "refused 2 of 3" in msg,
      f"site-A write token: other site's and untagged lines refused, named (403: {msg[:300]})")
st, doc = srv.json("GET", "/api/v1/query?" + urllib.parse.urlencode({"series": f"meter,id=mill,site={A} value", "start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}), token=root)
vals = [p[1] for p in doc["results"][0]["points"]] if st == 200 else []
check(7 in vals, f"the good line of the refused write was written ({vals})")
st, doc = srv.json("POST", "/api/v1/write", body=json.dumps([{"series": f"meter,id=grid-2,site={B} value", "t": MARCH * 10**9, "v": 5000000}]),
                   headers={"Content-Type": "application/json"}, token=w_a)
check(st == 403, f"JSON write to site B's key refused ({st} {doc})")
check(inventory(B) == base_b, f"site B's March inventory unchanged after the refused writes ({inventory(B)} == {base_b})")
for key in (f"meter,id=grid-2,site={B} value", "meter,id=grid-2 value"):
    st, doc = srv.json("GET", "/api/v1/query?" + urllib.parse.urlencode({"series": key, "start": "2025-03-01T00:00:00Z"}), token=r_a)
    check(st == 403 and key.split(" ")[0] in json.dumps(doc), f"site-A read token cannot query {key} (403 naming it: {st})")
for how, path, body in [("GET", "/api/v1/query?" + urllib.parse.urlencode({"measurement": "meter", "start": "2020-01-01T00:00:00Z"}), None),
                        ("POST", "/api/v1/query", json.dumps({"measurement": "meter", "start": "2020-01-01T00:00:00Z"}))]:
    st, doc = srv.json(how, path, body=body, token=r_a)
    keys = [r["series"] for r in doc.get("results", [])] if st == 200 else []
    check(st == 200 and keys and all(f"site={A}" in k for k in keys), f"{how} selection by measurement as site-A reader: only site-A series ({st} {keys})")
    st, doc = srv.json(how, path.replace("measurement=meter", f"where=site%3D{B}") if body is None else path,
                       body=None if body is None else json.dumps({"where": {"site": B}, "start": "2020-01-01T00:00:00Z"}), token=r_a)
    check(st == 403, f"{how} selection of site {B} as site-A reader -> 403 ({st})")
st, doc = srv.json("GET", "/api/v1/series", token=r_a)
keys = doc.get("series", []) if st == 200 else []
check(st == 200 and keys and all(f"site={A}" in k for k in keys) and doc["total"] == len(keys),
      f"site-A read token lists only site-A series and total counts only those ({doc.get('total') if doc else None}, {len(keys)})")
st, doc = srv.json("GET", "/api/v1/sites", token=r_a)
check(st == 200 and [s["id"] for s in doc] == [A], f"site-A read token lists only site A ({doc})")
evil = site_toml(A).replace('id = "grid-2"', f'id = "grid-2"\nseries = "meter,id=grid-2,site={B} value"', 1)
st, doc = srv.json("PUT", f"/api/v1/sites/{A}", body=evil.encode(), headers=TOML, token=adm_a)
check(st == 403, f"site-A admin cannot point a site-A meter at site B's series ({st} {doc})")
st, doc = srv.json("PUT", f"/api/v1/sites/{A}", body=evil.encode(), headers=TOML, token=root)
check(st == 200, f"the unscoped admin may ({st})")

srv.terminate()
finish()
