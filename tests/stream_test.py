"""Black-box test of GET /api/v1/stream (server-sent events) of `dualcarbon serve`: a subscriber
receives a point written through POST /write within 1 s; a token scoped to another site is
refused (403); points of other sites are not sent; a consumer that never reads does not slow
writes down and is dropped; `seconds=` ends the stream; server stop ends open streams.
Usage: python3 stream_test.py /path/to/dualcarbon"""
import json
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import Server, check, finish, token_cli  # noqa: E402

BIN = sys.argv[1]
work = tempfile.mkdtemp(prefix="dc-stream-")
data = os.path.join(work, "data")


def mint(role, site=""):
    args = ["create", "--role", role, "--name", f"{role}-{site or 'all'}"] + (["--site", site] if site else [])
    rc, tok, err = token_cli(BIN, data, *args)
    assert rc == 0, err
    return tok


class Stream:
    """A raw socket reading one event stream; events are parsed as they arrive."""

    def __init__(self, port, path, token, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        self.buf = b""

    def head(self, timeout=5):
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1]) if lines[0] else 0
        return status, {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}

    def event(self, timeout):
        """The next data event (dict), or None at the end of the stream or after `timeout` s."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" in self.buf:
                ev, _, self.buf = self.buf.partition(b"\n\n")
                for line in ev.decode().split("\n"):
                    if line.startswith("data:"):
                        return json.loads(line[5:])
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk

    def closed(self, timeout):
        """True when the server closes the connection within `timeout` s."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                return False
            except OSError:
                return True
        return False


os.makedirs(data)
srv = Server(BIN, data)
root = srv.admin_token
read_a, read_b, writer = mint("read", "site-a"), mint("read", "site-b"), mint("write")
KEY_A, KEY_B = "meter,id=m1,site=site-a value", "meter,id=m1,site=site-b value"


def write(lines):
    st, _, body = srv.request("POST", "/write?precision=ms", body="\n".join(lines).encode(), token=writer)
    return st


# A subscriber receives a written point within 1 s, with its series, time and value.
s = Stream(srv.port, "/api/v1/stream?site=site-a&epoch=ms", read_a)
st, h = s.head()
check(st == 200, f"stream answers 200 ({st})")
check(h.get("content-type", "").startswith("text/event-stream"), f"Content-Type text/event-stream ({h.get('content-type')})")
check(h.get("cache-control") == "no-cache", f"Cache-Control: no-cache ({h.get('cache-control')})")
now_ms = int(time.time() * 1000)
t0 = time.time()
check(write([f"meter,id=m1,site=site-b value=7 {now_ms}", f"meter,id=m1,site=site-a value=42.5 {now_ms}"]) == 204, "points written")
ev = s.event(1.0)
latency = time.time() - t0
check(ev == {"series": KEY_A, "t": now_ms, "v": 42.5}, f"site A's point arrives within 1 s ({ev}, {latency * 1000:.0f} ms)")
print(f"write to event latency: {latency * 1000:.1f} ms")
ev = s.event(0.5)
check(ev is None, f"site B's point is not sent to site A's stream ({ev})")

# Scope: a token of site B may not open site A's stream; a bad site id is a 400.
st, _, body = srv.request("GET", "/api/v1/stream?site=site-a", token=read_b)
check(st == 403, f"site B's token refused for site A's stream ({st} {body[:160]!r})")
st, _, body = srv.request("GET", "/api/v1/stream?site=Bad%20Site", token=root)
check(st == 400, f"an invalid site id is refused ({st} {body[:160]!r})")
st, _, body = srv.request("GET", "/api/v1/stream?site=site-a&seconds=0", token=root)
check(st == 400 and b"seconds" in body, f"seconds=0 refused naming the parameter ({st} {body[:160]!r})")

# seconds=N ends the stream: the harness's plain request returns.
t0 = time.time()
st, h, body = srv.request("GET", "/api/v1/stream?site=site-a&seconds=1", token=read_a)
check(st == 200 and 0.9 <= time.time() - t0 < 5, f"seconds=1 ends the stream after ~1 s ({st}, {time.time() - t0:.2f} s)")

# A consumer that never reads: writes keep their pace, the stream is dropped (closed).
slow = Stream(srv.port, "/api/v1/stream?site=site-a", read_a, rcvbuf=4096)
slow.head()
times = []
for i in range(150):  # 75,000 events of ~80 bytes: more than the socket buffers and the queue
    batch = [f"meter,id=m{j},site=site-a value={i}.{j:04d} {now_ms + i * 1000 + j}" for j in range(500)]
    t = time.time()
    check_st = write(batch)
    times.append(time.time() - t)
    if check_st != 204:
        check(False, f"write {i} answered {check_st}")
        break
times.sort()
check(times[-1] < 1.0, f"writes not slowed by a stalled reader (max {times[-1] * 1000:.0f} ms, median {times[len(times) // 2] * 1000:.1f} ms)")
print(f"write latency with a stalled stream: median {times[len(times) // 2] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")
# After its queue overflowed, the slow stream is closed once what is in flight drains.
slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
check(slow.closed(10), "the stalled stream was dropped (connection closed)")
s.sock.close()
s3 = Stream(srv.port, "/api/v1/stream?site=site-a&epoch=ms", read_a)
s3.head()
check(write([f"meter,id=m9,site=site-a value=1 {now_ms + 999_000}"]) == 204, "a point written after the drop")
ev = s3.event(1.0)
check(ev is not None and ev["series"] == "meter,id=m9,site=site-a value", f"a new stream gets it ({ev})")

# At most 64 streams: the 65th is refused with 503 until one closes.
many = []
for _ in range(63):
    m = Stream(srv.port, "/api/v1/stream?site=site-a", read_a)
    m.head()
    many.append(m)
st, _, body = srv.request("GET", "/api/v1/stream?site=site-a&seconds=1", token=read_a)
check(st == 503 and b"too many live streams" in body, f"a 65th stream is refused with 503 ({st} {body[:120]!r})")
for m in many:
    m.sock.close()
ok = False
for _ in range(50):
    st, _, body = srv.request("GET", "/api/v1/stream?site=site-a&seconds=1", token=read_a)
    if st == 200:
        ok = True
        break
    time.sleep(0.1)
check(ok, f"streams are accepted again once clients leave ({st})")

# Server stop ends open streams promptly.
s2 = Stream(srv.port, "/api/v1/stream?site=site-a", read_a)
s2.head()
t0 = time.time()
code = srv.terminate(20)
check(code == 0, f"server stops with exit 0 while streams are open ({code})")
check(s2.closed(2) and time.time() - t0 < 15, f"server stop closed the stream ({time.time() - t0:.2f} s)")
finish()
