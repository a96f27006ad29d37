#!/usr/bin/env python3
"""Runs `dualcarbon account` on every examples/<sector>/ and checks its figures against the
same figures recomputed here from the readings and the site file (not pasted numbers):
- combustion with measured NCV, carbon and oxidation: FC x NCV x CC x OF x 44/12;
- purchased electricity: MWh from the readings (counter increase or interval sum), and
  MWh x the grid factor of the site's region and year;
- electricity energy: kWh x 0.1229 kgce/kWh;
- the clinker process: Q x [(CaO - CaO_nc) x 44/56 + (MgO - MgO_nc) x 44/40];
- process materials (carbonates, fluxes, electrodes, carbon in steel): mass from the readings
  x every factor the line lists;
- --by month (json and csv): each month's electricity from the readings, and the months adding
  up to the year.
Usage: examples_test.py path/to/dualcarbon
"""
import csv
import datetime
import io
import json
import os
import subprocess
import sys
import tomllib

BIN = sys.argv[1]
SRC = os.environ.get("DC_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.path.join(SRC, "reference")
os.environ["DC_REFERENCE_DIR"] = REF
SECTORS = ["cement", "steel", "aluminium", "glass", "chemicals"]
ELECTRICITY = {"electricity", "电力"}
FUELS = {"bituminous_coal", "烟煤", "natural_gas", "天然气", "coke", "焦炭", "diesel", "柴油"}

fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def account(sector, *extra):
    d = os.path.join(SRC, "examples", sector)
    return subprocess.run([BIN, "account", "--site", os.path.join(d, "site.toml"), "--readings",
                           os.path.join(d, "readings.csv"), *extra], capture_output=True)


def readings(sector):
    """meter -> [(local datetime, value)] in file order."""
    out = {}
    with open(os.path.join(SRC, "examples", sector, "readings.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            t = datetime.datetime.strptime(row["time"], "%Y-%m-%d %H:%M")
            out.setdefault(row["meter"], []).append((t, float(row["value"])))
    return out


def amount(meter, rows, start, end):
    """The meter's amount over (start, end] (local midnights, as the readings)."""
    if meter["kind"] == "counter":
        at = {t: v for t, v in rows}
        return at[end] - at[start]
    return sum(v for t, v in rows if start < t <= end)


def line(inv, source, category=None):
    for l in inv["emissions"]["lines"]:
        if l["source"] == source and (category is None or l["category"] == category):
            return l
    return None


def factor(l, name):
    for f in l["factors"]:
        if f["name"] == name:
            return f
    return None


Y0, Y1 = datetime.datetime(2025, 1, 1), datetime.datetime(2026, 1, 1)

for sector in SECTORS:
    with open(os.path.join(SRC, "examples", sector, "site.toml"), "rb") as f:
        site = tomllib.load(f)
    data = readings(sector)
    meters = {m["id"]: m for m in site["meter"]}
    r = account(sector, "--period", "2025")
    check(r.returncode == 0, f"{sector}: account --period 2025 exits 0 {r.stderr.decode()}")
    if r.returncode != 0:
        continue
    inv = json.loads(r.stdout)
    check(all("low-confidence" in w for w in inv["warnings"]),
          f"{sector}: no warnings but low-confidence notes ({inv['warnings']})")
    lines = inv["emissions"]["lines"]
    check(close(sum(l["tco2e"] for l in lines), inv["emissions"]["total_tco2e"]),
          f"{sector}: the lines add up to total_tco2e")

    for mid, m in meters.items():
        got = line(inv, mid)
        year = amount(m, data[mid], Y0, Y1)
        if m["carrier"] in FUELS and "carbon_tc_per_gj" in m:
            gas = "ncv_gj_per_10k_nm3" in m
            fc = year / 1e4 if gas else year
            ncv = m["ncv_gj_per_10k_nm3" if gas else "ncv_gj_per_t"]
            want = fc * ncv * m["carbon_tc_per_gj"] * m["oxidation"] * 44 / 12
            check(got is not None and close(got["tco2e"], want),
                  f"{sector}: {mid} combustion = FC x NCV x CC x OF x 44/12 = {want:.6f} t "
                  f"(got {got and got['tco2e']})")
        if m["carrier"] in ELECTRICITY and m.get("flow", "purchased") == "purchased":
            mwh = year / 1000 if m["unit"] == "kWh" else year
            check(got is not None and close(got["activity"]["amount"], mwh),
                  f"{sector}: {mid} electricity {mwh:.4f} MWh from the readings (got {got and got['activity']})")
            got_ef = factor(got, "ef_grid") if got else None
            key = f"grid.{site['site']['grid_region']}.{site['site']['grid_year']}"
            check(got_ef is not None and got_ef["key"] == key and
                  close(got["tco2e"], mwh * got_ef["value"]),
                  f"{sector}: {mid} scope 2 = {mwh:.4f} MWh x EF_grid ({key})")
            by_meter = [e for e in inv["energy"]["by_meter"] if e["meter"] == mid]
            check(by_meter and close(by_meter[0]["tce"], mwh * 1000 * 0.1229e-3),
                  f"{sector}: {mid} energy = kWh x 0.1229 kgce/kWh = {mwh * 0.1229:.6f} tce")

    for p in site.get("process", []):
        if p["method"] == "cement_clinker":
            q = amount(meters[p["clinker_meter"]], data[p["clinker_meter"]], Y0, Y1)
            ef = (p["cao"] - p.get("cao_non_carbonate", 0)) * 44 / 56 + \
                 (p["mgo"] - p.get("mgo_non_carbonate", 0)) * 44 / 40
            got = line(inv, p["id"], "process")
            check(got is not None and close(got["tco2e"], q * ef),
                  f"{sector}: clinker calcination = Q x [(CaO-CaO_nc) x 44/56 + (MgO-MgO_nc) x 44/40] = {q * ef:.6f}")
    # Per-material process lines ("<process id>/<meter>"): mass from the readings times every
    # factor of the line (purity, calcination fraction, the reference EF, 44/12 ...).
    for l in lines:
        pid, _, mid = l["source"].partition("/")
        if l["category"] != "process" or mid not in meters:
            continue
        want = amount(meters[mid], data[mid], Y0, Y1)
        for f in l["factors"]:
            want *= f["value"]
        check(close(abs(l["tco2e"]), want),
              f"{sector}: process {l['source']} = mass x {' x '.join(f['name'] for f in l['factors'])} = {want:.6f}")

    # --- by month: JSON and CSV.
    r = account(sector, "--period", "2025", "--by", "month")
    check(r.returncode == 0, f"{sector}: --by month exits 0 {r.stderr.decode()}")
    if r.returncode != 0:
        continue
    bm = json.loads(r.stdout)
    check(bm["by"] == "month" and len(bm["parts"]) == 12 and
          [p["period"]["text"] for p in bm["parts"]] == [f"2025-{m:02d}" for m in range(1, 13)],
          f"{sector}: --by month gives 12 months 2025-01 .. 2025-12")
    check(close(bm["emissions"]["total_tco2e"], inv["emissions"]["total_tco2e"]),
          f"{sector}: --by month's period total equals the plain inventory")
    for key in ("total_tco2e", "scope1_tco2e", "scope2_tco2e"):
        s = sum(p["emissions"][key] for p in bm["parts"])
        check(close(s, bm["emissions"][key]), f"{sector}: the months' {key} add up to the year's")
    s = sum(p["energy"]["total_tce"] for p in bm["parts"])
    check(close(s, bm["energy"]["total_tce"]), f"{sector}: the months' total_tce add up")
    elec = [mid for mid, m in meters.items() if m["carrier"] in ELECTRICITY]
    ok = bool(elec)
    for k, part in enumerate(bm["parts"]):
        a = datetime.datetime(2025, k + 1, 1)
        b = datetime.datetime(2026, 1, 1) if k == 11 else datetime.datetime(2025, k + 2, 1)
        for mid in elec:
            want = amount(meters[mid], data[mid], a, b)
            want = want / 1000 if meters[mid]["unit"] == "kWh" else want
            got = line(part, mid)
            ok = ok and got is not None and close(got["activity"]["amount"], want)
    check(ok, f"{sector}: each month's electricity equals the readings' month")

    r = account(sector, "--period", "2025", "--by", "month", "--format", "csv")
    check(r.returncode == 0 and r.stdout.startswith(b"\xef\xbb\xbf"), f"{sector}: --by month csv has a BOM")
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8-sig"))))
    totals = {row["month"]: float(row["tco2e"]) for row in rows
              if row["section"] == "total" and row["category"] == "total"}
    check(len(totals) == 13 and close(sum(v for k, v in totals.items() if k != "total"), totals["total"]),
          f"{sector}: csv month column: 12 months and a total that they add up to")

# A quarter by month, and the errors.
r = account("aluminium", "--period", "2025-Q1", "--by", "month", "--format", "md")
md = r.stdout.decode()
check(r.returncode == 0 and "| 2025-03 |" in md and "| 2025-04 |" not in md and "合计 total" in md,
      "aluminium: a quarter by month in markdown has January..March and a total row")
r = account("cement", "--period", "2025", "--by", "week")
check(r.returncode == 2 and b"--by must be month" in r.stderr, "--by week is a usage error")
r = account("cement", "--period", "2025", "--by", "month", "--format", "html")
check(r.returncode == 2 and b"json, csv or md" in r.stderr, "--by month --format html is a usage error")

sys.exit(1 if fails else 0)
