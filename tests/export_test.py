"""Black-box test of the Excel export (docs/api.md "Export"): POST /api/v1/export/xlsx round trip
(the .xlsx unzipped and its cells checked), its bounds and errors, and
GET /api/v1/sites/{id}/inventory.xlsx against the inventory JSON of the same period.
Usage: python3 export_test.py /path/to/dualcarbon"""
import io
import json
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_harness import Server, check, finish  # noqa: E402
from xlsx_read import read_xlsx  # noqa: E402

BIN = sys.argv[1]
SRC = os.environ.get("DC_SOURCE_DIR", os.path.dirname(HERE))
CASE = os.path.join(HERE, "accounting", "golden", "electricity")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def post(srv, spec, raw=None):
    body = raw if raw is not None else json.dumps(spec).encode()
    return srv.request("POST", "/api/v1/export/xlsx", body=body, token=srv.admin_token,
                       headers={"Content-Type": "application/json"})


def round_trip(srv):
    spec = {"filename": "趋势 trend/../x", "sheets": [
        {"name": "Trend: grid [kWh]", "title": "电网 grid-in, March",
         "columns": [{"name": "time"}, {"name": "grid-in", "unit": "kWh"}, {"name": "备注", "unit": ""}],
         "rows": [["2025-03-01T00:00:00+08:00", 3.141592653589793, None],
                  ["2025-03-01T01:00:00+08:00", 123456789.125, "line\nbreak"],
                  ["2025-03-01T02:00:00+08:00", -0.000012345, "中文"]]},
        {"name": "trend: GRID [kwh]", "columns": ["a"], "rows": [[1], [2.5]]},
        {"name": "'quoted'", "columns": ["b"], "rows": []},
    ]}
    st, h, body = post(srv, spec)
    check(st == 200 and h.get("content-type") == XLSX, f"export answers 200 with the xlsx type ({st} {h.get('content-type')})")
    disp = h.get("content-disposition", "")
    check("attachment" in disp and ".xlsx" in disp and "/" not in disp.split("filename*=")[-1].replace("%2F", ""),
          f"a download with a safe file name ({disp})")
    book, meta = read_xlsx(io.BytesIO(body))
    names = list(book)
    check(names == ["Trend_ grid _kWh_", "trend_ GRID _kwh_ (2)", "quoted"], f"sheet names sanitised and unique: {names}")
    rows = book[names[0]]
    check(rows[0][0] == "电网 grid-in, March", f"title row: {rows[0]}")
    check(rows[1] == ["time", "grid-in", "备注"], f"header row: {rows[1]}")
    check(rows[2][1] == "kWh", f"unit row: {rows[2]}")
    check(rows[3][1] == 3.141592653589793, f"a number stays a number (16 significant digits): {rows[3][1]!r}")
    check(rows[4][1] == 123456789.125 and rows[4][2] == "line\nbreak", f"row 2: {rows[4]}")
    check(rows[5][1] == -0.000012345 and rows[5][2] == "中文", f"row 3: {rows[5]}")
    st, _, body = post(srv, {"sheets": [{"columns": ["v"], "rows": [[1 / 3], [123456789012345.6], [5e-324], [9.99999999999999e307]]}]})
    got = [r[0] for r in list(read_xlsx(io.BytesIO(body))[0].values())[0][2:]]
    check(st == 200 and got == [1 / 3, 123456789012345.6, 5e-324, 9.99999999999999e307],
          f"16 significant digits survive, down to the smallest and up to Excel's largest number ({got})")
    check(len(rows[3]) < 3 or rows[3][2] is None, "null stays an empty cell")
    check(meta[names[0]]["frozen_rows"] == 3, f"title, header and units frozen ({meta[names[0]]})")
    w = meta[names[0]]["widths"]
    check(len(w) == 3 and w[0] > 20, f"column widths follow the content ({w})")
    check(book[names[1]][0] == ["a"] and book[names[1]][2] == [1.0] and book[names[1]][3] == [2.5],
          f"a sheet without a title starts with its header: {book[names[1]]}")


def errors(srv):
    cases = [
        ({"sheets": []}, "body.sheets"),
        ({"sheets": [{"columns": ["a"]}] * 17}, "at most 16"),
        ({"sheets": [{"columns": ["a"], "rows": [[{"x": 1}]]}]}, "body.sheets[0].rows[0][0]"),
        ({"sheets": [{"columns": ["a"], "rows": [[1, 2]]}]}, "2 cells for 1 columns"),
        ({"sheets": [{"columns": ["a"], "rows": [[1]] * 100001}, {"columns": ["a"], "rows": [[1]] * 100001}]},
         "more than 200000 cells"),
        ({"sheets": [{"columns": [{"unit": "kWh"}]}]}, "body.sheets[0].columns[0].name: required"),
        ({"sheets": [{"columns": ["a"], "rows": [["bell\u0007"]]}]}, "control"),
        ({"sheets": [{"columns": ["a"], "rows": [[1.7976931348623157e308]]}]}, "outside Excel's number range"),
    ]
    for spec, want in cases:
        st, _, body = post(srv, spec)
        check(st == 400 and want in body.decode(), f"{want!r}: 400 ({st} {body[:160]!r})")
    st, _, body = post(srv, None, raw=b"[" * 100 + b"]" * 100)
    check(st == 400 and b"depth" in body.lower() or b"nest" in body.lower(), f"deep JSON refused ({st} {body[:120]!r})")
    st, _, body = post(srv, None, raw=b'{"sheets": [\xff]}')
    check(st == 400, f"invalid UTF-8 refused ({st})")
    st, _, _ = srv.request("POST", "/api/v1/export/xlsx", body=b"{}")
    check(st == 401, f"no token: 401 ({st})")


def inventory(srv):
    site = open(os.path.join(CASE, "site.toml"), encoding="utf-8").read()
    sid = re.search(r'(?m)^id = "([^"]+)"', site).group(1)
    st, _, body = srv.request("PUT", f"/api/v1/sites/{sid}", body=site.encode(), token=srv.admin_token,
                              headers={"Content-Type": "application/toml"})
    check(st in (200, 201), f"PUT the golden site ({st} {body[:200]!r})")
    import datetime
    import zoneinfo
    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    lp = []
    for row in open(os.path.join(CASE, "readings.csv"), encoding="utf-8").read().splitlines()[1:]:
        if row.strip():
            t, meter, value = row.split(",")[:3]
            ts = int(datetime.datetime.fromisoformat(t).replace(tzinfo=tz).timestamp())
            lp.append(f"meter,id={meter},site={sid} value={value} {ts}")
    st, _, _ = srv.request("POST", "/write?precision=s", body="\n".join(lp) + "\n", token=srv.admin_token)
    check(st == 204, f"readings written ({st})")
    st, doc = srv.json("GET", f"/api/v1/sites/{sid}/inventory?period=2025-03", token=srv.admin_token)
    check(st == 200, f"inventory JSON ({st})")
    st, h, body = srv.request("GET", f"/api/v1/sites/{sid}/inventory.xlsx?period=2025-03", token=srv.admin_token)
    check(st == 200 and h.get("content-type") == XLSX, f"inventory.xlsx answers 200 ({st} {body[:200]!r})")
    check(f"{sid}-inventory-2025-03.xlsx" in h.get("content-disposition", ""), f"file name ({h.get('content-disposition')})")
    book, _ = read_xlsx(io.BytesIO(body))
    check(list(book) == ["Totals", "Energy by meter", "Emission lines", "Factors", "Products"], f"sheets: {list(book)}")
    totals = {r[0]: r[1] for r in book["Totals"][3:] if r}
    check(totals.get("emissions") == doc["emissions"]["total_tco2e"], f"total tCO2e as in the JSON ({totals.get('emissions')})")
    check(totals.get("energy") == doc["energy"]["total_tce"], f"total tce as in the JSON ({totals.get('energy')})")
    lines = book["Emission lines"][2:]
    check(len(lines) == len(doc["emissions"]["lines"]), f"one row per emission line ({len(lines)})")
    factors = book["Factors"][2:]
    nf = sum(len(x["factors"]) for x in doc["emissions"]["lines"])
    check(len(factors) == nf and all(r[7] for r in factors), f"every factor with its source ({len(factors)} of {nf})")
    st, _, body = srv.request("GET", f"/api/v1/sites/{sid}/inventory.xlsx", token=srv.admin_token)
    check(st == 400 and b"period" in body, f"no period: 400 ({st} {body[:120]!r})")


def main():
    work = tempfile.mkdtemp(prefix="dc-exporttest-")
    # The server's temporary directory is this test's own: other tests running at the same time
    # (the dashboard's) make export directories of their own in the shared one.
    tmp = os.path.join(work, "tmp")
    os.makedirs(tmp)
    os.environ["TMPDIR"] = tmp
    mine = []
    srv = Server(BIN, os.path.join(work, "data"), args=["--reference", os.path.join(SRC, "reference")])
    try:
        round_trip(srv)
        errors(srv)
        inventory(srv)
        # The server's private export directory (mode 0700) holds no workbook between requests.
        fds = []
        for fd in os.listdir(f"/proc/{srv.proc.pid}/fd"):
            try:  # a descriptor may close between the listing and the readlink (other threads)
                fds.append(os.readlink(f"/proc/{srv.proc.pid}/fd/{fd}"))
            except FileNotFoundError:
                pass
        check(not [f for f in fds if f.endswith(".xlsx")], "no workbook file left open")
        mine = [d for d in os.listdir(tmp) if d.startswith("dc-export-")]
        check(mine and all(os.listdir(os.path.join(tmp, d)) == [] for d in mine)
              and all(os.stat(os.path.join(tmp, d)).st_mode & 0o077 == 0 for d in mine),
              f"the export directory is private and empty after the requests ({mine})")
    finally:
        check(srv.terminate() == 0, "server stops cleanly")
        gone = [d for d in mine if os.path.exists(os.path.join(tmp, d))]
        check(not gone, f"the export directory is removed at shutdown ({gone})")
        shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
