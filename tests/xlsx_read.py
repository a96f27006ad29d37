"""Reads an .xlsx (as the export writes it) with zipfile + XML only: {sheet name: rows of cells}.
Cells are float for numbers, str for strings, None for empty. Also a command line:
`python3 xlsx_read.py FILE` prints the workbook as JSON (the browser test uses it)."""
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(path_or_file):
    z = zipfile.ZipFile(path_or_file)
    strings = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            strings.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    book, meta = {}, {}
    for sh in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", NS):
        name = sh.get("name")
        target = rels[sh.get(f"{{{NS['r']}}}id")]
        root = ET.fromstring(z.read("xl/" + target.lstrip("/").removeprefix("xl/")))
        rows = []
        for row in root.find("m:sheetData", NS):
            r = int(row.get("r")) - 1
            while len(rows) <= r:
                rows.append([])
            for c in row.findall("m:c", NS):
                i = col_index(c.get("r"))
                v = c.find("m:v", NS)
                cell = None
                if c.get("t") == "s" and v is not None:
                    cell = strings[int(v.text)]
                elif c.get("t") == "inlineStr":
                    cell = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                elif v is not None:
                    cell = float(v.text)
                while len(rows[r]) <= i:
                    rows[r].append(None)
                rows[r][i] = cell
        pane = root.find("m:sheetViews/m:sheetView/m:pane", NS)
        cols = root.find("m:cols", NS)
        meta[name] = {"frozen_rows": int(float(pane.get("ySplit"))) if pane is not None else 0,
                      "widths": [float(c.get("width")) for c in cols] if cols is not None else []}
        book[name] = rows
    return book, meta


if __name__ == "__main__":
    b, m = read_xlsx(sys.argv[1])
    print(json.dumps({"sheets": b, "meta": m}, ensure_ascii=False))
