#!/usr/bin/python3
"""A DL/T 645-2007 bus of meters for the poller tests (stdlib only).

  dlt645_sim.py --pty DEVICE --meter 000000000001 --meter 000000000002 [--dead 000000000009]
  dlt645_sim.py --tcp PORT --meter 123456789012        (a transparent serial-to-TCP server)
  options: --slow ADDRESS:MS (answer that meter after MS ms), --log FILE (JSON lines: what
           was sent), --error-di DI (answer 0xD1 for it although it is known)

Each meter answers read-data (control 0x11 -> 0x91) for the energy registers 00 TT RR 00
(TT 00..0A, RR 00..3F: tariff) and the instantaneous values 02 01..03 0P 00 (voltage, current,
active power; P 00 total, 01..03 phase) with CHANGING values: energies grow with time
(E = base + 0.01 * floor(unix time * 10)), power and voltage wobble. Any other DI gets the
error reply (control 0xD1, error byte 0x02 "no data requested"). Read-address (0x13 to
AA..AA) is answered (0x93) only when exactly one meter is served. Frames for other addresses,
and everything for a --dead address, are ignored: a dead meter never answers.
Prints "ready" on stdout once serving; --log gets {"address","di","value","t"} per answer.

Frames checked against published examples:
  * the read request of the standard's annex, as quoted in docs/protocols/dlt645.md and
    src/ingest/dlt645.h: FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16
    (self_check() below rebuilds it byte for byte);
  * control codes 0x11/0x91 (read data), 0x13/0x93 (read address) as listed in the public
    Java implementation TouchFishMan/test DL645Constant.java, and the DI table of
    coyool/XXOO_000 dd645_2007.c (0x02030000 total active power, 0x02010100 phase A voltage,
    0x02020100 phase A current, 0x00010100.. tariff energies).
"""
import argparse
import json
import os
import selectors
import socket
import sys
import time

OFFSET = 0x33


def address_bytes(text):
    """'000000000001' -> 6 bytes BCD, least significant first."""
    return bytes(int(text[i:i + 2], 16) for i in range(10, -1, -2))


def address_text(b):
    return "".join(f"{x:02X}" for x in reversed(b))


def encode(addr, control, data, wakeup=2):
    body = bytes([0x68]) + addr + bytes([0x68, control, len(data)]) + bytes((d + OFFSET) & 0xFF for d in data)
    return b"\xFE" * wakeup + body + bytes([sum(body) & 0xFF, 0x16])


def bcd(value, nbytes, decimals, signed):
    n = int(round(abs(value) * 10 ** decimals))
    digits = f"{n:0{2 * nbytes}d}"[-2 * nbytes:]
    out = bytes(int(digits[i:i + 2], 16) for i in range(2 * nbytes - 2, -1, -2))  # LSB first
    if signed and value < 0:
        out = out[:-1] + bytes([out[-1] | 0x80])
    return out


def item(di, meter_index, now):
    """(raw bytes, value) for a DI, or None (unknown: error reply)."""
    k = int(now * 10)
    top, typ, sub, month = (di >> 24) & 0xFF, (di >> 16) & 0xFF, (di >> 8) & 0xFF, di & 0xFF
    if top == 0x00 and typ <= 0x0A and sub <= 0x3F and month == 0:
        value = round(1000 * (meter_index + 1) + 100 * typ + 10 * sub + 0.01 * (k % 1000000), 2)
        return bcd(value, 4, 2, typ in (0, 3, 4)), value
    if top == 0x02 and month == 0:
        phase = sub
        if typ == 0x01 and 1 <= phase <= 3:
            value = round(220 + phase + (k % 10) * 0.1, 1)
            return bcd(value, 2, 1, False), value
        if typ == 0x02 and 1 <= phase <= 3:
            value = round(5 + phase + (k % 100) * 0.001, 3)
            return bcd(value, 3, 3, True), value
        if typ == 0x03 and phase <= 3:
            value = round(12.5 + phase + (k % 100) * 0.0001, 4)
            return bcd(value, 3, 4, True), value
    return None


def split_frames(buf):
    """Complete, valid frames in buf (bytearray, consumed): [(addr, control, data)]."""
    frames = []
    while True:
        start = buf.find(b"\x68")
        if start < 0:
            buf.clear()
            return frames
        del buf[:start]
        if len(buf) < 10:
            return frames
        if buf[7] != 0x68:
            del buf[:1]
            continue
        n = buf[9]
        if len(buf) < 12 + n:
            return frames
        body = bytes(buf[:10 + n])
        if buf[10 + n] != sum(body) & 0xFF or buf[11 + n] != 0x16:
            del buf[:1]
            continue
        frames.append((body[1:7], body[8], bytes((d - OFFSET) & 0xFF for d in body[10:10 + n])))
        del buf[:12 + n]


def self_check():
    expect = bytes.fromhex("FEFEFEFE68010000000000681104333334" "33B316")
    got = encode(address_bytes("000000000001"), 0x11, bytes([0x00, 0x00, 0x01, 0x00]), wakeup=4)
    assert got == expect, got.hex()


class Bus:
    def __init__(self, meters, dead, slow, error_dis, log):
        self.meters = [address_bytes(m) for m in meters]
        self.dead = {address_bytes(d) for d in dead}
        self.slow = slow
        self.error_dis = error_dis
        self.log = log
        self.buf = bytearray()

    def answers(self, data):
        self.buf += data
        out = []
        for addr, control, payload in split_frames(self.buf):
            reply = self.answer(addr, control, payload)
            if reply:
                out.append(reply)
        return out

    def answer(self, addr, control, payload):
        now = time.time()
        if control == 0x13 and addr == b"\xAA" * 6:
            if len(self.meters) != 1:
                return None  # several meters would all answer at once: the simulator stays silent
            a = self.meters[0]
            self.record(a, None, address_text(a), now)
            return encode(a, 0x93, a)
        if control != 0x11 or addr not in self.meters or addr in self.dead or len(payload) != 4:
            return None
        delay = self.slow.get(address_text(addr), 0)
        if delay:
            time.sleep(delay / 1000)
        di = int.from_bytes(payload, "little")
        found = None if di in self.error_dis else item(di, self.meters.index(addr), now)
        if found is None:
            self.record(addr, di, "error 02", now)
            return encode(addr, 0xD1, bytes([0x02]))
        raw, value = found
        self.record(addr, di, value, now)
        return encode(addr, 0x91, payload + raw)

    def record(self, addr, di, value, now):
        if self.log:
            self.log.write(json.dumps({"address": address_text(addr),
                                       "di": None if di is None else f"{di:08X}",
                                       "value": value, "t": now}) + "\n")
            self.log.flush()


def serve_pty(path, bus):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    print("ready", flush=True)
    while True:
        data = os.read(fd, 512)
        for reply in bus.answers(data):
            os.write(fd, reply)


def serve_tcp(port, bus):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.fileobj is srv:
                conn, _ = srv.accept()
                sel.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            try:
                data = conn.recv(512)
            except OSError:
                data = b""
            if not data:
                sel.unregister(conn)
                conn.close()
                continue
            for reply in bus.answers(data):
                conn.sendall(reply)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pty")
    ap.add_argument("--tcp", type=int)
    ap.add_argument("--meter", action="append", default=[])
    ap.add_argument("--dead", action="append", default=[])
    ap.add_argument("--slow", action="append", default=[])
    ap.add_argument("--error-di", action="append", default=[])
    ap.add_argument("--log")
    a = ap.parse_args()
    self_check()
    slow = {s.split(":")[0]: int(s.split(":")[1]) for s in a.slow}
    log = open(a.log, "a") if a.log else None
    bus = Bus(a.meter, a.dead, slow, {int(d, 16) for d in a.error_di}, log)
    if a.pty:
        serve_pty(a.pty, bus)
    elif a.tcp:
        serve_tcp(a.tcp, bus)
    else:
        sys.exit("dlt645_sim.py: give --pty DEVICE or --tcp PORT")


if __name__ == "__main__":
    main()
