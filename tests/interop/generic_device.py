#!/usr/bin/env python3
"""A third-party Modbus TCP device (pymodbus) serving the generic register map of
docs/domain.md with fixed values, so trueyaw's poller is tested against a Modbus stack it
did not write.

usage: generic_device.py PORT '{"wind_speed_ms": 7.5, "vane_deg": -3.2, ...}'
Prints "ready" on stdout once listening; runs until killed.
"""
import asyncio
import json
import struct
import sys

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


def words(values):
    """Encode engineering values as input registers 0-7 of the generic map."""
    u16 = lambda v: int(round(v)) & 0xFFFF
    power_hi, power_lo = struct.unpack(">HH", struct.pack(">f", values["power_kw"]))
    return [
        u16(values["wind_speed_ms"] / 0.01),
        u16(values["vane_deg"] / 0.01),
        u16(values["nacelle_deg"] / 0.1),
        power_hi,
        power_lo,
        u16(values["rotor_rpm"] / 0.01),
        u16(values["pitch_deg"] / 0.01),
        u16(values["state"]),
    ]


async def main():
    port = int(sys.argv[1])
    values = json.loads(sys.argv[2])
    device = SimDevice(
        id=1,
        simdata=(
            [SimData(address=0, count=1, values=False, datatype=DataType.BITS)],
            [SimData(address=0, count=1, values=False, datatype=DataType.BITS)],
            [SimData(address=100, values=[0, 0], datatype=DataType.REGISTERS)],
            [SimData(address=0, values=words(values), datatype=DataType.REGISTERS)],
        ),
    )
    server = ModbusTcpServer(context=device, address=("127.0.0.1", port))
    task = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0.3)
    print("ready", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(main())
