"""Black-box test of the site routes of `dualcarbon serve`: PUT/GET/DELETE /api/v1/sites/{id}
(TOML and JSON, validation errors naming the line), the inventory of a golden case computed
from readings written through POST /write (equal to `dualcarbon account --readings` apart from
the data source), reports (inventory and CBAM), roles, token site scope, persistence across a
restart, and 503 when the reference library is missing.
Usage: python3 server_sites_test.py /path/to/dualcarbon"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, token_cli, wait_until  # noqa: E402

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DC_SOURCE_DIR", os.path.dirname(HERE))
REF = os.path.join(SRC, "reference")
GOLDEN = os.path.join(HERE, "accounting", "golden")
CBAM = os.path.join(HERE, "cbam")
work = tempfile.mkdtemp(prefix="dc-sites-")
data = os.path.join(work, "data")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def lp_escape(s):
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def readings_to_lp(case_dir):
    """The readings CSV of a golden case as line protocol on each meter's series key."""
    site = tomllib.loads(read(os.path.join(case_dir, "site.toml")))
    tz = zoneinfo.ZoneInfo(site["site"].get("timezone", "Asia/Shanghai"))
    series = {m["id"]: m.get("series") for m in site.get("meter", [])}
    site_id = site["site"]["id"]
    lines = []
    rows = read(os.path.join(case_dir, "readings.csv")).splitlines()
    header = rows[0].split(",")
    it, im, iv = header.index("time"), header.index("meter"), header.index("value")
    for row in rows[1:]:
        if not row.strip():
            continue
        cols = row.split(",")
        t = datetime.datetime.fromisoformat(cols[it])
        if t.tzinfo is None:
            t = t.replace(tzinfo=tz)
        ns = int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000
        meter = cols[im]
        key = series.get(meter)
        if key:  # "measurement,tags field"
            head, field = key.rsplit(" ", 1)
            lines.append(f"{head} {field}={cols[iv]} {ns}")
        else:
            # The default key: every series belongs to one site.
            lines.append(f"meter,id={lp_escape(meter)},site={lp_escape(site_id)} value={cols[iv]} {ns}")
    return "\n".join(lines) + "\n"


def account_cli(case_dir, period, fmt="json", *extra):
    r = subprocess.run([BIN, "account", "--site", os.path.join(case_dir, "site.toml"),
                        "--readings", os.path.join(case_dir, "readings.csv"), "--period", period,
                        "--format", fmt, "--reference", REF, *extra],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"account failed: {r.stderr}")
    return r.stdout


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def without_source(doc):
    doc = dict(doc)
    doc.pop("data_source", None)
    return doc


srv = Server(BIN, data, args=["--reference", REF])
admin = srv.admin_token
TOML = {"Content-Type": "application/toml"}

print("== PUT a site: 201 created, then 200 replaced")
cases = ["combustion", "cement_clinker_product"]
site_ids = {}
for case in cases:
    d = os.path.join(GOLDEN, case)
    toml = read(os.path.join(d, "site.toml"))
    sid = tomllib.loads(toml)["site"]["id"]
    site_ids[case] = sid
    st, h, body = srv.request("PUT", f"/api/v1/sites/{sid}", body=toml.encode(), headers=TOML, token=admin)
    doc = json.loads(body) if body else {}
    check(st == 201 and doc.get("created") is True and h.get("location") == f"/api/v1/sites/{sid}",
          f"PUT {sid} -> 201 with Location ({st} {body[:200]!r})")
    st, doc = srv.json("PUT", f"/api/v1/sites/{sid}", body=toml.encode(), headers={"Content-Type": "text/plain"}, token=admin)
    check(st == 200 and doc.get("created") is False, f"PUT {sid} again (text/plain) -> 200 replaced ({st})")

fuels = site_ids["combustion"]
cement = site_ids["cement_clinker_product"]

print("== GET list and one site (JSON and TOML)")
st, doc = srv.json("GET", "/api/v1/sites", token=admin)
check(st == 200 and isinstance(doc, list) and sorted(s["id"] for s in doc) == sorted([fuels, cement]),
      f"GET /api/v1/sites lists both sites ({doc})")
ce = next((s for s in doc or [] if s["id"] == cement), {})
check(ce.get("sector") == "cement" and ce.get("timezone") == "Asia/Shanghai"
      and ce.get("name") == "Example Cement Co., Line 1" and set(ce) == {"id", "name", "sector", "timezone"},
      f"list entries carry id, name, sector, timezone ({ce})")
st, doc = srv.json("GET", f"/api/v1/sites/{cement}", token=admin)
check(st == 200 and isinstance(doc, dict) and doc.get("id") == cement and "meters" in json.dumps(doc),
      f"GET /api/v1/sites/{cement} -> JSON of the site")
st, h, body = srv.request("GET", f"/api/v1/sites/{fuels}", headers={"Accept": "application/toml"}, token=admin)
check(st == 200 and "toml" in h.get("content-type", "") and body.decode() == read(os.path.join(GOLDEN, "combustion", "site.toml")),
      "GET with Accept: application/toml returns the TOML as saved")
st, doc = srv.json("GET", "/api/v1/sites/nosuch", token=admin)
check(st == 404 and doc["error"]["code"] == "not_found" and "nosuch" in doc["error"]["message"],
      f"unknown site -> 404 naming it ({doc})")
st, doc = srv.json("GET", "/api/v1/sites/nosuch/inventory?period=2025-03", token=admin)
check(st == 404 and doc["error"]["code"] == "not_found", "inventory of an unknown site -> 404")
st, h, _ = srv.request("POST", f"/api/v1/sites/{fuels}", body=b"x", token=admin)
check(st == 405 and "PUT" in h.get("allow", "") and "GET" in h.get("allow", ""), f"POST on a site -> 405 with Allow ({h.get('allow')})")

print("== validation errors: 400 naming the line and field")
bad = read(os.path.join(GOLDEN, "combustion", "site.toml")).replace('kind = "counter"', 'kind = "bogus"')
bad_line = bad.splitlines().index('kind = "bogus"') + 1
st, doc = srv.json("PUT", f"/api/v1/sites/{fuels}", body=bad.encode(), headers=TOML, token=admin)
msg = doc["error"]["message"] if st == 400 else ""
check(st == 400 and str(bad_line) in msg and "kind" in msg, f"bad enum value -> 400 naming line {bad_line} and 'kind' ({msg})")
st, doc = srv.json("PUT", f"/api/v1/sites/{fuels}", body=b"[site]\nid = \"fuels\"\nname = \n", headers=TOML, token=admin)
msg = doc["error"]["message"] if st == 400 else ""
check(st == 400 and "3" in msg, f"TOML syntax error -> 400 naming the line ({msg})")
unk = read(os.path.join(GOLDEN, "combustion", "site.toml")).replace('carrier = "diesel"', 'carrier = "unobtainium"')
st, doc = srv.json("PUT", f"/api/v1/sites/{fuels}", body=unk.encode(), headers=TOML, token=admin)
msg = doc["error"]["message"] if st == 400 else ""
check(st == 400 and "unobtainium" in msg and "carrier" in msg, f"unknown carrier (ValidateSite) -> 400 ({msg})")
st, doc = srv.json("PUT", "/api/v1/sites/other-id", body=read(os.path.join(GOLDEN, "combustion", "site.toml")).encode(),
                   headers=TOML, token=admin)
check(st == 400 and "other-id" in doc["error"]["message"] and fuels in doc["error"]["message"],
      f"id in the body differs from the path -> 400 ({doc})")
st, doc = srv.json("PUT", f"/api/v1/sites/{fuels}", body=b'{"site": {}}', headers={"Content-Type": "application/json"}, token=admin)
check(st == 400 and "TOML" in doc["error"]["message"], "JSON body -> 400 asking for TOML")
st, h, body = srv.request("GET", f"/api/v1/sites/{fuels}", headers={"Accept": "application/toml"}, token=admin)
check(st == 200 and "bogus" not in body.decode() and "unobtainium" not in body.decode(), "failed PUTs left the site unchanged")

print("== readings through POST /write, inventory equal to `dualcarbon account`")
for case in cases:
    d = os.path.join(GOLDEN, case)
    st, _, body = srv.request("POST", "/write", body=readings_to_lp(d).encode(), token=admin)
    check(st == 204, f"{case}: readings written as line protocol ({st} {body[:200]!r})")
for case in cases:
    d = os.path.join(GOLDEN, case)
    period = read(os.path.join(d, "period")).strip()
    sid = site_ids[case]
    st, h, body = srv.request("GET", f"/api/v1/sites/{sid}/inventory?period={urllib.parse.quote(period)}", token=admin)
    try:
        got = json.loads(body)
    except ValueError:
        got = {"_raw": body[:300]}
    want = json.loads(account_cli(d, period))
    check(st == 200 and h.get("content-type", "").startswith("application/json"), f"{case}: GET inventory -> 200 JSON ({st} {body[:300]!r})")
    check(without_source(got) == without_source(want), f"{case}: inventory equals `dualcarbon account` output (apart from data_source)")
    check(got.get("data_source", "").startswith("store "), f"{case}: data_source names the store ({got.get('data_source')})")
    total = got.get("emissions", {}).get("total_tco2e")
    golden = json.loads(read(os.path.join(d, "expected.json")))["emissions"]["total_tco2e"]
    check(total is not None and close(total, golden), f"{case}: total {total} equals the golden expected value {golden}")

# Same case, quarter and arbitrary range periods: still equal to the CLI.
for period in ["2025-Q1", "2025", "2025-03-01..2025-03-31"]:
    d = os.path.join(GOLDEN, "combustion")
    st, _, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?" + urllib.parse.urlencode({"period": period}), token=admin)
    ok = st == 200 and without_source(json.loads(body)) == without_source(json.loads(account_cli(d, period)))
    check(ok, f"period {period}: equals `dualcarbon account` ({st})")
st, h, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03&format=csv", token=admin)
cli_csv = account_cli(os.path.join(GOLDEN, "combustion"), "2025-03", "csv")
check(st == 200 and h.get("content-type", "").startswith("text/csv") and body.decode().splitlines()[-3:] == cli_csv.splitlines()[-3:],
      "format=csv -> text/csv like the CLI")
# by=month: the quarter and each of its months, as `dualcarbon account --by month`.
st, _, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-Q1&by=month", token=admin)
got = json.loads(body) if st == 200 else {}
want = json.loads(account_cli(os.path.join(GOLDEN, "combustion"), "2025-Q1", "json", "--by", "month"))
parts = [without_source(p) for p in got.get("parts", [])]
rest = lambda d: without_source({k: v for k, v in d.items() if k != "parts"})
check(st == 200 and got.get("by") == "month" and len(parts) == 3 and
      parts == [without_source(p) for p in want["parts"]] and rest(got) == rest(want),
      f"by=month: the quarter and its 3 months, equal to `dualcarbon account --by month` ({st})")
st, h, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-Q1&by=month&format=csv", token=admin)
check(st == 200 and body.startswith(b'\xef\xbb\xbf"month","section"') and b'"2025-02",' in body,
      "by=month&format=csv: a BOM and a month column")
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-Q1&by=week", token=admin)
check(st == 400 and "by" in doc["error"]["message"], f"by=week -> 400 ({doc})")
st, h, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03&format=md", token=admin)
check(st == 200 and h.get("content-type", "").startswith("text/markdown") and b"1589.11" in body, "format=md -> Markdown with the total")
st, h, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03&format=html", token=admin)
check(st == 200 and h.get("content-type", "").startswith("text/html") and b"<html" in body.lower(), "format=html -> HTML")
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-13", token=admin)
check(st == 400 and "period" in doc["error"]["message"] and "2025-13" in doc["error"]["message"], f"bad period -> 400 naming it ({doc})")
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/inventory", token=admin)
check(st == 400 and "period" in doc["error"]["message"], "missing period -> 400")
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03&format=pdf", token=admin)
check(st == 400 and "format" in doc["error"]["message"], "bad format -> 400")

print("== reports")
st, h, body = srv.request("GET", f"/api/v1/sites/{cement}/report?kind=inventory&period=2025-03", token=admin)
check(st == 200 and h.get("content-type", "").startswith("text/html") and "Example Cement".encode() in body,
      "inventory report (default html)")
st, h, body = srv.request("GET", f"/api/v1/sites/{cement}/report?kind=inventory&period=2025-03&format=md", token=admin)
check(st == 200 and body.startswith(b"#"), "inventory report as Markdown")
st, h, body = srv.request("GET", f"/api/v1/sites/{cement}/report?kind=inventory&period=2025-03&format=json", token=admin)
check(st == 200 and json.loads(body)["site"] == cement, "inventory report as JSON")
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/report?kind=cbam&period=2025-03&format=json", token=admin)
check(st == 400 and "cbam.good" in doc["error"]["message"], f"CBAM report of a site without goods -> 400 ({doc})")
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/report?kind=bogus&period=2025-03", token=admin)
check(st == 400 and "kind" in doc["error"]["message"], "bad kind -> 400")

cbam_case = os.path.join(CBAM, "cement_clinker")
if os.path.isdir(cbam_case):
    toml = read(os.path.join(cbam_case, "site.toml"))
    csid = tomllib.loads(toml)["site"]["id"]
    st, _, body = srv.request("PUT", f"/api/v1/sites/{csid}", body=toml.encode(), headers=TOML, token=admin)
    check(st in (200, 201), f"PUT the CBAM case's site ({st} {body[:300]!r})")
    st, _, _ = srv.request("POST", "/write", body=readings_to_lp(cbam_case).encode(), token=admin)
    period = read(os.path.join(cbam_case, "period")).strip()
    st, doc = srv.json("GET", f"/api/v1/sites/{csid}/report?kind=cbam&format=json&period={period}", token=admin)
    r = subprocess.run([BIN, "report", "--kind", "cbam", "--format", "json", "--site", os.path.join(cbam_case, "site.toml"),
                        "--readings", os.path.join(cbam_case, "readings.csv"), "--period", period, "--reference", REF],
                       capture_output=True, text=True, timeout=60)
    want = json.loads(r.stdout) if r.returncode == 0 else {"_err": r.stderr}
    check(st == 200 and without_source(doc) == without_source(want), f"CBAM report JSON equals `dualcarbon report --kind cbam` ({st})")

print("== roles and token scope")
rc, reader, _ = token_cli(BIN, data, "create", "--role", "read", "--name", "r")
rc2, scoped, _ = token_cli(BIN, data, "create", "--role", "read", "--name", "scoped", "--site", fuels)
rc3, writer, _ = token_cli(BIN, data, "create", "--role", "write", "--name", "w")
rc4, scoped_admin, _ = token_cli(BIN, data, "create", "--role", "admin", "--name", "sa", "--site", fuels)
check(rc == rc2 == rc3 == rc4 == 0, "tokens created")
check(wait_until(lambda: srv.request("GET", "/api/v1/sites", token=scoped_admin)[0] == 200, 5),
      "the running server sees the new tokens")
st, doc = srv.json("GET", "/api/v1/sites", token=reader)
check(st == 200 and len(doc) >= 2, "read token lists all sites")
st, doc = srv.json("PUT", f"/api/v1/sites/{fuels}", body=read(os.path.join(GOLDEN, "combustion", "site.toml")).encode(), headers=TOML, token=reader)
check(st == 403, "read token cannot PUT (403)")
st, _, _ = srv.request("DELETE", f"/api/v1/sites/{fuels}", token=reader)
check(st == 403, "read token cannot DELETE (403)")
st, _, _ = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03", token=writer)
check(st == 403, "write token cannot read inventories (403)")
st, _, _ = srv.request("GET", "/api/v1/sites")
check(st == 401, "no token -> 401")
st, doc = srv.json("GET", "/api/v1/sites", token=scoped)
check(st == 200 and [s["id"] for s in doc] == [fuels], f"scoped token sees only its site in the list ({doc})")
st, _, _ = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03", token=scoped)
check(st == 200, "scoped token reads its site's inventory")
st, doc = srv.json("GET", f"/api/v1/sites/{cement}", token=scoped)
check(st == 403 and doc["error"]["code"] == "permission_denied" and fuels in doc["error"]["message"],
      f"scoped token gets 403 on another site ({doc})")
st, _, _ = srv.request("GET", f"/api/v1/sites/{cement}/inventory?period=2025-03", token=scoped)
check(st == 403, "scoped token gets 403 on another site's inventory")
st, _, _ = srv.request("GET", f"/api/v1/sites/{cement}/report?period=2025-03", token=scoped)
check(st == 403, "scoped token gets 403 on another site's report")
st, _, _ = srv.request("DELETE", f"/api/v1/sites/{cement}", token=scoped_admin)
check(st == 403, "scoped admin token cannot delete another site")
st, _, _ = srv.request("PUT", "/api/v1/sites/newsite", body=b"[site]\nid = \"newsite\"\n", headers=TOML, token=scoped_admin)
check(st == 403, "scoped admin token cannot create another site")

print("== delete, persistence across restart")
st, _, body = srv.request("DELETE", f"/api/v1/sites/{cement}", token=admin)
check(st == 204 and body == b"", "DELETE -> 204")
st, _, _ = srv.request("DELETE", f"/api/v1/sites/{cement}", token=admin)
check(st == 404, "DELETE again -> 404")
st, _, _ = srv.request("GET", f"/api/v1/sites/{cement}", token=admin)
check(st == 404, "deleted site -> 404")
check(srv.terminate() == 0, "SIGTERM -> exit 0")
check(os.path.exists(os.path.join(data, "sites.db")), "sites persist in DATA_DIR/sites.db")
srv = Server(BIN, data, args=["--reference", REF])
st, doc = srv.json("GET", "/api/v1/sites", token=admin)
check(st == 200 and fuels in [s["id"] for s in doc] and cement not in [s["id"] for s in doc],
      "after restart the sites are still there (and the deleted one is not)")
st, _, body = srv.request("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03", token=admin)
check(st == 200 and close(json.loads(body)["emissions"]["total_tco2e"], 1589.110550412), "inventory after restart")
srv.terminate()

print("== no reference library: server starts, inventory routes answer 503")
env_dir = os.path.join(work, "empty-ref")
os.makedirs(env_dir)
srv = Server(BIN, data, args=["--reference", env_dir])
st, doc = srv.json("GET", f"/api/v1/sites/{fuels}/inventory?period=2025-03", token=admin)
check(st == 503 and doc["error"]["code"] == "unavailable" and "reference" in doc["error"]["message"],
      f"inventory without reference -> 503 with a clear message ({doc})")
st, doc = srv.json("GET", "/api/v1/sites", token=admin)
check(st == 200, "site list still works without the reference library")
st, _, _ = srv.request("GET", "/health")
check(st == 200, "server healthy without the reference library")
check(srv.terminate() == 0, "SIGTERM -> exit 0")

finish()
