"""Black-box test of hostile and broken HTTP clients: truncated bodies, bad chunked encoding,
huge headers, garbage request lines, invalid UTF-8, slowloris senders and idle keep-alive
connections. Each gets an error or a timeout while the server keeps serving others.
Usage: python3 server_faults_test.py /path/to/dualcarbon"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, q  # noqa: E402

BIN = sys.argv[1]
work = tempfile.mkdtemp(prefix="dc-faults-")
cfg = os.path.join(work, "dc.toml")
with open(cfg, "w") as f:
    f.write('[http]\nrequest_timeout = "2s"\nidle_timeout = "3s"\nwrite_timeout = "5s"\n')
srv = Server(BIN, os.path.join(work, "data"), ["--config", cfg])
TOKEN = srv.admin_token
AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()


def raw(payload, shut_write=False, timeout=10.0):
    """Sends bytes on a fresh connection; returns everything the server sends until it closes
    (or until `timeout`)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    out = b""
    try:
        s.sendall(payload)
        if shut_write:
            s.shutdown(socket.SHUT_WR)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def serving():
    st, _, _ = srv.request("GET", "/ping")
    return st == 204


print("== truncated body")
resp = raw(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Content-Length: 1000\r\n\r\nm v=1 1\nm v=2", shut_write=True)
check(status_of(resp) in (400, None) and b"204" not in resp[:12], f"truncated body -> 400 or close, never 204 ({resp[:60]!r})")
check(serving(), "server still serving")

print("== bad chunked encoding")
resp = raw(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n")
check(status_of(resp) == 400, f"bad chunk size -> 400 ({resp[:60]!r})")
resp = raw(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n\r\n5\r\nm v=1 1\r\n0\r\n\r\n")
check(status_of(resp) == 400, f"chunk longer than its size -> 400 ({resp[:60]!r})")
good_chunked = b"8\r\nck v=1 1\r\n9\r\n\nck v=2 2\r\n0\r\n\r\n"
resp = raw(b"POST /write HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n\r\n" + good_chunked)
check(status_of(resp) == 204, f"valid chunked body -> 204 ({resp[:60]!r})")

print("== Expect: 100-continue")
s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
body = b"cont,site=a v=1 1\n"
s.sendall(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
first = s.recv(4096)
check(first.startswith(b"HTTP/1.1 100 Continue"), f"100 Continue sent before the body ({first[:40]!r})")
s.sendall(body)
final = first.split(b"\r\n\r\n", 1)[1] or s.recv(4096)
check(final.startswith(b"HTTP/1.1 204"), f"then 204 ({final[:40]!r})")
s.close()

print("== huge header, garbage")
resp = raw(b"GET /ping HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
check(status_of(resp) == 431, f"100 KB header -> 431 ({resp[:60]!r})")
resp = raw(b"GET /ping HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(3000)) + b"\r\n")
check(status_of(resp) == 431, f"3000 header fields -> 431 ({resp[:60]!r})")
resp = raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200))
check(status_of(resp) in (400, None), f"TLS hello / binary garbage -> 400 or close ({resp[:40]!r})")
resp = raw(b"GET /ping HTTP/9.9\r\n\r\n")
check(status_of(resp) in (400, 505, None), f"bad HTTP version -> error ({resp[:40]!r})")
resp = raw(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Content-Length: -5\r\n\r\n")
check(status_of(resp) == 400, f"negative Content-Length -> 400 ({resp[:40]!r})")
resp = raw(b"GET /api/v1/query?series=%zz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + AUTH + b"\r\n")
check(status_of(resp) == 400, f"malformed percent escape -> 400 ({resp[:40]!r})")
check(serving(), "server still serving")

print("== invalid UTF-8")
st, _, body = srv.request("POST", "/write?precision=s", body=b"m\xff\xfe,site=\xc3\x28 v=1 1\nok,site=a v=2 2\n", token=TOKEN)
check(st in (204, 400), f"invalid UTF-8 in line protocol -> {st} ({body[:120]!r})")
if st == 400:
    json.loads(body)  # the error body must be valid JSON even when quoting bad bytes
st, _, body = srv.request("GET", "/api/v1/series", token=TOKEN)
ok = st == 200
try:
    json.loads(body.decode("utf-8"))
except ValueError:
    ok = False
check(ok, "series list is valid UTF-8 JSON afterwards")
st, _, body = srv.request("GET", "/api/v1/query?" + q(series="ok,site=a v", start="1970-01-01T00:00:00Z"), token=TOKEN)
check(st == 200 and b"[" in body, "the good line is readable")
st, _, body = srv.request("GET", "/api/v1/query?series=m%FF%FE+v&start=0", token=TOKEN)
check(st in (200, 400) and json.loads(body) is not None, f"invalid UTF-8 in a query parameter -> {st}, valid JSON")

print("== slowloris and idle connections")
slow_results = {}


def slowloris(i):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    start = time.time()
    msg = b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"X-Slow: " + b"a" * 1000
    closed_after = None
    try:
        for b in msg:  # one byte every 0.1 s; bounded by len(msg) and by 15 s
            if time.time() - start > 15:
                break
            s.sendall(bytes([b]))
            time.sleep(0.1)
    except OSError:
        closed_after = time.time() - start
    if closed_after is None:
        try:
            data = s.recv(1024)
            closed_after = time.time() - start if data is not None else None
        except OSError:
            closed_after = time.time() - start
    s.close()
    slow_results[i] = closed_after


threads = [threading.Thread(target=slowloris, args=(i,)) for i in range(20)]
for t in threads:
    t.start()
time.sleep(0.5)
latencies = []
for _ in range(20):
    t0 = time.time()
    ok = serving()
    latencies.append(time.time() - t0 if ok else 99)
    time.sleep(0.05)
check(max(latencies) < 1.0, f"others served while 20 slowloris senders trickle (max latency {max(latencies):.3f}s)")
for t in threads:
    t.join(30)
times = [slow_results.get(i) for i in range(20)]
check(all(x is not None and x < 6 for x in times), f"slowloris connections cut at the 2 s request deadline ({[round(x or -1, 1) for x in times]})")

s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
t0 = time.time()
try:
    data = s.recv(1024)
except OSError:
    data = b""
idle = time.time() - t0
s.close()
check(data == b"" and 2 < idle < 8, f"idle keep-alive connection closed after the 3 s idle timeout ({idle:.1f}s)")

s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
s.sendall(b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\nGET /ping HTTP/1.1\r\nHost: t\r\n\r\n")
time.sleep(0.3)
data = s.recv(4096)
s.close()
check(data.count(b"HTTP/1.1 204") == 2, "pipelined keep-alive requests both answered")
check(serving(), "server still serving")
check(srv.terminate() == 0, "SIGTERM -> exit 0")
shutil.rmtree(work, ignore_errors=True)
finish()
