"""Black-box test of the HTTP API: writes (line protocol, gzip, JSON, partial-bad bodies),
queries (JSON, CSV, time zones, aggregates), tokens and roles, InfluxDB compatibility routes,
configuration file, --no-auth rules, SIGTERM and restart.
Usage: python3 server_api_test.py /path/to/dualcarbon"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, basic, check, finish, q, token_cli, wait_until  # noqa: E402

BIN = sys.argv[1]
work = tempfile.mkdtemp(prefix="dc-api-")
data = os.path.join(work, "data")

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
KWH = "energy,meter=m1,site=a kwh"

print("== first start: admin token printed once")
srv = Server(BIN, data)
admin = srv.admin_token
check(admin is not None and admin.startswith("dc_"), "admin token printed at first start")
with open(os.path.join(data, "tokens.json")) as f:
    stored = f.read()
check(admin not in stored and admin.split("_", 2)[2] not in stored, "tokens.json does not hold the plaintext")

print("== public routes and authentication")
st, h, _ = srv.request("GET", "/ping")
check(st == 204 and "x-influxdb-version" in h, "GET /ping -> 204 with X-Influxdb-Version")
st, _, _ = srv.request("HEAD", "/ping")
check(st == 204, "HEAD /ping -> 204")
st, doc = srv.json("GET", "/health")
check(st == 200 and doc.get("status") == "ok" and "store" in doc, "GET /health -> status ok and store stats")
st, doc = srv.json("POST", "/api/v1/write", body=f"{KWH}=1 {T0}000000000\n")
check(st == 401 and doc["error"]["code"] == "unauthenticated", "write without token -> 401 (API error shape)")
st, doc = srv.json("POST", "/write", body=f"{KWH}=1\n")
check(st == 401 and isinstance(doc.get("error"), str), "/write without token -> 401 ({\"error\": string} like InfluxDB)")
st, doc = srv.json("GET", "/api/v1/series", token="dc_000000000000_notatoken")
check(st == 401, "unknown token -> 401")
st, doc = srv.json("GET", "/api/v1/series", token=admin[:-1] + ("A" if admin[-1] != "A" else "B"))
check(st == 401, "token with one wrong character -> 401")

print("== tokens created by the CLI while the server runs; roles")
rc, writer, err = token_cli(BIN, data, "create", "--role", "write", "--name", "plant-gw")
check(rc == 0 and writer.startswith("dc_"), f"token create --role write prints a token ({err})")
rc, reader, _ = token_cli(BIN, data, "create", "--role", "read", "--name", "dashboard")
check(rc == 0 and reader.startswith("dc_"), "token create --role read")
rc, scoped, _ = token_cli(BIN, data, "create", "--role", "read", "--name", "site-s1", "--site", "s1")
check(rc == 0 and scoped.startswith("dc_"), "token create --site s1")
rc, _, err = token_cli(BIN, data, "create", "--role", "superuser")
check(rc != 0 and "role" in err, "token create with a bad role fails naming the role")
rc, out, _ = token_cli(BIN, data, "list", "--json")
lst = json.loads(out) if rc == 0 else []
check(len(lst) == 4 and {t["role"] for t in lst} == {"admin", "write", "read"}, "token list shows 4 tokens with roles")
check(any(t["site"] == "s1" and t["name"] == "site-s1" for t in lst), "token records carry the site scope")
check(writer not in out and reader not in out, "token list never shows secrets")
check(wait_until(lambda: srv.request("POST", f"/write?precision=s", body=f"{KWH}=1 {T0}\n", token=writer)[0] == 204, 5),
      "running server accepts a token created after it started")
st, _, _ = srv.request("GET", "/api/v1/series", token=writer)
check(st == 403, "write token cannot read (403)")
st, _, _ = srv.request("POST", "/write", body=f"{KWH}=1 {T0}000000000\n", token=reader)
check(st == 403, "read token cannot write (403)")
st, _, _ = srv.request("GET", "/api/v1/series", token=reader)
check(st == 200, "read token can read")
st, _, _ = srv.request("GET", "/api/v1/tokens", token=reader)
check(st == 403, "read token cannot list tokens")
st, _, _ = srv.request("GET", "/api/v1/tokens", token=admin)
check(st == 200, "admin lists tokens over HTTP")
st, _, _ = srv.request("POST", "/write?precision=s", body=f"{KWH}=1 {T0}\n",
                       headers={"Authorization": f"Token {writer}"})
check(st == 204, "Authorization: Token <t> (InfluxDB 2 style) accepted")
st, _, _ = srv.request("POST", "/write?precision=s", body=f"{KWH}=1 {T0}\n",
                       headers={"Authorization": basic("telegraf", writer)})
check(st == 204, "HTTP Basic with the token as password (Telegraf username/password) accepted")
st, _, _ = srv.request("POST", "/write?" + q(db="telegraf", precision="s", u="telegraf", p=writer), body=f"{KWH}=1 {T0}\n")
check(st == 204, "?u=&p=<token> accepted")

print("== write and query round trip")
lines = "\n".join(f"{KWH}={100 + i * 0.5},kw={i} {T0 + i * 60}" for i in range(120)) + "\n"
st, _, body = srv.request("POST", "/write?db=x&precision=s", body=lines, token=writer)
check(st == 204, f"line protocol write of 120 lines -> 204 ({body[:200]!r})")
params = q(series=KWH, start="2023-11-14T22:13:20Z", end="2023-11-15T00:13:20Z")
st, doc = srv.json("GET", "/api/v1/query?" + params, token=reader)
pts = doc["results"][0]["points"] if st == 200 else []
check(st == 200 and len(pts) == 120, f"raw query returns the 120 points ({st}, {len(pts)})")
check(pts and pts[0] == ["2023-11-14T22:13:20+00:00", 100] and pts[-1][1] == 159.5, f"points are [RFC 3339, value] ({pts[:1]})")
st, doc = srv.json("GET", "/api/v1/query?" + params + "&tz=Asia/Shanghai&epoch=ms", token=reader)
check(st == 200 and doc["results"][0]["points"][0] == [T0 * 1000, 100], "epoch=ms gives epoch milliseconds")
st, doc = srv.json("GET", "/api/v1/query?" + params + "&tz=Asia/Shanghai", token=reader)
check(st == 200 and doc["results"][0]["points"][0][0] == "2023-11-15T06:13:20+08:00", "tz=Asia/Shanghai formats +08:00")
st, doc = srv.json("GET", "/api/v1/query?" + q(series=[KWH, "energy,site=a,meter=m1 kw"], start="2023-11-14T22:00:00Z",
                                                end="2023-11-15T01:00:00Z", step="1h", agg="count"), token=reader)
res = doc.get("results", []) if st == 200 else []
check(len(res) == 2 and res[1]["series"] == "energy,meter=m1,site=a kw", "two series, keys canonicalised (tags sorted)")
check(res and sum(p[1] for p in res[0]["points"]) == 120 and len(res[0]["points"]) == 3, f"hourly count buckets sum to 120 ({res[:1]})")
st, doc = srv.json("GET", "/api/v1/query?" + q(series=KWH, start="2023-11-14T22:00:00Z", end="2023-11-14T23:00:00Z", step="1h", agg="max"), token=reader)
check(st == 200 and doc["results"][0]["points"] == [["2023-11-14T22:00:00+00:00", 100 + 46 * 0.5]], f"hourly max ({doc})")
st, h, body = srv.request("GET", "/api/v1/query?" + params + "&epoch=ms", token=reader, headers={"Accept": "text/csv"})
rows = body.decode("utf-8-sig").strip().split("\n")
check(st == 200 and h["content-type"].startswith("text/csv") and rows[0] == '"series","time","value","quality"' and len(rows) == 121,
      "Accept: text/csv gives a CSV with a header and 120 rows (raw: with a quality column)")
check(rows[1] == f'"{KWH}",{T0 * 1000},100,0', f"CSV row quotes the key ({rows[1]!r})")
st, doc = srv.json("GET", "/api/v1/series?" + q(match="kw"), token=reader)
check(st == 200 and set(doc["series"]) >= {KWH, "energy,meter=m1,site=a kw"}, "series?match= lists matching series")

print("== query parameter errors")
for bad, what in [(q(start="2023-11-14"), "series"), (q(series=KWH), "start"),
                  (q(series=KWH, start="yesterday"), "start"), (q(series=KWH, start="2023-11-14", step="7x"), "step"),
                  (q(series=KWH, start="2023-11-14", agg="median"), "agg"),
                  (q(series=KWH, start="2023-11-14", tz="Mars/Olympus"), "tz"),
                  (q(series=KWH, start="2023-11-14", closed="middle"), "closed"),
                  (q(series=KWH, start="2023-11-15", end="2023-11-14"), "end")]:
    st, doc = srv.json("GET", "/api/v1/query?" + bad, token=reader)
    check(st == 400 and doc["error"]["code"] == "invalid_argument" and what in doc["error"]["message"],
          f"bad query ({bad}) -> 400 naming {what}: {doc['error']['message'] if st == 400 else st}")

print("== select series by tags (GET where=, POST JSON body); format=csv")
DAY = 1_704_038_400  # 2024-01-01T00:00:00+08:00
sel_lines = []
for i, (tags, f) in enumerate([("kind=energy,meter=m1,site=s1", "kwh"), ("site=s1,meter=m2,kind=energy", "kwh"),
                               ("kind=energy,meter=m3,site=s2", "kwh"), ("kind=water,meter=m4,site=s1", "kwh"),
                               ("kind=energy,meter=m1,site=s1", "kw")]):
    for h in range(4):  # 4 readings on 2024-01-01 and 4 on 2024-01-02 (Shanghai)
        for d in range(2):
            sel_lines.append(f"sel,{tags} {f}={(i + 1) * 10 + h + d * 100} {DAY + d * 86400 + h * 3600}")
st, _, body = srv.request("POST", "/write?precision=s", body="\n".join(sel_lines) + "\n", token=writer)
check(st == 204, f"write the tagged series ({body[:200]!r})")
M1, M2, M3 = "sel,kind=energy,meter=m1,site=s1 kwh", "sel,kind=energy,meter=m2,site=s1 kwh", "sel,kind=energy,meter=m3,site=s2 kwh"
days = dict(start="2024-01-01", end="2024-01-03", step="1d", agg="sum", tz="Asia/Shanghai", epoch="ms")
want = {M1: [[DAY * 1000, 46], [(DAY + 86400) * 1000, 446]], M2: [[DAY * 1000, 86], [(DAY + 86400) * 1000, 486]]}
sel_q = "where=site%3Ds1&where=kind%3Denergy&field=kwh&measurement=sel&" + q(**days)
st, doc = srv.json("GET", "/api/v1/query?" + sel_q, token=reader)
got = {r["series"]: r["points"] for r in doc["results"]} if st == 200 else {}
check(st == 200 and [r["series"] for r in doc["results"]] == [M1, M2] and got == want,
      f"where=site=s1&where=kind=energy&field=kwh selects m1 and m2, sorted by key, daily sums in Shanghai ({doc})")
st, doc2 = srv.json("GET", "/api/v1/query?where=kind%3Denergy&where=site%3Ds1&field=kwh&" + q(**days), token=reader)
check(st == 200 and doc2 == doc, "tags in any order give the same answer")
st, doc2 = srv.json("GET", "/api/v1/query?" + q(series=[M2, M1], **days), token=reader)
check(st == 200 and {r["series"]: r["points"] for r in doc2["results"]} == want, "listing the same keys gives the same sums")
st, doc2 = srv.json("GET", "/api/v1/query?where=site%3Dnowhere&" + q(**days), token=reader)
check(st == 200 and doc2 == {"results": []}, f"a selection that matches nothing -> 200 with no results ({doc2})")
st, doc2 = srv.json("GET", "/api/v1/query?where=kind%3Denergy&field=kwh&" + q(**days), token=scoped)
keys = [r["series"] for r in doc2.get("results", [])] if st == 200 else []
check(st == 200 and keys == [M1, M2], f"a site-s1 token selecting kind=energy gets only site s1's series, not {M3} ({st} {keys})")
st, doc2 = srv.json("GET", "/api/v1/query?where=site%3Ds2&" + q(**days), token=scoped)
check(st == 403 and "s2" in doc2["error"]["message"], f"a site-s1 token selecting site=s2 -> 403 naming it ({st})")
JSON_CT = {"Content-Type": "application/json"}
body = json.dumps({"where": {"kind": "energy", "site": "s1"}, "field": "kwh", **days})
st, doc2 = srv.json("POST", "/api/v1/query", body=body, headers=JSON_CT, token=reader)
check(st == 200 and doc2 == doc, f"POST with a JSON body {{\"where\": ...}} gives the GET answer ({st})")
st, doc2 = srv.json("POST", "/api/v1/query", body=json.dumps({"series": [M3, M1], **days}), headers=JSON_CT, token=scoped)
check(st == 403 and M3 in doc2["error"]["message"], f"a site-s1 token posting another site's key -> 403 naming it ({st})")
st, doc2 = srv.json("POST", "/api/v1/query", body=json.dumps({"where": {"kind": "energy"}, **days}), headers=JSON_CT, token=scoped)
keys = [r["series"] for r in doc2.get("results", [])] if st == 200 else []
check(st == 200 and M3 not in keys and keys and all(",site=s1" in k for k in keys), f"POSTed selection for a site-s1 token: site s1 only ({keys})")
many = [M1] + [f"nothing,site=s1,id=n{i} kwh" for i in range(1499)] + [M2]
st, doc2 = srv.json("POST", "/api/v1/query", body=json.dumps({"series": many, **days}), headers=JSON_CT, token=reader)
res = doc2.get("results", []) if st == 200 else []
check(st == 200 and len(res) == 1501 and res[0]["points"] == want[M1] and res[-1]["points"] == want[M2] and res[1]["points"] == [],
      f"POST with 1,501 listed series (more than a URL carries) answers each, in order ({st} {len(res)})")
for bad, headers, what in [("{not json", JSON_CT, "JSON object"), ("[]", JSON_CT, "JSON object"),
                           (json.dumps({"series": M1, "start": "2024-01-01"}), JSON_CT, '"series"'),
                           (json.dumps({"series": [M1], "strat": "2024-01-01"}), JSON_CT, '"strat"'),
                           (json.dumps({"where": {"site": 1}, "start": "2024-01-01"}), JSON_CT, '"site"'),
                           (json.dumps({"series": [M1], "start": "2024-01-01", "step": 1}), JSON_CT, '"step"'),
                           (json.dumps({"series": [M1], "start": "soon"}), JSON_CT, "start"),
                           (json.dumps({"series": [M1], "start": "2024-01-01"}), {"Content-Type": "text/plain"}, "Content-Type")]:
    st, doc2 = srv.json("POST", "/api/v1/query", body=bad, headers=headers, token=reader)
    msg = doc2["error"]["message"] if st == 400 else ""
    check(st == 400 and what in msg, f"POST body {bad[:40]!r} -> 400 naming {what}: {msg or st}")
st, doc2 = srv.json("POST", "/api/v1/query?format=csv", body=json.dumps({"series": [M1], "start": "2024-01-01"}), headers=JSON_CT, token=reader)
check(st == 400 and "body" in doc2["error"]["message"], "POST parameters in the URL -> 400 (they go in the body)")
st, doc2 = srv.json("POST", "/api/v1/query?" + q(u="dash", p=reader), body=json.dumps({"series": [M1], **days}), headers=JSON_CT)
check(st == 200 and doc2["results"][0]["points"] == want[M1], f"POST with the token as ?p= (InfluxDB style) is accepted ({st})")
many_lines = "\n".join(f"many,id=x{i} v=1 {T0}" for i in range(10_001)) + "\n"
st, _, _ = srv.request("POST", "/write?precision=s", body=many_lines, token=writer)
st, doc2 = srv.json("GET", "/api/v1/query?" + q(measurement="many", start=str(T0 * 10**9)), token=reader)
check(st == 400 and "10001 series" in doc2["error"]["message"] and "where=" in doc2["error"]["message"],
      f"a selection of 10,001 series -> 400 naming the count and how to narrow it ({doc2})")
# A query of many series is answered by several threads (server/query_api.cc): the parts must
# join into one answer in series order, values in place, the CSV header once.
some = [f"many,id=x{i} v" for i in range(2999, -1, -1)]
second = "".join(f"many,id=x{i} v={i} {T0 + 60}\n" for i in range(0, 3000, 7))  # answers differ
st, _, _ = srv.request("POST", "/write?precision=s", body=second, token=writer)
check(st == 204, "write a second reading for every 7th series")
big = {"series": some, "start": str(T0 * 10**9), "end": str((T0 + 3600) * 10**9), "step": "1h", "agg": "sum", "epoch": "ms"}
st, doc2 = srv.json("POST", "/api/v1/query", body=json.dumps(big), headers=JSON_CT, token=reader)
res = doc2.get("results", []) if st == 200 else []
ok = st == 200 and [r["series"] for r in res] == some
for r, k in zip(res, some):
    i = int(k.split("x")[1].split(" ")[0])
    ok = ok and len(r["points"]) == 1 and r["points"][0][1] == 1 + (i if i % 7 == 0 else 0)
check(ok, f"3,000 series in one query: every answer in the order asked, each its own sum ({st} {len(res)})")
st, h, b = srv.request("POST", "/api/v1/query", body=json.dumps({**big, "format": "csv"}), headers=JSON_CT, token=reader)
rows = b.decode("utf-8-sig").split("\n") if st == 200 else []
check(st == 200 and b.startswith(b"\xef\xbb\xbf") and b.count(b"\xef\xbb\xbf") == 1 and rows[0] == '"series","time","value"'
      and rows.count('"series","time","value"') == 1 and len(rows) == 3002
      and [r.rsplit(",", 2)[0].strip('"') for r in rows[1:-1]] == some,
      f"3,000 series as CSV: one BOM, one header, a row per series in the order asked ({st} {len(rows)})")
st, h, csv_body = srv.request("GET", "/api/v1/query?" + sel_q + "&format=csv", token=reader)
rows = csv_body.decode("utf-8-sig").split("\n")
check(st == 200 and h["content-type"].startswith("text/csv") and rows[0] == '"series","time","value"'
      and rows[1:] == [f'"{M1}",{DAY * 1000},46', f'"{M1}",{(DAY + 86400) * 1000},446',
                       f'"{M2}",{DAY * 1000},86', f'"{M2}",{(DAY + 86400) * 1000},486', ""],
      f"format=csv: a header row, then one quoted key, time, value per row ({csv_body[:300]!r})")
st, _, accept_body = srv.request("GET", "/api/v1/query?" + sel_q, token=reader, headers={"Accept": "text/csv"})
check(st == 200 and accept_body == csv_body, "format=csv is byte for byte the Accept: text/csv answer")
st, h, b = srv.request("GET", "/api/v1/query?" + sel_q + "&format=json", token=reader, headers={"Accept": "text/csv"})
check(st == 200 and h["content-type"].startswith("application/json") and json.loads(b) == doc, "format=json wins over Accept: text/csv")
st, h, b = srv.request("POST", "/api/v1/query", body=json.dumps({"where": {"site": "s1", "kind": "energy"}, "field": "kwh", "format": "csv", **days}),
                       headers=JSON_CT, token=reader)
check(st == 200 and b == csv_body, "POST with \"format\": \"csv\" gives the same CSV")
st, doc2 = srv.json("GET", "/api/v1/query?" + sel_q + "&format=xml", token=reader)
check(st == 400 and "format" in doc2["error"]["message"], "format=xml -> 400 naming format")

print("== gzip, JSON, partial-bad bodies")
gz = gzip.compress("\n".join(f"gz,site=a v={i} {T0 + i}" for i in range(1000)).encode())
st, _, body = srv.request("POST", "/write?precision=s", body=gz, headers={"Content-Encoding": "gzip"}, token=writer)
check(st == 204, f"gzip body -> 204 ({body[:200]!r})")
st, doc = srv.json("GET", "/api/v1/query?" + q(series="gz,site=a v", start=str(T0 * 10**9), end=str((T0 + 1000) * 10**9)), token=reader)
check(st == 200 and len(doc["results"][0]["points"]) == 1000, "the 1000 gzip points are readable")
st, doc = srv.json("POST", "/write", body=b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"}, token=writer)
check(st == 400, f"corrupt gzip -> 400 ({doc})")
st, doc = srv.json("POST", "/write", body="x v=1", headers={"Content-Encoding": "br"}, token=writer)
check(st == 400 and "Content-Encoding" in doc["error"], "unsupported Content-Encoding -> 400")
jbody = json.dumps([{"series": "json,site=a v", "t": (T0 + i) * 10**9, "v": i * 1.25} for i in range(10)])
st, _, body = srv.request("POST", "/api/v1/write", body=jbody, headers={"Content-Type": "application/json"}, token=writer)
check(st == 204, f"JSON write -> 204 ({body[:200]!r})")
st, doc = srv.json("GET", "/api/v1/query?" + q(series="json,site=a v", start=str(T0 * 10**9), epoch="ms"), token=reader)
check(st == 200 and doc["results"][0]["points"][3] == [(T0 + 3) * 1000, 3.75], "JSON points readable")
jbad = json.dumps([{"series": "json,site=b v", "t": T0 * 10**9, "v": 1}, {"series": "json,site=b v", "t": T0 * 10**9 + 1, "v": "x"}])
st, doc = srv.json("POST", "/api/v1/write", body=jbad, headers={"Content-Type": "application/json"}, token=writer)
check(st == 400 and doc["error"]["details"]["points_written"] == 1 and doc["error"]["details"]["errors"][0]["index"] == 1,
      f"JSON with one bad element -> 400 naming element 1, 1 point written ({doc})")
partial = (f"part,site=a v=1 {T0}\n"
           f"part,site=a v=oops {T0 + 1}\n"
           f"part,site=a v=3 {T0 + 2}\n"
           f"part,site=a {T0 + 3}\n"
           f"part,site=a v=5 {T0 + 4}\n")
st, doc = srv.json("POST", "/write?precision=s", body=partial, token=writer)
msg = doc.get("error", "") if isinstance(doc, dict) else ""
check(st == 400 and "line 2" in msg and "column" in msg and "line 4" in msg, f"/write partial-bad -> 400 naming lines 2 and 4 ({msg})")
check("partial write" in msg and "3 points" in msg and "dropped=2" in msg, "message says what was written (InfluxDB wording)")
st, doc = srv.json("GET", "/api/v1/query?" + q(series="part,site=a v", start=str(T0 * 10**9), epoch="ms"), token=reader)
check(st == 200 and [p[1] for p in doc["results"][0]["points"]] == [1, 3, 5], "the good lines of the bad body were stored")
st, doc = srv.json("POST", "/api/v1/write?precision=s", body=partial, token=writer)
det = doc["error"]["details"] if st == 400 else {}
check(st == 400 and det.get("rejected_lines") == 2 and det["errors"][0]["line"] == 2 and det["errors"][0]["column"] > 0,
      f"/api/v1/write partial-bad -> details with line and column ({det})")
st, doc = srv.json("POST", "/write?precision=fortnights", body="x v=1", token=writer)
check(st == 400 and "fortnights" in doc["error"], "bad precision -> 400 naming it")

print("== InfluxDB /query, unknown routes")
st, doc = srv.json("POST", "/query", body="q=" + "CREATE DATABASE \"telegraf\"",
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, token=writer)
check(st == 200 and doc == {"results": [{"statement_id": 0}]}, f"POST /query CREATE DATABASE (Telegraf startup) ({doc})")
st, doc = srv.json("GET", "/query?" + q(q="SHOW DATABASES"), token=reader)
vals = doc["results"][0]["series"][0]["values"] if st == 200 else []
check(["telegraf"] in vals, "SHOW DATABASES lists it")
st, doc = srv.json("GET", "/query?" + q(q="SELECT * FROM cpu"), token=reader)
check(st == 501 and "unsupported" in doc["error"], "other InfluxQL -> 501 with a pointer to /api/v1/query")
st, doc = srv.json("GET", "/api/v1/nope", token=admin)  # other paths are the dashboard's
check(st == 404 and doc["error"]["code"] == "not_found", "unknown route -> 404")
st, h, _ = srv.request("DELETE", "/api/v1/query", token=admin)
check(st == 405 and "GET" in h.get("allow", ""), "wrong method -> 405 with Allow")

print("== metrics")
st, h, body = srv.request("GET", "/metrics", token=reader)
text = body.decode()
for name in ["dualcarbon_ingest_points_total", "dualcarbon_ingest_points_per_second", "dualcarbon_wal_pending_bytes",
             "dualcarbon_store_series", "dualcarbon_http_requests_total{route=\"write\",code=\"204\"}",
             "dualcarbon_query_duration_seconds_bucket{le=\"+Inf\"}"]:
    check(st == 200 and name in text, f"/metrics has {name}")

print("== revoke")
wid = next(t["id"] for t in lst if t["role"] == "write")
rc, _, _ = token_cli(BIN, data, "revoke", wid)
check(rc == 0, "token revoke <id>")
check(wait_until(lambda: srv.request("POST", "/write", body=f"{KWH}=1\n", token=writer)[0] == 401, 5),
      "revoked token rejected by the running server")
rc, _, err = token_cli(BIN, data, "revoke", "no-such-token")
check(rc != 0 and "no token" in err, "revoking an unknown token fails clearly")

print("== SIGTERM, restart, data present")
rc = srv.terminate()
check(rc == 0, f"SIGTERM -> exit code 0 (got {rc})")
srv = Server(BIN, data)
check(srv.admin_token is None, "no new admin token at the second start")
st, doc = srv.json("GET", "/api/v1/query?" + params, token=reader)
check(st == 200 and len(doc["results"][0]["points"]) == 120, "data present after restart")
check(srv.terminate() == 0, "second SIGTERM -> 0")

print("== config file, flags override it, limits")
cfg = os.path.join(work, "dc.toml")
with open(cfg, "w") as f:
    f.write('[http]\nlisten = "127.0.0.1:1"\nmax_body_bytes = 65536\n[storage]\nfsync = "always"\n[log]\nlevel = "warn"\n')
srv = Server(BIN, data, ["--config", cfg])  # --listen 127.0.0.1:0 from the harness overrides
st, doc = srv.json("POST", "/write", body="x v=1 1\n" * 10000, token=admin)
check(st == 413, f"body over max_body_bytes -> 413 ({st})")
bomb = gzip.compress(b"x v=1 1\n" * 100000)
st, doc = srv.json("POST", "/write", body=bomb, headers={"Content-Encoding": "gzip"}, token=admin)
check(len(bomb) < 65536 and st == 413, f"gzip body inflating past the limit -> 413 ({st})")
st, _, _ = srv.request("GET", "/ping")
check(st == 204, "server still serving after 413s")
check(srv.terminate() == 0, "SIGTERM -> 0")
with open(cfg, "w") as f:
    f.write('[http]\nlisten = "127.0.0.1:0"\nmax_body_bites = 1\n')
r = subprocess.run([BIN, "serve", "--data-dir", data, "--config", cfg], capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and "max_body_bites" in r.stderr and "line 3" in r.stderr, f"unknown config key refused, named with its line ({r.stderr.strip()})")

print("== --no-auth")
r = subprocess.run([BIN, "serve", "--data-dir", data, "--listen", "0.0.0.0:0", "--no-auth"], capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and "loopback" in r.stderr, "--no-auth on 0.0.0.0 refused")
noauth = os.path.join(work, "noauth")
srv = Server(BIN, noauth, ["--no-auth"])
check(srv.admin_token is None, "--no-auth creates no token")
st, _, _ = srv.request("POST", "/write?precision=s", body=f"{KWH}=7 {T0}\n")
check(st == 204, "--no-auth on loopback: write without a token")
st, _, _ = srv.request("GET", "/api/v1/series")
check(st == 200, "--no-auth on loopback: read without a token")
check(srv.terminate() == 0, "SIGTERM -> 0")

shutil.rmtree(work, ignore_errors=True)
finish()
