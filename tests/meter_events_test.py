"""Meter swaps and quality end to end (docs/api.md "Meter events", "Query"): a swap recorded
through the API and the CLI changes the site inventory and the query route's increase exactly as
the counter contract says; the events route lists swaps and what the counter rules detect; bad
swap bodies are refused; raw queries carry quality ([t, v, q] and a CSV quality column), and
aggregates skip failed polls. Usage: python3 meter_events_test.py /path/to/dualcarbon"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, q  # noqa: E402

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("DC_SOURCE_DIR", os.path.dirname(HERE))
REF = os.path.join(SRC, "reference")
CASE = os.path.join(HERE, "accounting", "golden", "electricity")
work = tempfile.mkdtemp(prefix="dc-meter-events-")
data = os.path.join(work, "data")
SID = "swap-a"
KEY = f"meter,id=grid-2,site={SID} value"
EVENTS = f"/api/v1/sites/{SID}/meters/grid-2/events"
SWAPS = f"/api/v1/sites/{SID}/meters/grid-2/swaps"
JSONH = {"Content-Type": "application/json"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


srv = Server(BIN, data, args=["--reference", REF])
root = srv.admin_token
toml = re.sub(r'(?m)^id = "elec"$', f'id = "{SID}"', read(os.path.join(CASE, "site.toml")), count=1)
st, _, body = srv.request("PUT", f"/api/v1/sites/{SID}", body=toml.encode(), headers={"Content-Type": "application/toml"}, token=root)
check(st in (200, 201), f"site saved ({st} {body[:200]!r})")
# grid-2 (no rollover), Asia/Shanghai: 500 (03-01) -> 800 (03-10) -> 100 (03-11) -> 300 (04-01)
points = [{"series": KEY, "t": t, "v": v} for t, v in (
    ("2025-03-01T00:00:00+08:00", 500), ("2025-03-10T00:00:00+08:00", 800),
    ("2025-03-11T00:00:00+08:00", 100), ("2025-04-01T00:00:00+08:00", 300))]
st, _, body = srv.request("POST", "/api/v1/write", body=json.dumps(points), headers=JSONH, token=root)
check(st == 204, f"readings written ({st} {body[:200]!r})")


def grid2_amount():
    st, doc = srv.json("GET", f"/api/v1/sites/{SID}/inventory?period=2025-03", token=root)
    assert st == 200, doc
    return next(m["amount"] for m in doc["energy"]["by_meter"] if m["meter"] == "grid-2"), doc["warnings"]


def increase():
    st, doc = srv.json("GET", "/api/v1/query?" + q(series=KEY, start="2025-03-01T00:00:00+08:00",
                                                   end="2025-04-01T00:00:01+08:00", step="1y", agg="increase",
                                                   tz="Asia/Shanghai"), token=root)
    assert st == 200, doc
    return sum(p[1] for p in doc["results"][0]["points"])


amount, warnings = grid2_amount()
check(amount == 600, f"without a swap the drop is a reset: 300 + 100 + 200 = 600 ({amount})")
st, doc = srv.json("GET", EVENTS, token=root)
check(st == 200 and doc["meter"] == "grid-2" and doc["series"] == KEY and doc["swaps"] == []
      and [e["kind"] for e in doc["counter_events"]] == ["reset"],
      f"events: one reset detected, no swaps ({st} {doc})")

# The meter was replaced on 03-10 12:00: the old one ended at 850, the new one started at 40.
swap = {"t": "2025-03-10T12:00:00+08:00", "old_final": 850, "new_initial": 40, "note": "CT replaced"}
st, doc = srv.json("POST", SWAPS, body=json.dumps(swap), headers=JSONH, token=root)
check(st == 201 and doc["old_final"] == 850, f"swap recorded ({st} {doc})")
st, doc = srv.json("POST", SWAPS, body=json.dumps(swap), headers=JSONH, token=root)
check(st == 409, f"a second swap at the same time is a conflict ({st} {doc})")
amount, warnings = grid2_amount()
# 300 + (850 - 800) + (100 - 40) + 200 = 610
check(amount == 610, f"inventory: (old_final - prev) + (cur - new_initial), never the reset rule: 610 ({amount})")
check(any("meter swap" in w for w in warnings) and not any("grid-2: counter reset" in w for w in warnings),
      f"inventory warns of the swap, not of a reset ({warnings})")
inc = increase()
check(abs(inc - 610) < 1e-9, f"query agg=increase uses the site meter's swaps: 610 ({inc})")
st, doc = srv.json("GET", EVENTS + "?" + q(start="2025-03-01", end="2025-04-02"), token=root)
check(st == 200 and len(doc["swaps"]) == 1 and doc["swaps"][0]["note"] == "CT replaced"
      and doc["swaps"][0]["t"] == "2025-03-10T12:00:00+08:00"
      and [e["kind"] for e in doc["counter_events"]] == ["swap"]
      and doc["counter_events"][0]["before"] == 800 and doc["counter_events"][0]["after"] == 100,
      f"events: the swap, reported as a swap ({doc})")
st, doc = srv.json("GET", EVENTS + "?" + q(start="2025-03-20", end="2025-04-02"), token=root)
check(st == 200 and doc["swaps"] == [] and doc["counter_events"] == [], f"events outside the range are not listed ({doc})")

for bad, what in (({"t": "2025-03-12T00:00:00Z", "old_final": -1, "new_initial": 0}, "negative reading"),
                  ({"t": "2025-03-12T00:00:00Z", "old_final": 1}, "missing new_initial"),
                  ({"t": "yesterday", "old_final": 1, "new_initial": 0}, "bad time"),
                  ({"t": "2025-03-12T00:00:00Z", "old_final": 1, "new_initial": 0, "extra": 1}, "unknown field"),
                  ({"t": "2025-03-12T00:00:00Z", "old_final": 1, "new_initial": 0, "note": "x\u0001"}, "control character")):
    st, doc = srv.json("POST", SWAPS, body=json.dumps(bad), headers=JSONH, token=root)
    check(st == 400, f"refused: {what} ({st} {doc})")
st, _, body = srv.request("POST", SWAPS, body=b"{not json", headers=JSONH, token=root)
check(st == 400, f"refused: not JSON ({st})")
st, doc = srv.json("POST", f"/api/v1/sites/{SID}/meters/pv-export/swaps", body=json.dumps(swap), headers=JSONH, token=root)
check(st == 400, f"refused: an interval meter cannot be swapped ({st} {doc})")
st, doc = srv.json("GET", f"/api/v1/sites/{SID}/meters/nope/events", token=root)
check(st == 404, f"unknown meter: 404 ({st} {doc})")
st, doc = srv.json("DELETE", SWAPS + "?t=" + urllib.parse.quote("2025-03-10T12:00:01+08:00"), token=root)
check(st == 404, f"deleting a swap that does not exist: 404 ({st})")
st, _, _ = srv.request("DELETE", SWAPS + "?t=" + urllib.parse.quote("2025-03-10T12:00:00+08:00"), token=root)
check(st == 204, f"swap deleted ({st})")
amount, _ = grid2_amount()
check(amount == 600, f"without the swap the inventory is back to 600 ({amount})")
fpath = os.path.join(data, "meter_events", f"{SID}.json")
check(os.stat(fpath).st_mode & 0o777 == 0o600, "the swap file is private (0600)")

# -- quality: raw points carry it, aggregates skip failed polls ---------------------------
QK = f"meter,id=mill,site={SID} value"
pts = [{"series": QK, "t": "2025-05-01T00:00:00Z", "v": 1.5},
       {"series": QK, "t": "2025-05-01T00:01:00Z", "v": 2.5, "q": 1},
       {"series": QK, "t": "2025-05-01T00:02:00Z", "v": 4, "q": 2}]
st, _, body = srv.request("POST", "/api/v1/write", body=json.dumps(pts), headers=JSONH, token=root)
check(st == 204, f"points with quality written ({st} {body[:200]!r})")
raw_q = q(series=QK, start="2025-05-01T00:00:00Z", end="2025-05-02T00:00:00Z")
st, doc = srv.json("GET", "/api/v1/query?" + raw_q, token=root)
got = doc["results"][0]["points"] if st == 200 else doc
check(got == [["2025-05-01T00:00:00+00:00", 1.5], ["2025-05-01T00:01:00+00:00", 2.5, 1], ["2025-05-01T00:02:00+00:00", 4, 2]],
      f"raw points: [t, v] when good, [t, v, q] otherwise ({got})")
st, _, body = srv.request("GET", "/api/v1/query?" + raw_q, headers={"Accept": "text/csv"}, token=root)
lines = body.decode("utf-8-sig").splitlines()
check(lines[0] == '"series","time","value","quality"' and lines[1].endswith(",1.5,0") and lines[3].endswith(",4,2"),
      f"raw CSV has a quality column ({lines})")
st, doc = srv.json("GET", "/api/v1/query?" + q(series=QK, start="2025-05-01T00:00:00Z", end="2025-05-02T00:00:00Z",
                                               step="1d", agg="count"), token=root)
check(st == 200 and doc["results"][0]["points"][0][1] == 3 and len(doc["results"][0]["points"][0]) == 2,
      f"aggregates: finite values count whatever their quality, buckets are [t, v] ({doc})")
srv.terminate()

# -- the CLI: record a swap, list the events -------------------------------------------------
def cli(*args):
    r = subprocess.run([BIN, "meter", *args, "--data-dir", data, "--site", SID, "--meter", "grid-2"],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


rc, out, err = cli("swap", "--time", "2025-03-10 12:00", "--old-final", "850", "--new-initial", "40", "--note", "cli")
check(rc == 0 and "recorded swap" in out, f"meter swap (local time of the site) ({rc} {out!r} {err!r})")
rc, out, err = cli("swap", "--time", "2025-03-10 12:00", "--old-final", "850", "--new-initial", "40")
check(rc == 1 and "already has a swap" in err, f"meter swap: duplicate refused ({rc} {err!r})")
rc, out, err = cli("swap", "--time", "2025-03-11 12:00", "--old-final", "nan", "--new-initial", "40")
check(rc != 0, f"meter swap: NaN refused ({rc} {err!r})")
rc, out, err = cli("events", "--start", "2025-03-01", "--end", "2025-04-02")
doc = json.loads(out) if rc == 0 else {}
check(rc == 0 and [s["note"] for s in doc.get("swaps", [])] == ["cli"]
      and [e["kind"] for e in doc.get("counter_events", [])] == ["swap"], f"meter events ({rc} {out!r} {err!r})")
srv = Server(BIN, data, args=["--reference", REF])
amount, _ = grid2_amount()
check(amount == 610, f"the server's inventory uses the swap recorded by the CLI: 610 ({amount})")
srv.terminate()
finish()
