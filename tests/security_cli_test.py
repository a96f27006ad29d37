"""Hostile and mistaken input to the CLI: each case must exit non-zero, not by a signal
(rc < 128), with a message on stderr naming the argument at fault. Python 3 stdlib only."""
import http.server
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import check, finish  # noqa: E402

BIN = sys.argv[1]
SRC = os.environ.get("DC_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASE = os.path.join(SRC, "tests/accounting/golden/cement_clinker_product")
SITE = os.path.join(CASE, "site.toml")
READINGS = os.path.join(CASE, "readings.csv")
ENV = dict(os.environ, DC_REFERENCE_DIR=os.path.join(SRC, "reference"))
TMP = tempfile.mkdtemp(prefix="dc-security-cli-")


def run(args, timeout=60):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, env=ENV, timeout=timeout,
                       errors="replace")
    return p.returncode, p.stdout, p.stderr


def refused(name, args, *needles):
    """The command fails cleanly and its stderr names each of `needles`."""
    rc, _, err = run(args)
    first = err.strip().splitlines()[0][:300] if err.strip() else "(no message)"
    print(f"[{name}] rc={rc}: {first}")
    check(rc != 0, f"{name}: non-zero exit")
    check(0 < rc < 128, f"{name}: not killed by a signal (rc {rc})")
    for n in needles:
        check(n in err, f"{name}: message names {n!r}")


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def site_with(extra):
    with open(SITE) as f:
        return write(f"site-{abs(hash(extra)) % 10**8}.toml", f.read() + "\n" + extra + "\n")


def account(site, *more):
    return ["account", "--site", site, "--readings", READINGS, "--period", "2025-03", *more]


# import
refused("import a directory", ["import", "--data-dir", os.path.join(TMP, "s"), TMP],
        TMP, "is a directory")
refused("import a missing file", ["import", "--data-dir", os.path.join(TMP, "s"),
                                  os.path.join(TMP, "none.lp")], "none.lp", "no such file")
check(not os.path.exists(os.path.join(TMP, "s")), "import with a bad file creates no store")

# query / inspect never create a store
missing = os.path.join(TMP, "no-store")
q = ["query", "--series", "m,id=a value", "--start", "2025-01-01", "--end", "2025-02-01"]
refused("query a missing --data-dir", q + ["--data-dir", missing], "--data-dir", missing)
refused("inspect a missing --data-dir", ["inspect", "--data-dir", missing], "--data-dir")
check(not os.path.exists(missing), "query/inspect did not create the store")
empty = os.path.join(TMP, "empty")
os.mkdir(empty)
refused("query an empty directory", q + ["--data-dir", empty], "--data-dir", "holds no store")

store = os.path.join(TMP, "store")
lp = write("a.lp", "m,id=a value=1 1735689600000000000\n")
rc, out, err = run(["import", "--data-dir", store, lp])
check(rc == 0 and "imported 1 points" in out, f"import a good file ({err.strip()})")


def query(*args):
    return ["query", "--data-dir", store, "--series", "m,id=a value", *args]


refused("reversed range", query("--start", "2025-02-01", "--end", "2025-01-01"), "--start",
        "not before --end")
refused("--start 2025", query("--start", "2025", "--end", "2026-01-01"), "--start",
        "bare number", "2025-01-01")
refused("--end 1700000000", query("--start", "2025-01-01", "--end", "1700000000"), "--end")
refused("--start junk", query("--start", "soon", "--end", "2026-01-01"), "--start")
refused("--start out of range", query("--start", "1500-01-01", "--end", "2026-01-01"), "--start")
for bad in ("-5", "nan", "inf", "0", "x"):
    refused(f"--rollover {bad}", query("--start", "2025-01-01", "--end", "2026-01-01", "--step",
                                       "1d", "--agg", "increase", "--rollover", bad),
            "--rollover", "positive finite")
refused("--step junk", query("--start", "2025-01-01", "--end", "2026-01-01", "--step", "often"),
        "--step")
refused("--agg junk", query("--start", "2025-01-01", "--end", "2026-01-01", "--agg", "median"),
        "--agg")
refused("--tz junk", query("--start", "2025-01-01", "--end", "2026-01-01", "--tz", "Mars/Base"),
        "--tz")
refused("--series empty", ["query", "--data-dir", store, "--series", "", "--start", "2025-01-01",
                           "--end", "2026-01-01"], "--series")
rc, out, _ = run(query("--start", "2025-01-01", "--end", "2026-01-01"))
check(rc == 0 and "\"m,id=a value\"," in out and out.startswith("\ufeff\"series\",\"time\",\"value\""),
      "a good query still works (CSV: BOM, quoted header and key)")
refused("--fsync junk", ["import", "--data-dir", store, "--fsync", "sometimes", lp],
        "--fsync")

# account / report
refused("--site a directory", account(TMP), "--site", "is a directory, expected a site file")
refused("--site missing", account(os.path.join(TMP, "none.toml")), "--site", "no such file")
refused("--site empty", account(""), "--site")
refused("--readings a directory",
        ["account", "--site", SITE, "--readings", TMP, "--period", "2025-03"], "--readings",
        "is a directory")
refused("--period junk", account(SITE)[:-1] + ["junk"], "--period", "expected 2025")
refused("--period out of range", account(SITE)[:-1] + ["9999"], "--period", "storable range")
refused("--period bare number", account(SITE)[:-1] + ["2025..12345"], "--period", "bare number")
refused("--data-dir missing",
        ["account", "--site", SITE, "--data-dir", missing, "--period", "2025-03"], "--data-dir")
refused("--format junk", account(SITE, "--format", "pdf"), "--format")
refused("-o a directory", ["report", "--site", SITE, "--readings", READINGS, "--period",
                           "2025-03", "-o", TMP], "-o", "is a directory")
refused("reference --reference missing", ["reference", "--reference", missing, "list"],
        missing)

# formulas and TOML nesting that used to exhaust the stack
deep = "(" * 20000 + "kiln-coal" + ")" * 20000
refused("formula of 20,000 parentheses",
        account(site_with(f'[[virtual_meter]]\nid = "deep"\nformula = "{deep}"')),
        "field 'formula'", "limit is 4096")
refused("formula nested 100 levels",
        account(site_with('[[virtual_meter]]\nid = "deep"\nformula = "' + "(" * 100 +
                          "kiln-coal" + ")" * 100 + '"')),
        "field 'formula'", "nested deeper than 64")
refused("100,000 unary minus signs",
        account(site_with('[[virtual_meter]]\nid = "neg"\nformula = "' + "-" * 100000 +
                          'kiln-coal"')), "field 'formula'")
refused("dotted key of 100,000 parts", account(site_with("x" + ".a" * 100000 + " = 1")),
        "TOML nests deeper than 32")
refused("table header of 100,000 parts", account(site_with("[x" + ".a" * 100000 + "]")),
        "TOML nests deeper than 32")
refused("nested arrays", account(site_with("x = " + "[" * 100000 + "]" * 100000)), "site-")
refused("site name of 10 MiB",
        account(write("big.toml", '[site]\nid = "a"\nname = "' + "x" * (10 << 20) + '"\n')),
        "big.toml", "larger than the limit")
with open(SITE) as f:
    base = f.read()
refused("site name over 256 bytes",
        account(write("long.toml", base.replace('[site]\n', '[site]\nname = "' + "x" * 300 +
                                                '"\n', 1).replace('\nname = "', '\nxname = "', 2)
                      .replace('\nxname = "x', '\nname = "x', 1))),
        "field 'name'")
refused("config nested", ["serve", "--config", write("deep-config.toml",
                                                     "[http]\nx" + ".a" * 100000 + " = 1\n"),
                          "--data-dir", os.path.join(TMP, "serve")], "deep-config.toml",
        "nests deeper")


# account --server against a peer that answers hostile JSON
class Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Handler.body)))
        self.end_headers()
        self.wfile.write(Handler.body)

    def log_message(self, *args):
        pass


peer = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=peer.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{peer.server_address[1]}"
for body, needle in ((b'{"results":[5]}', "results[0]: expected an object, got number"),
                     (b'{"results":{}}', "results: expected an array, got object"),
                     (b'{"results":[{"points":[["x","y"]]}]}', "results[0].points[0]"),
                     (b'{"results":[{"points":[[1,"2"]]}]}', "expected a number or null"),
                     (b"[" * 100000, "nests deeper than 64"),
                     (b"not json", "not valid JSON")):
    Handler.body = body
    refused(f"--server answers {body[:30]!r}",
            ["account", "--site", SITE, "--server", url, "--period", "2025-03"], url, needle)
peer.shutdown()

finish()
