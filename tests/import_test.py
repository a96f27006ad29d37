"""CSV import, black-box (docs/import.md). Every expected number is computed here from the input
files, independently of the server. Usage: python3 import_test.py /path/to/dualcarbon"""
import collections
import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, wait_until  # noqa: E402

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DC_SOURCE_DIR", os.path.dirname(HERE))
UCI = os.path.join(SRC, "datasets", "uci-steel-industry", "Steel_industry_data.csv")
tmp = tempfile.mkdtemp(prefix="dc-import-")
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)


def query_sums(data_dir, key, start, end, tz, step="1mo"):
    """Sum per bucket (label = bucket end, closed right) from `dualcarbon query --format json`."""
    r = run("query", "--data-dir", data_dir, "--series", key, "--start", start, "--end", end,
            "--tz", tz, "--step", step, "--agg", "sum", "--closed", "right", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return {t: v for t, v in doc["results"][0]["points"]}


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


# -- 1. the UCI steel file, by the command of docs/import.md ------------------------------------
print("== UCI steel, wide, day-first, 00:00 = end of day")
uci_dir = os.path.join(tmp, "uci")
KEY = "meter,id=usage,site=uci-steel value"
r = run("import", "--format", "wide", "--data-dir", uci_dir, "--time-column", "date",
        "--time-format", "%d/%m/%Y %H:%M", "--midnight-ends-day", "--tz", "Asia/Seoul",
        "--map", f"Usage_kWh={KEY}", UCI)
check(r.returncode == 0 and "35040 points from 35040 rows (utf-8); 0 bad rows" in r.stdout,
      f"the documented command imports every row ({r.returncode} {r.stdout!r} {r.stderr[:300]!r})")

want = collections.defaultdict(float)
rows = 0
with open(UCI, encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        rows += 1
        d = datetime.datetime.strptime(row["date"], "%d/%m/%Y %H:%M")
        if d.hour == 0 and d.minute == 0:
            d += datetime.timedelta(days=1)  # 00:00 ends the day it names
        # An interval value belongs to the month containing its end (start exclusive).
        start = d - datetime.timedelta(minutes=15)
        want[(start.year, start.month)] += float(row["Usage_kWh"])
got = query_sums(uci_dir, KEY, "2018-01-01", "2019-01-01", "Asia/Seoul")
labels = {}
for (y, m), v in want.items():
    end = datetime.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=SEOUL)
    labels[end.isoformat()] = v
check(rows == 35040 and len(got) == 12, f"12 monthly buckets from {rows} rows ({len(got)})")
bad = [(t, got.get(t), v) for t, v in labels.items() if t not in got or not close(got[t], v)]
check(not bad, f"monthly kWh equal the sums computed from the CSV (mismatches: {bad})")
total = sum(got.values())
check(close(total, sum(want.values())) and 959000 < total < 960000, f"year total {total:.2f} kWh")
for t in sorted(got):
    print(f"     {t}  {got[t]:.2f} kWh")

# -- 2. a GBK file with Chinese meter names, via the CLI -----------------------------------------
print("== GBK, wide, key template, CLI")
meters = ["一号窑", "二号磨机", "空压站"]
start = datetime.datetime(2025, 3, 1, 0, 15, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
lines = ["时间," + ",".join(meters)]
gbk_sums = collections.defaultdict(float)
for i in range(96 * 3):  # three days of 15-min values
    t = start + datetime.timedelta(minutes=15 * i)
    vals = [round((i % 7) * 1.25 + j * 0.5, 3) for j in range(len(meters))]
    lines.append(t.strftime("%Y-%m-%d %H:%M") + "," + ",".join(str(v) for v in vals))
    day = (t - datetime.timedelta(minutes=15)).date().isoformat()
    for m, v in zip(meters, vals):
        gbk_sums[(m, day)] += v
gbk_bytes = ("\r\n".join(lines) + "\r\n").encode("gbk")
gbk_file = os.path.join(tmp, "gbk.csv")
with open(gbk_file, "wb") as f:
    f.write(gbk_bytes)
gbk_dir = os.path.join(tmp, "gbk")
TEMPLATE = "meter,id={column},site=gbk value"
r = run("import", "--format", "wide", "--data-dir", gbk_dir, "--time-column", "时间",
        "--tz", "Asia/Shanghai", "--key-template", TEMPLATE, gbk_file)
check(r.returncode == 0 and "(gbk)" in r.stdout and f"{96 * 3 * 3} points" in r.stdout,
      f"GBK detected and every cell imported ({r.returncode} {r.stdout!r} {r.stderr[:300]!r})")


def daily_ok(sums_of):
    bad = []
    for m in meters:
        got = sums_of(m)
        for (mm, day), v in gbk_sums.items():
            if mm != m:
                continue
            label = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat() + "T00:00:00+08:00"
            if label not in got or not close(got[label], v):
                bad.append((m, day, got.get(label), v))
    return bad


bad = daily_ok(lambda m: query_sums(gbk_dir, f"meter,id={m},site=gbk value", "2025-03-01", "2025-03-05",
                                    "Asia/Shanghai", step="1d"))
check(not bad, f"daily sums of the Chinese-named series equal python's ({bad[:3]})")

# -- 3. the same GBK bytes through POST /api/v1/import -------------------------------------------
print("== GBK via POST /api/v1/import, bad rows, watched folder")
inbox = os.path.join(tmp, "inbox")
os.makedirs(inbox)
config = os.path.join(tmp, "dualcarbon.toml")
with open(config, "w") as f:
    f.write(f"""
[[folder]]
name = "drop"
path = "{inbox}"
pattern = "*.csv"
poll_interval = "200ms"
format = "wide"
time_column = "date"
time_format = "%d/%m/%Y %H:%M"
midnight_ends_day = true
tz = "Asia/Seoul"
map = ["Usage_kWh=meter,id=drop,site=uci-steel value"]
""")
srv = Server(BIN, os.path.join(tmp, "srv"), args=["--config", config])
tok = srv.admin_token
params = urllib.parse.urlencode({"format": "wide", "encoding": "gbk", "tz": "Asia/Shanghai",
                                 "time_column": "时间", "key_template": "meter,id={column},site=api value"})
st, doc = srv.json("POST", "/api/v1/import?" + params, body=gbk_bytes, headers={"Content-Type": "text/csv"}, token=tok)
check(st == 200 and doc["points"] == 96 * 3 * 3 and doc["skipped"] == 0 and doc["encoding"] == "gbk",
      f"POST /api/v1/import answers points/rows/skipped ({st} {str(doc)[:300]})")


def api_sums(m):
    qs = urllib.parse.urlencode({"series": f"meter,id={m},site=api value", "start": "2025-03-01", "end": "2025-03-05",
                                 "tz": "Asia/Shanghai", "step": "1d", "agg": "sum", "closed": "right"})
    st, doc = srv.json("GET", "/api/v1/query?" + qs, token=tok)
    assert st == 200, doc
    return {t: v for t, v in doc["results"][0]["points"]}


bad = daily_ok(api_sums)
check(not bad, f"the API import gives the same daily sums ({bad[:3]})")

# bad rows: good rows kept, bad ones named by line
BAD = ("time,meter,value\n"
       "2025-01-01T00:00:00Z,m1,1\n"
       "not a time,m1,2\n"
       "2025-01-01T00:15:00Z,m1,abc\n"
       "2025-01-01T00:30:00Z,m1,NA\n"
       "2025-01-01T00:45:00Z,m1,4\n")
st, doc = srv.json("POST", "/api/v1/import?site=bad", body=BAD.encode(), headers={"Content-Type": "text/csv"}, token=tok)
lines_named = [e["line"] for e in doc.get("errors", [])] if doc else []
check(st == 200 and doc["points"] == 2 and doc["skipped"] == 2 and doc["empty_cells"] == 1 and lines_named == [3, 4],
      f"bad rows named by line (3, 4), good rows kept, NA skipped ({st} {doc})")
qs = urllib.parse.urlencode({"series": "meter,id=m1,site=bad value", "start": "2025-01-01T00:00:00Z", "end": "2025-01-02T00:00:00Z"})
st, q = srv.json("GET", "/api/v1/query?" + qs, token=tok)
check(st == 200 and [p[1] for p in q["results"][0]["points"]] == [1, 4], f"the good rows are stored ({q})")
st, doc = srv.json("POST", "/api/v1/import", body=b"time,meter,value\nx,m1,1\n", headers={"Content-Type": "text/csv"}, token=tok)
check(st == 400 and "line 2" in doc["error"]["message"], f"nothing good: 400 naming the line ({st} {doc})")

bad_file = os.path.join(tmp, "bad.csv")
with open(bad_file, "w") as f:
    f.write(BAD)
r = run("import", "--format", "csv", "--data-dir", os.path.join(tmp, "badcli"), "--site-id", "bad", bad_file)
check(r.returncode == 0 and f"{bad_file}:3: time \"not a time\"" in r.stderr and f"{bad_file}:4: value \"abc\" is not a number" in r.stderr
      and "2 points from 5 rows" in r.stdout, f"CLI: bad rows by file and line, good kept ({r.returncode} {r.stdout!r} {r.stderr!r})")
with open(bad_file, "w") as f:
    f.write("time,meter,value\nx,m1,1\n")
r = run("import", "--format", "csv", "--data-dir", os.path.join(tmp, "badcli"), bad_file)
check(r.returncode != 0, f"CLI: nothing good exits non-zero ({r.returncode} {r.stdout!r})")

# the watched folder: a copy of the UCI file dropped in
part = os.path.join(inbox, "steel.csv.part")
with open(UCI, "rb") as f, open(part, "wb") as g:
    g.write(f.read())
os.rename(part, os.path.join(inbox, "steel.csv"))
moved = wait_until(lambda: os.path.exists(os.path.join(inbox, "done", "steel.csv")), timeout=30)
check(moved and not os.path.exists(os.path.join(inbox, "steel.csv")), "the dropped file is imported and moved to done/")
qs = urllib.parse.urlencode({"series": "meter,id=drop,site=uci-steel value", "start": "2018-01-01", "end": "2019-01-01",
                             "tz": "Asia/Seoul", "step": "1mo", "agg": "sum", "closed": "right"})
st, q = srv.json("GET", "/api/v1/query?" + qs, token=tok)
folder = {t: v for t, v in q["results"][0]["points"]} if st == 200 else {}
bad = [t for t, v in labels.items() if t not in folder or not close(folder[t], v)]
check(not bad and len(folder) == 12, f"the folder's points give the same monthly kWh ({bad})")
st, doc = srv.json("GET", "/api/v1/sources", token=tok)
drop = [s for s in doc["sources"] if s["name"] == "drop"]
check(drop and drop[0]["kind"] == "folder" and drop[0]["points"] == 35040 and drop[0]["messages"] == 1,
      f"/api/v1/sources shows the folder ({drop})")
with open(os.path.join(inbox, "junk.csv"), "w") as f:
    f.write("date,Usage_kWh\nsoon,1\n")
failed = wait_until(lambda: os.path.exists(os.path.join(inbox, "failed", "junk.csv.errors.txt")), timeout=30)
text = open(os.path.join(inbox, "failed", "junk.csv.errors.txt"), encoding="utf-8").read() if failed else ""
check(failed and "junk.csv:2: time \"soon\"" in text, f"a file with nothing good goes to failed/ with its errors ({text!r})")
time.sleep(0.5)
st, doc = srv.json("GET", "/api/v1/sources", token=tok)
drop = [s for s in doc["sources"] if s["name"] == "drop"][0]
check(drop["points"] == 35040 and drop["errors"] >= 1 and "junk.csv" in (drop["last_error"] or ""),
      f"never re-imported; the failed file is the last error ({drop})")
check(srv.terminate() == 0, "server stops cleanly")
finish()
