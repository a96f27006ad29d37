#!/usr/bin/env bash
# Black-box tests of `dualcarbon account` and `dualcarbon reference` against the real binary.
# Usage: tests/accounting_cli_test.sh path/to/dualcarbon
set -uo pipefail
BIN=${1:?usage: $0 path/to/dualcarbon}
SRC=${DC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
export DC_REFERENCE_DIR="$SRC/reference"
CASE="$SRC/tests/accounting/golden/cement_clinker_product"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

# JSON inventory, twice byte-identical.
"$BIN" account --site "$CASE/site.toml" --readings "$CASE/readings.csv" --period 2025-03 >"$TMP/a.json"
check "account exits 0" test $? -eq 0
"$BIN" account --site "$CASE/site.toml" --readings "$CASE/readings.csv" --period 2025-03 --format json -o "$TMP/b.json"
check "byte-identical output" cmp -s "$TMP/a.json" "$TMP/b.json"
check "json has the reference version" grep -q '"version": "dc-ref-2026.12"' "$TMP/a.json"
check "json total" grep -q '"total_tco2e": 85089.8390476' "$TMP/a.json"
check "json is valid" python3 -c "import json,sys; d=json.load(open('$TMP/a.json')); sys.exit(0 if d['emissions']['lines'] else 1)"

for fmt in csv md html; do
  "$BIN" account --site "$CASE/site.toml" --readings "$CASE/readings.csv" --period 2025-03 --format $fmt >"$TMP/out.$fmt"
  check "format $fmt" test -s "$TMP/out.$fmt"
done
check "csv has totals" grep -q '^"total","total",' "$TMP/out.csv"
check "csv starts with a UTF-8 BOM and a quoted header" grep -q $'^\xEF\xBB\xBF"section","category"' "$TMP/out.csv"
check "md is the bilingual report" grep -q '综合能源消费量 Total energy consumption' "$TMP/out.md"
check "html escapes" grep -q '<table>' "$TMP/out.html"

# Errors: non-zero exit and a message naming what and where.
"$BIN" account --site "$TMP/none.toml" --readings "$CASE/readings.csv" --period 2025-03 2>"$TMP/err" >/dev/null
rc=$?
check "missing site file fails" test $rc -ne 0
check "missing site file named" grep -q "none.toml" "$TMP/err"
"$BIN" account --site "$CASE/site.toml" --readings "$CASE/readings.csv" --period 2025-13 2>"$TMP/err" >/dev/null
check "bad period exit 2" test $? -eq 2
check "bad period named" grep -q '2025-13' "$TMP/err"
printf '[site]\nid = "x"\n[[meter]]\nid = "m"\ncarrier = "coal"\nkind = "interval"\nunit = "t"\n' >"$TMP/bad.toml"
"$BIN" account --site "$TMP/bad.toml" --readings "$CASE/readings.csv" --period 2025-03 2>"$TMP/err" >/dev/null
check "unknown carrier fails" test $? -ne 0
check "unknown carrier names file:line" grep -q 'bad.toml:5:11: meter .m. field .carrier.: unknown carrier "coal"; known:' "$TMP/err"
"$BIN" account --site "$CASE/site.toml" --period 2025-03 2>/dev/null >/dev/null
check "no data source is a usage error" test $? -eq 2
"$BIN" account --site "$CASE/site.toml" --readings "$CASE/readings.csv" --period 2025-03 --format xml 2>/dev/null >/dev/null
check "bad format is a usage error" test $? -eq 2

# Reference library.
"$BIN" reference list >"$TMP/tables"
check "reference list" grep -q '^grid' "$TMP/tables"
"$BIN" reference list grid.national >"$TMP/grid"
check "reference list grid.national" grep -q $'grid.national.2022\t0.5366\ttCO2/MWh\thigh' "$TMP/grid"
"$BIN" reference show fuel.A.bituminous_coal.ncv >"$TMP/show"
check "reference show value" grep -q '^value: 19.57' "$TMP/show"
check "reference show confidence" grep -q '^confidence: medium' "$TMP/show"
check "reference show source" grep -q '^source: Table variant A' "$TMP/show"
"$BIN" reference show no.such.key 2>"$TMP/err" >/dev/null
check "unknown key fails" test $? -ne 0
"$BIN" reference show electricity >"$TMP/carrier"
check "reference show carrier" grep -q 'units: kWh, MWh, GWh' "$TMP/carrier"

# The embedded store as data source (import line protocol, then account).
if "$BIN" import --help >/dev/null 2>&1; then
  DATA="$TMP/data"
  # grid-in is an interval meter: 600 000 kWh on 03-15 and 400 000 kWh on 03-31 (+08:00); the
  # third point is one second after the period and must not count. Default series key
  # (meter,id=<meter id>,site=<site id> value); an untagged key of the same id must not count.
  printf 'meter,id=grid-in,site=%s value=600000 1741968000000000000\nmeter,id=grid-in,site=%s value=400000 1743350400000000000\nmeter,id=grid-in,site=%s value=5 1743436801000000000\nmeter,id=grid-in value=999 1742968000000000000\n' cement-a cement-a cement-a >"$TMP/points.lp"
  "$BIN" import --data-dir "$DATA" "$TMP/points.lp" >/dev/null 2>&1
  check "import into the store" test $? -eq 0
  "$BIN" account --site "$CASE/site.toml" --data-dir "$DATA" --period 2025-03 >"$TMP/store.json" 2>"$TMP/err"
  check "account from the store" grep -q '"data_source": "store' "$TMP/store.json"
  check "store electricity 1000 MWh" python3 -c "import json,sys; d=json.load(open('$TMP/store.json')); sys.exit(0 if [l for l in d['emissions']['lines'] if l['source']=='grid-in'][0]['activity']['amount']==1000 else 1)"
fi
"$BIN" account --site "$CASE/site.toml" --data-dir "$TMP/nonexistent" --period 2025-03 2>"$TMP/err" >/dev/null
check "missing data dir fails" test $? -ne 0

# The same data through a running server (--server), if `serve` works here.
if [ -n "${DATA:-}" ] && "$BIN" serve --help >/dev/null 2>&1; then
  # Port 0: the kernel picks a free port (a random fixed one could be taken by a parallel
  # test); the server prints it.
  "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:0" --no-auth --log-level off >"$TMP/serve.log" 2>&1 &
  SERVE_PID=$!
  PORT=""
  for _ in $(seq 300); do
    PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$TMP/serve.log")
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  "$BIN" account --site "$CASE/site.toml" --server "http://127.0.0.1:$PORT" --period 2025-03 >"$TMP/server.json" 2>"$TMP/err"
  check "account from --server" grep -q '"data_source": "server http://127.0.0.1' "$TMP/server.json"
  check "server electricity 1000 MWh" python3 -c "import json,sys; d=json.load(open('$TMP/server.json')); sys.exit(0 if [l for l in d['emissions']['lines'] if l['source']=='grid-in'][0]['activity']['amount']==1000 else 1)"
  kill "$SERVE_PID" 2>/dev/null
  wait "$SERVE_PID" 2>/dev/null
fi
"$BIN" account --site "$CASE/site.toml" --server https://example.org --period 2025-03 2>"$TMP/err" >/dev/null
check "https server is a usage error" test $? -eq 2
printf 'time,meter,value\n2025-03-10 00:00,nope,1\n' >"$TMP/bad.csv"
"$BIN" account --site "$CASE/site.toml" --readings "$TMP/bad.csv" --period 2025-03 --strict 2>"$TMP/err" >/dev/null
check "--strict fails on bad rows" test $? -ne 0
check "--strict names the line" grep -q 'bad.csv:2: unknown meter "nope"' "$TMP/err"

echo "failures: $fails"
test $fails -eq 0
