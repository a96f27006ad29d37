"""Helpers for the black-box server tests: start the real dualcarbon binary on an ephemeral
port of 127.0.0.1, talk HTTP to it, stop it. Python 3 standard library only."""
import base64
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

FAILURES = []


def check(cond, what):
    if cond:
        print(f"  ok   {what}")
    else:
        print(f"  FAIL {what}")
        FAILURES.append(what)
    return cond


def finish():
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed:")
        for f in FAILURES:
            print(f"  - {f}")
        sys.exit(1)
    print("all checks passed")


class Server:
    """A running `dualcarbon serve`. stdout is read for the listening line and the admin token."""

    def __init__(self, binary, data_dir, args=(), expect_token=None, timeout=30):
        self.binary = binary
        self.data_dir = data_dir
        self.stderr_path = os.path.join(tempfile.gettempdir(), f"dc-server-{os.getpid()}-{time.time_ns()}.log")
        self.stderr = open(self.stderr_path, "w")
        cmd = [binary, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.admin_token = None
        self.port = None
        deadline = time.time() + timeout
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"admin token .*: (dc_\S+)", line)
            if m:
                self.admin_token = m.group(1)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            self.proc.wait(10)
            raise RuntimeError(f"server did not start: stdout={lines!r} stderr={self.log()!r}")
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None, conn=None):
        """Returns (status, headers dict (lower-case names), body bytes)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def json(self, method, path, **kw):
        status, headers, data = self.request(method, path, **kw)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = {"_raw": data.decode("utf-8", "replace")}
        return status, doc

    def terminate(self, timeout=30):
        """SIGTERM; returns the exit code (None if it did not exit in time, then kills)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def alive(self):
        return self.proc.poll() is None


def token_cli(binary, data_dir, *args):
    r = subprocess.run([binary, "token", *args, "--data-dir", data_dir], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def q(**params):
    """Query string from keyword params; list values repeat the name."""
    return urllib.parse.urlencode(params, doseq=True)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def wait_until(fn, timeout=5.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(step)
    return fn()
