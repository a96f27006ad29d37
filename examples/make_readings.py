#!/usr/bin/env python3
"""Writes examples/<sector>/readings.csv: a year (2025) of daily readings, deterministic.

Interval meters: the amount of each day, stamped at the day's end (00:00 of the next day,
local time). Counter meters: the register at 00:00 each day, 2025-01-01 through 2026-01-01.
Run from the repository root: python3 examples/make_readings.py
"""
import datetime
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

# sector -> [(meter, kind, daily mean, relative spread, decimals, start register)]
PLANTS = {
    "cement": [
        ("grid-in", "counter", 310000, 0.08, 1, 4_812_300.0),
        ("kiln-coal", "interval", 520, 0.06, 2, None),
        ("diesel-loaders", "interval", 1.1, 0.25, 3, None),
        ("clinker-out", "interval", 4000, 0.05, 1, None),
        ("cement-out", "interval", 5200, 0.07, 1, None),
    ],
    "steel": [
        ("grid-in", "interval", 1850, 0.06, 2, None),            # MWh
        ("coke-in", "interval", 1150, 0.04, 2, None),            # t
        ("natural-gas", "interval", 42000, 0.10, 0, None),       # m3
        ("limestone", "interval", 310, 0.08, 2, None),           # t
        ("dolomite", "interval", 95, 0.10, 2, None),             # t
        ("electrode", "interval", 0.9, 0.15, 3, None),           # t
        ("crude-steel", "interval", 2900, 0.05, 1, None),        # t
    ],
    "aluminium": [
        ("potline-grid", "interval", 5300, 0.03, 2, None),       # MWh
        ("casting-gas", "interval", 9500, 0.12, 0, None),        # m3
        ("al-out", "interval", 400, 0.03, 2, None),              # t
    ],
    "glass": [
        ("grid-in", "counter", 98000, 0.05, 1, 125_330.0),       # kWh
        ("furnace-gas", "interval", 101000, 0.05, 0, None),      # m3
        ("soda-ash", "interval", 118, 0.05, 2, None),            # t
        ("dolomite", "interval", 95, 0.05, 2, None),             # t
        ("limestone", "interval", 30, 0.08, 2, None),            # t
        ("carbon-powder", "interval", 0.35, 0.10, 3, None),      # t
        ("glass-out", "interval", 600, 0.04, 1, None),           # t
    ],
    "chemicals": [
        ("furnace-grid", "interval", 2050, 0.05, 2, None),       # MWh
        ("coke-in", "interval", 370, 0.05, 2, None),             # t
        ("steam-in", "interval", 240, 0.15, 1, None),            # t
        ("limestone", "interval", 1100, 0.05, 1, None),          # t
        ("carbide-out", "interval", 620, 0.04, 1, None),         # t
    ],
}


def main():
    start = datetime.datetime(2025, 1, 1)
    for sector, meters in PLANTS.items():
        rng = random.Random(sector)
        rows = ["time,meter,value"]
        registers = {m[0]: m[5] for m in meters if m[1] == "counter"}
        for day in range(366):
            t = start + datetime.timedelta(days=day)
            stamp = t.strftime("%Y-%m-%d %H:%M")
            season = 1 + 0.05 * math.sin(2 * math.pi * day / 365)
            for meter, kind, mean, spread, decimals, _ in meters:
                amount = round(mean * season * (1 + spread * (rng.random() * 2 - 1)), decimals)
                if kind == "counter":
                    if day > 0:
                        registers[meter] = round(registers[meter] + amount, decimals)
                    rows.append(f"{stamp},{meter},{registers[meter]:.{decimals}f}")
                elif day > 0:  # the amount of the day that ends at `stamp`
                    rows.append(f"{stamp},{meter},{amount:.{decimals}f}")
        with open(os.path.join(HERE, sector, "readings.csv"), "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
