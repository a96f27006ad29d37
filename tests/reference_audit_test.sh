#!/usr/bin/env bash
# CI gate on the reference library's provenance: `dualcarbon reference audit` on the shipped
# reference/ must list every row of every table and flag none (a value without a document
# source, a "same"/"see above" source, no confidence, a recollection not marked low).
# Usage: tests/reference_audit_test.sh path/to/dualcarbon
set -uo pipefail
BIN=${1:?usage: $0 path/to/dualcarbon}
SRC=${DC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

"$BIN" reference --reference "$SRC/reference" audit >"$TMP/audit.txt" 2>"$TMP/err"
rc=$?
check "audit of the shipped library exits 0" test $rc -eq 0
if [ $rc -ne 0 ]; then grep '^FLAG' "$TMP/audit.txt"; cat "$TMP/err"; fi
check "no row flagged" test "$(grep -c '^FLAG' "$TMP/audit.txt")" -eq 0
"$BIN" reference --reference "$SRC/reference" audit --format json >"$TMP/audit.json"
check "json audit exits 0" test $? -eq 0
# Every data row of every CSV (except the two key maps) is listed, with a source.
check "json lists every row with a source" python3 - "$TMP/audit.json" "$SRC/reference" <<'PY'
import csv, glob, json, os, sys
d = json.load(open(sys.argv[1]))
want = 0
for f in glob.glob(os.path.join(sys.argv[2], "*.csv")):
    if os.path.basename(f) in ("benchmark_keys.csv", "process_factor_keys.csv"):
        continue
    want += sum(1 for r in list(csv.reader(open(f, encoding="utf-8")))[1:] if any(r))
rows = d["entries"]
ok = d["flagged"] == 0 and len(rows) == want and all(e["source"] and e["level"] for e in rows)
ok = ok and any(e["keys"] == ["grid.national.2022"] for e in rows)
if not ok:
    print("rows", len(rows), "want", want, "flagged", d["flagged"])
sys.exit(0 if ok else 1)
PY

# A library with one "same" source fails the audit, naming the row.
cp -r "$SRC/reference" "$TMP/ref"
python3 - "$TMP/ref/cn_grid_emission_factors.csv" <<'PY'
import csv, io, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
rows[5][rows[0].index("source")] = "same"
out = io.StringIO(); csv.writer(out, lineterminator="\n").writerows(rows)
open(sys.argv[1], "w", encoding="utf-8").write(out.getvalue())
PY
"$BIN" reference --reference "$TMP/ref" audit >"$TMP/bad.txt" 2>"$TMP/bad.err"
check "a \"same\" source exits 1" test $? -eq 1
check "the row is named" grep -q '^FLAG	cn_grid_emission_factors.csv:6	' "$TMP/bad.txt"
check "stderr counts the flags" grep -q '1 of .* rows flagged' "$TMP/bad.err"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
