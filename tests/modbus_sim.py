#!/usr/bin/python3
"""A Modbus device simulator for the poller tests (pymodbus 3.0, Debian's python3-pymodbus).

  modbus_sim.py --tcp PORT      Modbus TCP on 127.0.0.1:PORT
  modbus_sim.py --rtu DEVICE    Modbus RTU on a serial device (e.g. one end of a socat pty pair)

Unit 1 serves CHANGING values derived from k = floor(unix time * 10), updated every 20 ms in
one step (a reader sees one k for all of them):
  holding 0-1  float32 ABCD  (k % 100000) * 0.5
  holding 2-3  uint32  CDAB  k % 2**32
  holding 4-7  int64   DCBA  -k * 1000
  input   0    uint16        k % 65536
  coil    0    bool          k % 2
Unit 2 holds only 4 holding registers, so reading holding 0-7 gets exception 02 (illegal data
address). Prints "ready" on stdout once serving.
"""
import argparse
import asyncio
import logging
import struct
import sys
import time

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer


def words(b):
    return [(b[i] << 8) | b[i + 1] for i in range(0, len(b), 2)]


def holding_for(k):
    f32 = words(struct.pack(">f", (k % 100000) * 0.5))  # ABCD
    u32 = words(struct.pack(">I", k % 2**32))[::-1]  # CDAB: words swapped
    i64 = words(struct.pack(">q", -k * 1000)[::-1])  # DCBA: all bytes reversed
    return f32 + u32 + i64


def block(n):
    return ModbusSequentialDataBlock(0, [0] * n)


async def update(unit):
    while True:
        k = int(time.time() * 10)
        unit.setValues(3, 0, holding_for(k))
        unit.setValues(4, 0, [k % 65536])
        unit.setValues(1, 0, [k % 2])
        await asyncio.sleep(0.02)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", type=int)
    ap.add_argument("--rtu")
    ap.add_argument("--baud", type=int, default=19200)
    a = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    good = ModbusSlaveContext(hr=block(16), ir=block(16), co=block(16), di=block(16),
                              zero_mode=True)
    bad = ModbusSlaveContext(hr=block(4), ir=block(4), co=block(4), di=block(4), zero_mode=True)
    context = ModbusServerContext(slaves={1: good, 2: bad}, single=False)
    asyncio.get_running_loop().create_task(update(good))
    print("ready", flush=True)
    if a.tcp:
        await StartAsyncTcpServer(context, address=("127.0.0.1", a.tcp))
    else:
        await StartAsyncSerialServer(context, framer=ModbusRtuFramer, port=a.rtu,
                                     baudrate=a.baud, bytesize=8, parity="N", stopbits=1,
                                     timeout=0.05)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
