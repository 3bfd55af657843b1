#!/usr/bin/env python3
"""Polls trueyaw's SCADA Modbus server with a third-party Modbus stack (pymodbus 3.x), as a farm
controller would, so the server is checked against a client it did not write.

usage: scada_client.py HOST PORT UNKNOWN_UNIT UNIT [UNIT...]

For each UNIT reads input registers 0-6 (function 4). Then makes three requests that must be
refused: a read on UNKNOWN_UNIT, a read of registers 5-7 on the first UNIT (past the end of
the map) and a write of holding register 0 (function 6) on the first UNIT. Prints one JSON
object:
{"units": {"1": {"raw": [...], "corrected_relative_deg": ..., ...}, ...},
 "unknown_unit": CODE, "out_of_range": CODE, "write": CODE}
where CODE is the Modbus exception code received, or null if the request was answered normally.
Missing values (the sentinels -32768 and 65535) decode to null. Exits non-zero with a message on
stderr when the server cannot be reached or a read of a configured unit fails.
"""
import json
import struct
import sys

from pymodbus.client import ModbusTcpClient


def i16(word, scale):
    v = struct.unpack(">h", struct.pack(">H", word))[0]
    return None if v == -32768 else v * scale


def u16(word, scale):
    return None if word == 0xFFFF else word * scale


def decode(words):
    return {
        "raw": words,
        "corrected_relative_deg": i16(words[0], 0.01),
        "corrected_absolute_deg": u16(words[1], 0.01),
        "yaw_offset_deg": i16(words[2], 0.01),
        "ci95_half_width_deg": u16(words[3], 0.01),
        "model_version": u16(words[4], 1),
        "reading_age_s": u16(words[5], 1),
        "status": words[6],
    }


def exception_code(rr):
    """The exception code of a refused request, None when it was answered normally."""
    return rr.exception_code if rr.isError() else None


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    host, port, unknown = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    units = [int(u) for u in sys.argv[4:]]
    client = ModbusTcpClient(host, port=port, timeout=3, retries=0)
    if not client.connect():
        sys.exit(f"cannot connect to {host}:{port}")
    try:
        out = {"units": {}}
        for unit in units:
            rr = client.read_input_registers(0, count=7, device_id=unit)
            if rr.isError():
                sys.exit(f"reading input registers 0-6 of unit {unit} failed: {rr}")
            out["units"][str(unit)] = decode(rr.registers)
        out["unknown_unit"] = exception_code(client.read_input_registers(0, count=7, device_id=unknown))
        out["out_of_range"] = exception_code(client.read_input_registers(5, count=3, device_id=units[0]))
        out["write"] = exception_code(client.write_register(0, 1, device_id=units[0]))
    finally:
        client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
