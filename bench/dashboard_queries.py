"""The dashboard's queries over 90 days, timed against `dualcarbon serve --demo` (issue 9 target:
every dashboard query over 90 days < 50 ms). Starts the demo in a temporary directory, lets the
backfill finish, then times each query N times over loopback and prints p50 / p99 / max.
Usage: /usr/bin/python3 bench/dashboard_queries.py build/bin/dualcarbon [N=20]"""
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAY = 86400


def start():
    d = tempfile.mkdtemp(prefix="dc-dash-bench-")
    p = subprocess.Popen([BIN, "serve", "--demo", "--data-dir", d, "--listen", "127.0.0.1:0",
                          "--web-dir", os.path.join(REPO, "web", "dist")],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = ""
    deadline = time.time() + 120
    while time.time() < deadline:
        out += p.stdout.readline()
        m = re.search(r"dashboard: http://([\d.]+):(\d+)/\s+login token: (dc_\S+)", out)
        if m:
            return p, m.group(1), int(m.group(2)), m.group(3)
    p.kill()
    raise SystemExit(f"demo did not start: {out}")


def main():
    proc, host, port, token = start()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=30)

        def get(path):
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise SystemExit(f"{path}: {r.status} {body[:200]!r}")
            return body

        site = json.loads(get("/api/v1/sites/demo-cement"))
        meters = site.get("meters", [])
        keys = [m.get("series") or f"meter,id={m['id']},site=demo-cement value" for m in meters]
        now = int(time.time())
        start90 = now - 90 * DAY
        q = urllib.parse.urlencode
        t0, t1 = str(start90 * 10**9), str(now * 10**9)
        end_day = time.strftime("%Y-%m-%d", time.gmtime(now))
        start_day = time.strftime("%Y-%m-%d", time.gmtime(start90))
        cases = {
            "trends: 1 meter, 90 d hourly sum": "/api/v1/query?" + q(
                {"series": keys[0], "start": t0, "end": t1, "step": "1h", "agg": "sum",
                 "tz": "Asia/Shanghai", "closed": "right"}),
            "trends: 5 meters, 90 d hourly": "/api/v1/query?" + q(
                [("series", k) for k in keys[:5]] + [("start", t0), ("end", t1), ("step", "1h"),
                                                     ("agg", "sum"), ("tz", "Asia/Shanghai")]),
            f"trends: all {len(keys)} meters, 90 d daily": "/api/v1/query?" + q(
                [("series", k) for k in keys] + [("start", t0), ("end", t1), ("step", "1d"),
                                                 ("agg", "sum"), ("tz", "Asia/Shanghai")]),
            f"meters: all {len(keys)} meters, last value per day over 30 d": "/api/v1/query?" + q(
                [("series", k) for k in keys] + [("start", str((now - 30 * DAY) * 10**9)),
                                                 ("end", t1), ("step", "1d"), ("agg", "last")]),
            "inventory over 90 d": f"/api/v1/sites/demo-cement/inventory?period={start_day}..{end_day}",
            "energy flow over 90 d": f"/api/v1/sites/demo-cement/flow?period={start_day}..{end_day}",
            "emissions (CEMS) over 90 d": "/api/v1/sites/demo-cement/emissions?" + q(
                {"start": start_day, "end": end_day}),
        }
        print(f"{N} runs each, loopback, demo-cement ({len(keys)} meters), 90 days")
        for name, path in cases.items():
            get(path)  # warm
            ms = []
            for _ in range(N):
                a = time.perf_counter()
                get(path)
                ms.append((time.perf_counter() - a) * 1000)
            ms.sort()
            p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
            print(f"{name:58s} p50 {ms[len(ms) // 2]:7.2f} ms  p99 {p99:7.2f} ms  max {ms[-1]:7.2f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
