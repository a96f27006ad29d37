"""DL/T 645 buses, black-box: `dualcarbon serve --config` with two [[dlt645]] buses — one over a
socat pty pair (meters 000000000001 and 000000000002, and 000000000009 that never answers) and
one over TCP (a lone meter found by "discover") — served by tests/dlt645_sim.py. After a few
poll intervals: the stored values are exactly what the simulator sent (its log), stamped at
the aligned slots; the dead meter's points are NaN (null) with quality bad, and
/api/v1/sources, /health and /metrics show the buses and the dead meter's errors; the live
meters kept every slot."""
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from server_harness import Server, check, finish, q, wait_until  # noqa: E402

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "dlt645_sim.py")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


tmp = tempfile.mkdtemp(prefix="dc-dlt645-")
pty_a, pty_b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
tcp_port = free_port()
children = []


def start(argv, log):
    out = open(os.path.join(tmp, log), "w")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    children.append(p)
    return p


def stop_children():
    for p in children:
        p.kill()
        p.wait(10)


def has(path, text):
    try:
        with open(path) as f:
            return text in f.read()
    except OSError:
        return False


start(["/usr/bin/socat", f"pty,raw,echo=0,link={pty_a}", f"pty,raw,echo=0,link={pty_b}"], "socat.log")
check(wait_until(lambda: os.path.exists(pty_a) and os.path.exists(pty_b), 10), "socat made the pty pair")
start(["/usr/bin/python3", SIM, "--pty", pty_b, "--meter", "000000000001", "--meter", "000000000002",
       "--dead", "000000000009", "--slow", "000000000002:50", "--log", os.path.join(tmp, "pty-sent.jsonl")], "sim-pty.log")
start(["/usr/bin/python3", SIM, "--tcp", str(tcp_port), "--meter", "123456789012",
       "--log", os.path.join(tmp, "tcp-sent.jsonl")], "sim-tcp.log")
check(wait_until(lambda: has(os.path.join(tmp, "sim-pty.log"), "ready")
                 and has(os.path.join(tmp, "sim-tcp.log"), "ready"), 20), "the simulators serve")

READ = '["00010000", "00010100", "02030000", "02010100"]'
config = os.path.join(tmp, "dualcarbon.toml")
with open(config, "w") as f:
    f.write(f"""
[[dlt645]]
name = "bus-pty"
serial = "{pty_a}"
site = "plant-a"
interval = "1s"
timeout = "300ms"
retries = 0
backoff = "100ms"
backoff_max = "200ms"

[[dlt645.meter]]
meter = "m1"
address = "000000000001"
read = {READ}

[[dlt645.meter]]
meter = "m9"
address = "000000000009"
read = ["00010000", "02030000"]

[[dlt645.meter]]
meter = "m2"
address = "000000000002"
read = {READ}

[[dlt645]]
name = "bus-tcp"
host = "127.0.0.1"
port = {tcp_port}
interval = "1s"
timeout = "500ms"

[[dlt645.meter]]
meter = "solo"
site = "plant-b"
address = "discover"
read = ["00010000", "00020000"]
""")

srv = Server(BIN, os.path.join(tmp, "data"), args=["--config", config])
tok = srv.admin_token
t0 = time.time()


def points(key):
    now = datetime.datetime.now(datetime.timezone.utc)
    st, doc = srv.json("GET", "/api/v1/query?" + q(
        series=key, start=(now - datetime.timedelta(minutes=5)).isoformat(),
        end=(now + datetime.timedelta(minutes=1)).isoformat()), token=tok)
    return doc["results"][0]["points"] if st == 200 and doc.get("results") else []


def key(meter, site, field):
    return f"meter,id={meter},site={site} {field}"


check(wait_until(lambda: len(points(key("m2", "plant-a", "import_kwh"))) >= 4
                 and len(points(key("solo", "plant-b", "import_kwh"))) >= 4, 15),
      "four polls of each bus are stored")
st, doc = srv.json("GET", "/api/v1/sources", token=tok)
sources = {s["name"]: s for s in doc.get("sources", [])}
st, health = srv.json("GET", "/health")
st, _, metrics = srv.request("GET", "/metrics", token=tok)
metrics = metrics.decode()
series = {(m, s, f): points(key(m, s, f)) for m, s, f in [
    ("m1", "plant-a", "import_kwh"), ("m1", "plant-a", "import_kwh_t1"), ("m1", "plant-a", "power_kw"),
    ("m1", "plant-a", "voltage_a"), ("m2", "plant-a", "import_kwh"), ("m2", "plant-a", "power_kw"),
    ("m9", "plant-a", "import_kwh"), ("m9", "plant-a", "power_kw"),
    ("solo", "plant-b", "import_kwh"), ("solo", "plant-b", "export_kwh")]}
check(srv.terminate() == 0, "SIGTERM stops the server and its buses cleanly")
stop_children()


def sent(log):
    out = {}
    with open(os.path.join(tmp, log)) as f:
        for line in f:
            r = json.loads(line)
            out.setdefault((r["address"], r["di"]), []).append(r["value"])
    return out


pty_sent, tcp_sent = sent("pty-sent.jsonl"), sent("tcp-sent.jsonl")
DI = {"import_kwh": "00010000", "import_kwh_t1": "00010100", "power_kw": "02030000",
      "voltage_a": "02010100", "export_kwh": "00020000"}
ADDRESS = {"m1": "000000000001", "m2": "000000000002", "solo": "123456789012"}


def when(p):
    return datetime.datetime.fromisoformat(p[0])


for (meter, site, field), pts in series.items():
    if meter == "m9":
        continue
    log = tcp_sent if meter == "solo" else pty_sent
    served = log.get((ADDRESS[meter], DI[field]), [])
    values = [p[1] for p in pts]
    check(len(pts) >= 4, f"{meter} {field}: a point per poll ({len(pts)})")
    check(all(any(v is not None and abs(v - s) < 1e-9 for s in served) for v in values),
          f"{meter} {field}: every stored value is one the meter sent ({values[:3]} vs {served[:3]})")
    check(all(when(p).microsecond == 0 for p in pts), f"{meter} {field}: stamped at the aligned second")
    check(all(len(p) < 3 or not p[2] for p in pts), f"{meter} {field}: good quality")
    if field.endswith("kwh"):
        check(values == sorted(values), f"{meter} {field}: energy never decreases ({values})")
    gaps = [(when(b) - when(a)).total_seconds() for a, b in zip(pts, pts[1:])]
    check(all(g == 1.0 for g in gaps), f"{meter} {field}: every 1 s slot kept, the dead meter delays nothing ({gaps})")
check(tcp_sent.get(("123456789012", None)), "the lone TCP meter was discovered (read address answered)")
m1 = [p[1] for p in series[("m1", "plant-a", "import_kwh")]]
check(len(m1) >= 2 and m1[-1] > m1[0], f"the meter's energy grows between polls ({m1})")

for field in ("import_kwh", "power_kw"):
    pts = series[("m9", "plant-a", field)]
    # Its backoff (at most 200 ms) ends before the next 1 s slot: it is asked at every slot.
    live = [p[0] for p in series[("m1", "plant-a", "import_kwh")]]
    check([p[0] for p in pts] == live[:len(pts)] and len(pts) >= len(live) - 1,
          f"the dead meter has a point at each poll's slot ({field}: {pts} vs {live})")
    # The value of a bad point is NaN (JSON null); the quality, when the output carries it, is bad.
    check(all(p[1] is None and (len(p) < 3 or p[2] in (2, "bad")) for p in pts),
          f"the dead meter's points are NaN with quality bad ({pts[:3]})")

pty = sources.get("bus-pty", {})
check(pty.get("kind") == "dlt645" and pty.get("running"), f"/api/v1/sources lists the pty bus ({pty})")
check(pty.get("errors", 0) >= 8 and "000000000009" in (pty.get("last_error") or ""),
      f"the dead meter's errors are counted and named ({pty.get('errors')}: {pty.get('last_error')})")
check(pty.get("points", 0) >= 4 * 8, f"the live meters' points are counted ({pty.get('points')})")
devices = {d["name"]: d for d in pty.get("devices", [])}
check(set(devices) == {"m1", "m9", "m2"}, f"/api/v1/sources lists the bus's meters ({list(devices)})")
m9 = devices.get("m9", {})
check(not m9.get("answering") and m9.get("errors", 0) >= 4 and m9.get("reads_ok") == 0
      and "no answer" in (m9.get("last_error") or ""), f"the dead meter's own counters show it ({m9})")
check(all(devices.get(m, {}).get("answering") and devices[m].get("errors") == 0 for m in ("m1", "m2")),
      f"the live meters answer, the slow one too ({devices.get('m1')}, {devices.get('m2')})")
check(devices.get("m1", {}).get("address") == "000000000001", "a meter's address is shown")
tcp = sources.get("bus-tcp", {})
check(tcp.get("connected") and tcp.get("errors") == 0, f"the TCP bus is connected, no errors ({tcp})")
check(health.get("sources") == {"configured": 2, "not_running": 0}, f"/health counts the buses ({health.get('sources')})")
check('dualcarbon_source_up{source="bus-pty",kind="dlt645"} 1' in metrics
      and 'dualcarbon_source_errors_total{source="bus-pty",kind="dlt645"}' in metrics,
      "/metrics has the buses' gauges and counters")
check('dualcarbon_source_device_answering{source="bus-pty",kind="dlt645",device="m9"} 0' in metrics
      and 'dualcarbon_source_device_answering{source="bus-pty",kind="dlt645",device="m1"} 1' in metrics
      and 'dualcarbon_source_device_errors_total{source="bus-pty",kind="dlt645",device="m9"}' in metrics,
      "/metrics has the per-meter gauges and counters")
tcp_dev = (tcp.get("devices") or [{}])[0]
check(tcp_dev.get("address") == "123456789012", f"the discovered address is shown ({tcp_dev})")

# A [[dlt645]] table with two meters asking for "discover" is refused at start, naming it.
with open(config, "a") as f:
    f.write('\n[[dlt645.meter]]\nmeter = "other"\nsite = "plant-b"\naddress = "000000000005"\n')
r = subprocess.run([BIN, "serve", "--config", config, "--data-dir", os.path.join(tmp, "data2"),
                    "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and r.returncode < 128 and "dlt645" in r.stderr and "discover" in r.stderr,
      f"\"discover\" on a shared bus refuses the start ({r.returncode}: {r.stderr.strip()[:200]})")
finish()
