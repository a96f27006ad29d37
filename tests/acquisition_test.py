"""Configured acquisition sources, black-box: `dualcarbon serve --config` with an [[hj212]]
listener; a station sends packets over TCP (one split in fragments, one with a bad CRC); the
9014 replies, /api/v1/sources, /health, /metrics and the stored values are checked. Then
[[modbus]] devices against tests/modbus_sim.py: a good one, one answering exceptions and a dead
one — every failed read is a point at the slot with value NaN (null) and quality bad. An invalid
source table refuses the start with a message naming it."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from server_harness import Server, check, finish, q, wait_until  # noqa: E402

BIN = sys.argv[1]


def crc(data: bytes) -> int:
    c = 0xFFFF
    for b in data:
        c = (c >> 8) ^ b
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return c


def frame(data: str) -> bytes:
    d = data.encode()
    return b"##%04d" % len(d) + d + b"%04X\r\n" % crc(d)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


tmp = tempfile.mkdtemp(prefix="dc-acq-")
port = free_port()
config = os.path.join(tmp, "dualcarbon.toml")
with open(config, "w") as f:
    f.write(f"""
[[hj212]]
name = "stack-1"
listen = "127.0.0.1:{port}"
zone = "Asia/Shanghai"

[[hj212.stations]]
mn = "88888880000001"
password = "123456"
site = "cement-a"
""")

MN = "88888880000001"
packets = []
for i in range(3):
    packets.append(f"QN=2025030110{i:02d}00001;ST=31;CN=2061;PW=123456;MN={MN};Flag=5;"
                   f"CP=&&DataTime=2025030110{i:02d}00;a21026-Avg={10 + i}.5,a21026-Flag=N;"
                   f"a21002-Avg=4{i}.0,a21002-Flag=C&&")

srv = Server(BIN, os.path.join(tmp, "data"), args=["--config", config])
tok = srv.admin_token

st, doc = srv.json("GET", "/api/v1/sources", token=tok)
check(st == 200 and len(doc["sources"]) == 1, f"/api/v1/sources lists the configured listener ({st} {doc})")
check(doc["sources"][0]["kind"] == "hj212" and doc["sources"][0]["running"], "the listener runs")

# A live stream of the site (GET /api/v1/stream) is open while the packets arrive: points stored
# by an acquisition source are streamed like those written over HTTP.
live = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
live.sendall(f"GET /api/v1/stream?site=cement-a&seconds=20 HTTP/1.1\r\nHost: x\r\n"
             f"Authorization: Bearer {tok}\r\n\r\n".encode())

sock = socket.create_connection(("127.0.0.1", port), timeout=10)
stream = frame(packets[0]) + b"\x00garbage" + frame(packets[1])
bad = bytearray(frame(packets[2]))
bad[-3] = ord("0") if bad[-3] != ord("0") else ord("1")  # wrong CRC digit
stream += bytes(bad)
for i in range(0, len(stream), 7):  # TCP fragments
    sock.sendall(stream[i:i + 7])
    time.sleep(0.002)
replies = b""
deadline = time.time() + 10
while replies.count(b"\r\n") < 2 and time.time() < deadline:
    try:
        chunk = sock.recv(4096)
    except socket.timeout:
        break
    if not chunk:
        break
    replies += chunk
check(replies.count(b"CN=9014") == 2, f"two 9014 replies for the two good packets ({replies!r})")
sock.close()

seen = b""
deadline = time.time() + 10
while b"\ndata:" not in seen and time.time() < deadline:
    try:
        chunk = live.recv(4096)
    except socket.timeout:
        break
    if not chunk:
        break
    seen += chunk
live.close()
event = next((ln[5:] for ln in seen.decode(errors="replace").split("\n") if ln.startswith("data:")), "")
check(f"mn={MN},site=cement-a" in event, f"the listener's points reach the site's live stream ({event[:160]!r})")


def stored():
    key = f"cems,code=a21026,mn={MN},site=cement-a avg"
    st, doc = srv.json("GET", "/api/v1/query?" + q(series=key, start="2025-03-01T00:00:00Z",
                                                    end="2025-03-02T00:00:00Z"), token=tok)
    return doc["results"][0]["points"] if st == 200 else None


check(wait_until(lambda: stored() is not None and len(stored()) == 2, 5),
      f"the two good packets' values are stored, the bad one is not ({stored()})")
pts = stored() or []
check([p[1] for p in pts] == [10.5, 11.5], f"values at their DataTime ({pts})")
check(pts and pts[0][0] == "2025-03-01T02:00:00+00:00", f"DataTime read in Asia/Shanghai ({pts[:1]})")

st, doc = srv.json("GET", "/api/v1/sources", token=tok)
s0 = doc["sources"][0]
check(s0["points"] >= 8 and s0["errors"] >= 1 and s0["last_error"], f"points and errors counted ({s0})")
st, health = srv.json("GET", "/health")
check(health.get("sources") == {"configured": 1, "not_running": 0}, f"/health shows the sources ({health.get('sources')})")
st, _, metrics = srv.request("GET", "/metrics", token=tok)
text = metrics.decode()
check('dualcarbon_source_up{source="stack-1",kind="hj212"} 1' in text, "/metrics has the source's gauges")
check(srv.terminate() == 0, "SIGTERM stops the server and its sources cleanly")

# Modbus: failed reads are bad-quality NaN points at the slot, never gaps or made-up values.
mb_port, dead_port = free_port(), free_port()
sim_log = open(os.path.join(tmp, "modbus-sim.log"), "w")
sim = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         "modbus_sim.py"), "--tcp", str(mb_port)],
                       stdout=sim_log, stderr=subprocess.STDOUT)
mb_config = os.path.join(tmp, "modbus.toml")
with open(mb_config, "w") as f:
    for meter, port_, unit in (("mb-good", mb_port, 1), ("mb-exception", mb_port, 2), ("mb-dead", dead_port, 1)):
        f.write(f"""
[[modbus]]
meter = "{meter}"
site = "plant-m"
host = "127.0.0.1"
port = {port_}
unit_id = {unit}
interval = "500ms"
timeout = "200ms"
retries = 0
backoff = "10ms"
backoff_max = "20ms"
[[modbus.register]]
field = "u32"
address = 2
type = "uint32"
byte_order = "CDAB"
[[modbus.register]]
field = "far"
address = 10
type = "uint16"
""")


def listening(port_):
    try:
        socket.create_connection(("127.0.0.1", port_), timeout=1).close()
        return True
    except OSError:
        return False


check(wait_until(lambda: listening(mb_port), 20), "the Modbus simulator serves")
srv = Server(BIN, os.path.join(tmp, "data-modbus"), args=["--config", mb_config])
tok = srv.admin_token


def mb_points(meter, field):
    now = time.time()
    st, doc = srv.json("GET", "/api/v1/query?" + q(
        series=f"meter,id={meter},site=plant-m {field}",
        start=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 300)),
        end=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60))), token=tok)
    return doc["results"][0]["points"] if st == 200 and doc.get("results") else []


check(wait_until(lambda: len(mb_points("mb-good", "u32")) >= 3 and len(mb_points("mb-dead", "u32")) >= 3, 15),
      "the Modbus devices are polled")
# Unit 2 of the simulator holds 4 registers: its u32 (2..3) is read, its "far" (10) is an
# exception; what the device did answer is kept.
for meter, field in (("mb-good", "u32"), ("mb-good", "far"), ("mb-exception", "u32")):
    good = mb_points(meter, field)
    check(len(good) >= 2 and all(isinstance(p[1], (int, float)) and (len(p) < 3 or not p[2]) for p in good),
          f"{meter} {field}: a register that is read is a good number ({good[:2]})")
for meter, field in (("mb-exception", "far"), ("mb-dead", "u32"), ("mb-dead", "far")):
    pts = mb_points(meter, field)
    check(len(pts) >= 2 and all(p[1] is None and (len(p) < 3 or p[2] in (2, "bad")) for p in pts),
          f"{meter} {field}: each failed read is a NaN point with quality bad ({pts[:2]})")
    fracs = {(re.search(r":\d\d(\.\d+)?(?:[+Z-]|$)", p[0]).group(1) or ".").rstrip("0") for p in pts}
    check(fracs <= {".", ".5"}, f"{meter} {field}: stamped at the 500 ms slots ({sorted(fracs)})")
st, doc = srv.json("GET", "/api/v1/sources", token=tok)
mb = {s["name"]: s for s in doc.get("sources", [])}
check(mb.get("modbus:mb-exception", {}).get("errors", 0) >= 2
      and "Illegal data address" in (mb["modbus:mb-exception"].get("last_error") or ""),
      f"the exception device's errors are counted and explained ({mb.get('modbus:mb-exception')})")
check(mb.get("modbus:mb-dead", {}).get("errors", 0) >= 2 and not mb["modbus:mb-dead"]["connected"],
      f"the dead device's errors are counted ({mb.get('modbus:mb-dead')})")
check(srv.terminate() == 0, "SIGTERM stops the Modbus sources cleanly")
sim.kill()
sim.wait(10)

# An invalid source table is refused at start, naming it.
with open(config, "a") as f:
    f.write('\n[[mqtt]]\nname = "broker"\nport = "not a number"\n')
r = subprocess.run([BIN, "serve", "--config", config, "--data-dir", os.path.join(tmp, "data2"),
                    "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and r.returncode < 128 and "mqtt" in r.stderr,
      f"an invalid [[mqtt]] table refuses the start naming it (rc {r.returncode}: {r.stderr.strip()[:200]})")
finish()
