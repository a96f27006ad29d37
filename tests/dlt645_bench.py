"""CPU time of `dualcarbon serve` polling simulated DL/T 645 meters (not a test; not registered).

  /usr/bin/python3 tests/dlt645_bench.py build/bin/dualcarbon [BUSES] [METERS_PER_BUS] [SECONDS]

BUSES transparent TCP buses (one tests/dlt645_sim.py each), METERS_PER_BUS meters on each, the
default 15 data identifiers per meter, polled every second. Prints the server's CPU (utime +
stime from /proc/<pid>/stat) over the measured window after 3 s of warm-up, and the points
stored per second from /api/v1/sources."""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from server_harness import Server  # noqa: E402

BIN = sys.argv[1]
BUSES = int(sys.argv[2]) if len(sys.argv) > 2 else 4
PER_BUS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 20
SIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dlt645_sim.py")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


tmp = tempfile.mkdtemp(prefix="dc-dlt645-bench-")
sims, config = [], ""
for b in range(BUSES):
    port = free_port()
    meters = [f"{b + 1:06d}{m + 1:06d}" for m in range(PER_BUS)]
    args = ["/usr/bin/python3", SIM, "--tcp", str(port)]
    for a in meters:
        args += ["--meter", a]
    sims.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
    config += f'[[dlt645]]\nhost = "127.0.0.1"\nport = {port}\nsite = "bench"\ninterval = "1s"\ntimeout = "500ms"\n'
    for a in meters:
        config += f'[[dlt645.meter]]\nmeter = "m{a}"\naddress = "{a}"\n'
time.sleep(1.5)
path = os.path.join(tmp, "dualcarbon.toml")
with open(path, "w") as f:
    f.write(config)
srv = Server(BIN, os.path.join(tmp, "data"), args=["--config", path])


def stored():
    _, doc = srv.json("GET", "/api/v1/sources", token=srv.admin_token)
    return sum(s["points"] for s in doc["sources"]), sum(s["errors"] for s in doc["sources"])


time.sleep(3)
c0, (p0, e0), t0 = cpu_seconds(srv.proc.pid), stored(), time.time()
time.sleep(SECONDS)
c1, (p1, e1), t1 = cpu_seconds(srv.proc.pid), stored(), time.time()
srv.terminate()
for s in sims:
    s.kill()
    s.wait(10)
print(f"{BUSES} buses x {PER_BUS} meters x 15 DIs every 1 s: {(p1 - p0) / (t1 - t0):.0f} points/s, "
      f"{e1 - e0} errors, server CPU {100 * (c1 - c0) / (t1 - t0):.2f} % of one core")
