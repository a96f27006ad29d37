#!/usr/bin/env bash
# Black-box test: `dualcarbon import --format lp` then `inspect --format json` and `query`.
# Usage: tests/import_lp_test.sh PATH/TO/dualcarbon
set -euo pipefail
DC=${1:?usage: $0 PATH/TO/dualcarbon}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the input: 3 meters x 100 minutes x 2 fields, plus everything a real file may hold -------
T0=1704067200000000000  # 2024-01-01T00:00:00Z
{
  echo "# exported by a gateway"
  for m in 1 2 3; do
    for i in $(seq 0 99); do
      t=$((T0 + i * 60000000000))
      # kwh = i/4 (exact in binary), kw = m; the tags are deliberately unsorted for meter 3.
      if [ "$m" = 3 ]; then
        printf 'energy,site=s1,meter=m%d kwh=%s,kw=%di,note="ok, fine" %d\n' "$m" \
          "$(awk "BEGIN{print $i/4}")" "$m" "$t"
      else
        printf 'energy,meter=m%d,site=s1 kwh=%s,kw=%di %d\r\n' "$m" "$(awk "BEGIN{print $i/4}")" \
          "$m" "$t"
      fi
    done
  done
  echo ""
} > "$TMP/a.lp"
# A second file: booleans become 1/0, escaped names, no trailing newline.
printf 'state,meter=m\\ 9,site=s1 running=true %d\nstate,meter=m\\ 9,site=s1 running=F %d' \
  "$T0" "$((T0 + 60000000000))" > "$TMP/b.lp"

out=$("$DC" import --data-dir "$TMP/data" --format lp "$TMP/a.lp" "$TMP/b.lp") ||
  fail "import exited $?: $out"
echo "$out"
echo "$out" | grep -q "imported 602 points" || fail "expected 602 points imported, got: $out"

# --- inspect: 7 series (3 meters x kwh, kw + 1 state), 602 points, some bytes --------------
json=$("$DC" inspect --data-dir "$TMP/data" --format json) || fail "inspect exited $?"
echo "$json"
python3 - "$json" <<'EOF' || fail "inspect output wrong: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["series"] == 7, d
assert d["points"] == 602, d
assert d["bytes_on_disk"] > 0, d
EOF

# --- query: raw points and a daily sum of one series; the sum of kwh is 0.25 * 4950 = 1237.5 ---
# CSV answers open with a BOM and a header row ("series","time","value"); the rows follow.
q() {
  local out
  out=$("$DC" query --data-dir "$TMP/data" --start 2024-01-01T00:00:00Z --end 2024-01-02T00:00:00Z "$@") || return $?
  [ "$(printf '%s\n' "$out" | head -n 1)" = $'\xef\xbb\xbf"series","time","value"' ] || { echo "bad CSV header: $(printf '%s\n' "$out" | head -n 1)" >&2; return 1; }
  printf '%s\n' "$out" | tail -n +2
}
raw=$(q --series 'energy,meter=m3,site=s1 kwh' --step raw --format csv) || fail "query exited $?"
n=$(echo "$raw" | grep -c . || true)
[ "$n" = 100 ] || fail "expected 100 raw points for m3 kwh, got $n"
sum=$(echo "$raw" | awk -F, '{s += $NF} END {printf "%.2f", s}')
[ "$sum" = "1237.50" ] || fail "expected raw sum 1237.50, got $sum"
day=$(q --series 'energy,meter=m1,site=s1 kwh' --step 1d --agg sum --format csv)
echo "$day"
echo "$day" | awk -F, '{printf "%.2f\n", $NF}' | grep -qx "1237.50" || fail "daily sum: $day"
kw=$(q --series 'energy,meter=m2,site=s1 kw' --step 1d --agg count --format csv)
echo "$kw" | awk -F, '{print $NF+0}' | grep -qx 100 || fail "count of m2 kw: $kw"
st=$(q --series 'state,meter=m\ 9,site=s1 running' --step raw --format csv)
[ "$(echo "$st" | awk -F, '{printf "%s ", $NF+0}')" = "1 0 " ] || fail "booleans: $st"

# --- a file with bad lines: good lines are kept, bad ones named by line and column ----------
printf 'energy,meter=m4,site=s1 kwh=1 %d\nenergy,meter=m4,site=s1 kwh=oops %d\nenergy,meter=m4,site=s1 kwh=2 %d\n' \
  "$T0" "$((T0 + 1))" "$((T0 + 2))" > "$TMP/bad.lp"
set +e
"$DC" import --data-dir "$TMP/data" --format lp "$TMP/bad.lp" > "$TMP/bad.out" 2> "$TMP/bad.err"
rc=$?
set -e
cat "$TMP/bad.out" "$TMP/bad.err"
[ "$rc" != 0 ] || fail "import of a file with a bad line should exit non-zero"
grep -q "line 2, column 29" "$TMP/bad.err" || fail "error should name line 2, column 29"
grep -q "imported 2 points" "$TMP/bad.out" || fail "the 2 good points should be imported"
json=$("$DC" inspect --data-dir "$TMP/data" --format json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["series"]==8 and d["points"]==604, d' \
  "$json" || fail "after the bad file: $json"

# --- unsupported format is a usage error ----------------------------------------------------
if "$DC" import --data-dir "$TMP/data" --format csv "$TMP/a.lp" 2>/dev/null; then
  fail "--format csv should be refused"
fi
echo "import_lp_test: OK"
