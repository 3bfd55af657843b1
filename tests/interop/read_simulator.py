#!/usr/bin/env python3
"""Reads one simulated turbine with a third-party Modbus stack (pymodbus 3.x), so trueyaw's
simulator is checked against a client it did not write.

usage: read_simulator.py HOST PORT [UNIT_ID]

Reads input registers 0-7 (function 4) and holding registers 100-101 (function 3), decodes
them per the generic register map of docs/domain.md, and prints one JSON object:
{"wind_speed_ms": ..., "vane_deg": ..., "nacelle_deg": ..., "power_kw": ..., "rotor_rpm": ...,
 "pitch_deg": ..., "state": ..., "yaw_offset_deg": ..., "correction_enable": ..., "raw": [...]}
A value the device reports as missing (its sentinel, or NaN) is null. Exits non-zero with a
message on stderr if the device cannot be read.
"""
import json
import math
import struct
import sys

from pymodbus.client import ModbusTcpClient


def u16(words, i, scale, missing=0xFFFF):
    w = words[i]
    return None if w == missing else w * scale


def i16(words, i, scale, missing=-32768):
    v = struct.unpack(">h", struct.pack(">H", words[i]))[0]
    return None if v == missing else v * scale


def f32(words, i):
    # High word first, as in the generic map.
    v = struct.unpack(">f", struct.pack(">HH", words[i], words[i + 1]))[0]
    return None if math.isnan(v) else v


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    host, port = sys.argv[1], int(sys.argv[2])
    unit = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    client = ModbusTcpClient(host, port=port, timeout=3, retries=1)
    if not client.connect():
        sys.exit(f"cannot connect to {host}:{port}")
    try:
        inputs = client.read_input_registers(0, count=8, device_id=unit)
        holding = client.read_holding_registers(100, count=2, device_id=unit)
    finally:
        client.close()
    for name, rr in (("input registers 0-7", inputs), ("holding registers 100-101", holding)):
        if rr.isError():
            sys.exit(f"reading {name} failed: {rr}")
    w, h = inputs.registers, holding.registers
    print(
        json.dumps(
            {
                "wind_speed_ms": u16(w, 0, 0.01),
                "vane_deg": i16(w, 1, 0.01),
                "nacelle_deg": u16(w, 2, 0.1),
                "power_kw": f32(w, 3),
                "rotor_rpm": u16(w, 5, 0.01),
                "pitch_deg": i16(w, 6, 0.01),
                "state": u16(w, 7, 1),
                "yaw_offset_deg": i16(h, 0, 0.01, missing=None),
                "correction_enable": h[1],
                "raw": w,
            }
        )
    )


if __name__ == "__main__":
    main()
