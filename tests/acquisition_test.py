"""Configured acquisition sources, black-box: `dualcarbon serve --config` with an [[hj212]]
listener; a station sends packets over TCP (one split in fragments, one with a bad CRC); the
9014 replies, /api/v1/sources, /health, /metrics and the stored values are checked. An invalid
source table refuses the start with a message naming it."""
import os
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

# An invalid source table is refused at start, naming it.
with open(config, "a") as f:
    f.write('\n[[mqtt]]\nname = "broker"\nport = "not a number"\n')
r = subprocess.run([BIN, "serve", "--config", config, "--data-dir", os.path.join(tmp, "data2"),
                    "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and r.returncode < 128 and "mqtt" in r.stderr,
      f"an invalid [[mqtt]] table refuses the start naming it (rc {r.returncode}: {r.stderr.strip()[:200]})")
finish()
