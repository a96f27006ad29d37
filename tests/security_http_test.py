"""Black-box regression tests of the issue-7 probe: each defect found there, as the client saw
it. Raw sockets for the framing cases (http.client would not send them).
Usage: python3 security_http_test.py /path/to/dualcarbon"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, q, token_cli  # noqa: E402

BIN = sys.argv[1]
work = tempfile.mkdtemp(prefix="dc-security-")
cfg = os.path.join(work, "dc.toml")
with open(cfg, "w") as f:
    f.write('[http]\nrequest_timeout = "2s"\nidle_timeout = "5s"\n')
data = os.path.join(work, "data")
srv = Server(BIN, data, ["--config", cfg])
ADMIN = srv.admin_token
AUTH = f"Authorization: Bearer {ADMIN}\r\n".encode()
_, WRITER, _ = token_cli(BIN, data, "create", "--role", "write", "--name", "telegraf")
_, READER, _ = token_cli(BIN, data, "create", "--role", "read", "--name", "dashboard")


def raw(payload, timeout=10.0, pause_after=None):
    """Sends bytes on a fresh connection; returns (everything the server sent until it closed,
    whether it closed before `timeout`)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    out, closed = b"", False
    try:
        s.sendall(payload)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            out += chunk
    finally:
        s.close()
    return out, closed


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


SMUGGLED = b"GET /api/v1/tokens HTTP/1.1\r\nHost: t\r\n" + AUTH + b"\r\n"

print("== Transfer-Encoding and Content-Length (request smuggling)")
for te in (b"foo", b"chunked, gzip", b"gzip, chunked", b"gzip", b"identity"):
    req = (b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Transfer-Encoding: " + te +
           b"\r\n\r\n" + SMUGGLED)
    resp, closed = raw(req)
    check(status_of(resp) == 501, f"Transfer-Encoding: {te.decode()} -> 501 ({resp[:60]!r})")
    check(resp.count(b"HTTP/1.1 ") == 1 and b"tokens" not in resp,
          f"  the bytes after it are not served as a request ({resp.count(b'HTTP/1.1 ')} responses)")
    check(closed and b"connection: close" in resp.lower(), "  and the connection is closed")
    check(b"not implemented" in resp, "  the error body says why")
resp, closed = raw(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH +
                   b"Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nm v=1 1\r\n0\r\n\r\n" +
                   SMUGGLED)
check(status_of(resp) == 400 and closed and resp.count(b"HTTP/1.1 ") == 1,
      f"Content-Length with Transfer-Encoding -> 400 and close ({resp[:60]!r})")
resp, closed = raw(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH +
                   b"Content-Length: 7\r\nContent-Length: 8\r\n\r\nm v=1 1\n" + SMUGGLED)
check(status_of(resp) == 400 and closed and resp.count(b"HTTP/1.1 ") == 1,
      f"conflicting Content-Length values -> 400 and close ({resp[:60]!r})")
resp, closed = raw(b"POST /write HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + AUTH +
                   b"Transfer-Encoding: chunked\r\n\r\n7\r\nm v=1 1\r\n0\r\n\r\n")
check(status_of(resp) == 204, f"plain chunked still works ({resp[:40]!r})")

print("== one hostile line does not stall other connections")
fields = ",".join(f"f{i}=1" for i in range(100_000))
big = f"h,host=x {fields} 1\n"
result = {}


def hostile():
    t0 = time.time()
    result["big"] = srv.request("POST", "/write", body=big, token=ADMIN)
    result["big_s"] = time.time() - t0


th = threading.Thread(target=hostile)
th.start()
time.sleep(0.05)
small_s = []
for i in range(5):
    t0 = time.time()
    st, _, _ = srv.request("POST", "/write", body=f"steady v={i} {i + 1}\n", token=ADMIN)
    small_s.append(time.time() - t0)
    check(st == 204, f"small write {i} on another connection -> 204")
th.join(60)
st, _, body = result.get("big", (None, None, b""))
check(st == 400 and b"more than 1000 fields on one line" in body and b"line 1, column" in body,
      f"100,000 fields on one line -> 400 naming line and column ({st}, {body[:120]!r})")
check(result.get("big_s", 99) < 5, f"  answered in seconds, not tens ({result.get('big_s', 99):.2f} s)")
check(max(small_s) < 2, f"concurrent small writes fast (max {max(small_s) * 1000:.0f} ms)")

print("== slow sender gets 408")
s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
s.sendall(b"POST /write HTTP/1.1\r\nHost: t\r\n" + AUTH + b"Content-Length: 100\r\n\r\nm v=1")
t0 = time.time()
resp = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        resp += chunk
except OSError:
    pass
s.close()
check(status_of(resp) == 408 and b"connection: close" in resp.lower(),
      f"body not complete within request_timeout -> 408 with Connection: close ({resp[:60]!r})")
check(time.time() - t0 < 6, "  at the 2 s deadline")
resp, _ = raw(b"POST /write HTTP/1.1\r\nHost: t\r\nX-Partial: yes", timeout=6)
check(status_of(resp) == 408, f"header not complete in time -> 408 ({resp[:40]!r})")

print("== series key rules")
st, _, body = srv.request("POST", "/write", body="k,t=" + "x" * 20_000 + " v=1 1\n", token=ADMIN)
check(st == 400 and b"the limit is 1024" in body, f"20 KB series key -> 400 ({st}, {body[:100]!r})")
st, _, body = srv.request("POST", "/write", body=b"k,t=a\x00b v=1 1\n", token=ADMIN)
check(st == 400 and b"control character" in body, f"NUL in a key -> 400 ({st})")
st, _, body = srv.request("POST", "/write", body=b"k,t=\xff\xfe v=1 1\n", token=ADMIN)
check(st == 400 and b"UTF-8" in body, f"invalid UTF-8 key -> 400 ({st})")
st, _, body = srv.request("POST", "/api/v1/write", body=json.dumps(
    [{"series": "k,t=a\u0001b v", "t": 1, "v": 1}]), headers={"Content-Type": "application/json"},
    token=ADMIN)
check(st == 400 and b"control character" in body, f"JSON write: control character in a key -> 400 ({st})")
st, doc = srv.json("GET", "/api/v1/series?" + q(match="k,t"), token=ADMIN)
check(st == 200 and doc["total"] == 0, f"none of them stored ({doc})")

print("== backslashes round trip: write -> list -> query")
st, _, _ = srv.request("POST", "/write", body="bs,id=a\\\\b v=5 1700000000000000000\n", token=ADMIN)
check(st == 204, "write m,id=a\\\\b")
st, doc = srv.json("GET", "/api/v1/series?" + q(match="bs,"), token=ADMIN)
listed = doc["series"][0] if st == 200 and doc["series"] else ""
check(listed == "bs,id=a\\\\b v", f"listed as written ({listed!r})")
st, doc = srv.json("GET", "/api/v1/query?" + q(series=listed, start="2023-11-14T00:00:00Z",
                                               end="2023-11-16T00:00:00Z"), token=ADMIN)
pts = doc["results"][0]["points"] if st == 200 else []
check(len(pts) == 1 and pts[0][1] == 5, f"the listed key queries the point back ({st}, {doc})")

print("== 405 Allow lists HEAD")
st, h, _ = srv.request("DELETE", "/api/v1/query", token=ADMIN)
allow = [m.strip() for m in h.get("allow", "").split(",")]
check(st == 405 and "GET" in allow and "HEAD" in allow, f"405 Allow has GET and HEAD ({allow})")
st, _, _ = srv.request("HEAD", "/api/v1/series", token=ADMIN)
check(st == 200, "and HEAD works there")

print("== CREATE DATABASE")


def influx_q(stmt, token):
    return srv.json("POST", "/query", body="q=" + urllib.parse.quote(stmt),
                    headers={"Content-Type": "application/x-www-form-urlencoded"}, token=token)


st, doc = influx_q('CREATE DATABASE "fromreader"', READER)
check(st == 403, f"read token -> 403 ({st}, {doc})")
st, doc = influx_q('CREATE DATABASE "telegraf"', WRITER)
check(st == 200, f"write token (Telegraf) -> 200 ({st}, {doc})")
st, doc = influx_q('CREATE DATABASE "' + "d" * 10_000 + '"', WRITER)
check(st == 400 and "limit is 64" in json.dumps(doc), f"10 KB name -> 400 ({st})")
st, doc = influx_q("SHOW DATABASES", READER)
names = [v[0] for v in doc["results"][0]["series"][0]["values"]] if st == 200 else []
check("telegraf" in names and "fromreader" not in names and all(len(n) <= 64 for n in names),
      f"SHOW DATABASES with a read token ({names})")
made = 0
for i in range(150):
    st, _ = influx_q(f"CREATE DATABASE db{i}", WRITER)
    made += st == 200
check(made < 150, f"the number of databases is bounded ({made} of 150 accepted)")

print("== JSON write times outside the storable range")
for t in ("9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"):
    st, _, body = srv.request("POST", "/api/v1/write", body=json.dumps([{"series": "jn v", "t": t, "v": 7}]),
                              headers={"Content-Type": "application/json"}, token=ADMIN)
    check(st == 400 and t.encode() in body, f"t={t} -> 400 naming the value ({st}, {body[:160]!r})")
st, doc = srv.json("GET", "/api/v1/series?" + q(match="jn"), token=ADMIN)
check(st == 200 and doc["total"] == 0, "nothing stored")
st, doc = srv.json("GET", "/api/v1/query?" + q(series="steady v", start="9999-01-01T00:00:00Z"), token=ADMIN)
check(st == 400 and "9999-01-01" in json.dumps(doc), f"query start outside the range -> 400 naming it ({st})")
st, _, body = srv.request("POST", "/write?precision=h", body="p v=1 9999999999\n", token=ADMIN)
check(st == 400 and b"storable range" in body, f"precision overflow -> 400 ({st})")
st, doc = srv.json("GET", "/health")
check(st == 200 and doc["status"] == "ok" and doc["storage_error"] is None, f"/health ok ({doc.get('status')})")

rc = srv.terminate()
check(rc == 0, f"clean shutdown ({rc})")
shutil.rmtree(work, ignore_errors=True)
finish()
