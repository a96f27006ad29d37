"""Black-box load and crash test: 1,000 concurrent keep-alive connections; SIGKILL during
concurrent HTTP ingest (fsync=always and interval) and SIGTERM during ingest — after a restart
every point acknowledged with 204 is readable.
Usage: python3 server_load_test.py /path/to/dualcarbon   (raise `ulimit -n` above 2,100 first)"""
import http.client
import os
import resource
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, q  # noqa: E402

BIN = sys.argv[1]
work = tempfile.mkdtemp(prefix="dc-load-")
N_CONN = 1000


def read_response(s, buf):
    """Reads one response with no or Content-Length body from socket s; returns (status, rest)."""
    deadline = time.time() + 30
    while b"\r\n\r\n" not in buf and time.time() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            return None, buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length and time.time() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ")[1]), rest[length:]


print(f"== {N_CONN} concurrent keep-alive connections")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
check(soft >= 2 * N_CONN + 100, f"fd limit {soft} allows the test (run with ulimit -n 4096)")
srv = Server(BIN, os.path.join(work, "conn"), ["--no-auth"])
socks = []
try:
    for i in range(N_CONN):
        socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=30))
    ok_rounds = 0
    for rnd in range(2):  # two requests on every connection: they stay open (keep-alive)
        for s in socks:
            s.sendall(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
        good = 0
        for s in socks:
            st, _ = read_response(s, b"")
            good += st == 204
        check(good == N_CONN, f"round {rnd + 1}: {good}/{N_CONN} connections answered 204")
    st, doc = srv.json("GET", "/health")
    check(st == 200 and doc["connections"] >= N_CONN, f"/health counts {doc.get('connections')} open connections")
finally:
    for s in socks:
        s.close()
check(srv.terminate() == 0, "SIGTERM -> exit 0")


def ingest_then_stop(fsync, stop, n_threads=4, batch=500, seconds=2.5):
    """Writes from n_threads keep-alive connections until `seconds` pass, then stops the server
    with `stop` ("kill" or "term"). Returns (acked timestamps per thread, exit code)."""
    data = os.path.join(work, f"crash-{fsync.replace(':', '')}-{stop}")
    srv = Server(BIN, data, ["--no-auth", "--fsync", fsync])
    acked = [[] for _ in range(n_threads)]
    errors = [0] * n_threads
    halt = threading.Event()
    t_base = 1_700_000_000 * 10**9

    def writer(w):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        seq = 0
        for _ in range(100_000):  # bounded; halt ends it much sooner
            if halt.is_set():
                break
            ts = [t_base + (seq + i) * 10**6 for i in range(batch)]
            body = "".join(f"crash,w={w} v={seq + i} {t}\n" for i, t in enumerate(ts))
            try:
                c.request("POST", "/write", body=body)
                r = c.getresponse()
                r.read()
                if r.status == 204:
                    acked[w].extend(ts)
                else:
                    errors[w] += 1
            except (OSError, http.client.HTTPException):
                break  # server gone
            seq += batch
        c.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    if stop == "kill":
        srv.kill()
        code = -9
    else:
        code = srv.terminate()
    halt.set()
    for t in threads:
        t.join(30)
    check(sum(errors) == 0, f"[{fsync}/{stop}] no non-204 answers during ingest ({errors})")
    srv2 = Server(BIN, data, ["--no-auth"])
    for w in range(n_threads):
        st, doc = srv2.json("GET", "/api/v1/query?" + q(series=f"crash,w={w} v", start="2023-01-01T00:00:00Z", epoch="ms"))
        got = {p[0] for p in doc["results"][0]["points"]} if st == 200 else set()
        want = {t // 10**6 for t in acked[w]}
        missing = want - got
        check(len(want) > 0 and not missing,
              f"[{fsync}/{stop}] writer {w}: all {len(want)} acknowledged points readable after restart (missing {len(missing)})")
    check(srv2.terminate() == 0, f"[{fsync}/{stop}] restarted server exits 0")
    return code


print("== SIGKILL during concurrent HTTP ingest")
ingest_then_stop("always", "kill")
ingest_then_stop("interval:50", "kill")
print("== SIGTERM during concurrent HTTP ingest")
code = ingest_then_stop("interval:100", "term")
check(code == 0, f"SIGTERM during ingest -> exit 0 ({code})")

shutil.rmtree(work, ignore_errors=True)
finish()
