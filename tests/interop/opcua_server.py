#!/usr/bin/env python3
"""A third-party OPC UA server (asyncua, the FreeOpcUa Python stack) serving the simulator's
node naming of docs/domain.md with fixed values, so trueyaw's OPC UA reader is tested
against a stack it did not write.

usage: opcua_server.py PORT TURBINE '{"wind_speed_ms": 7.5, "vane_deg": null, ...}'

Serves ns=2;s=<TURBINE>.<Field> (Double, State as UInt16) on
opc.tcp://127.0.0.1:PORT/trueyaw/interop/ with security None and anonymous login only.
A null value is served with status BadSensorFailure and no value. Prints "ready" on stdout
once listening; runs until killed.
"""
import asyncio
import json
import logging
import sys

from asyncua import Server, ua

NAMESPACE_URI = "urn:trueyaw:interop:turbines"
# Signal names (config, database) -> OPC UA field names, as in trueyaw's Signal::opcua_field.
FIELDS = {
    "wind_speed_ms": "WindSpeed",
    "vane_deg": "Vane",
    "nacelle_deg": "NacellePosition",
    "power_kw": "Power",
    "rotor_rpm": "RotorSpeed",
    "pitch_deg": "Pitch",
    "state": "State",
}


async def main():
    port, turbine, values = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    # asyncua logs every connection at INFO and warns about the missing certificate.
    logging.basicConfig(level=logging.ERROR)

    server = Server()
    await server.init()
    # A path on purpose: trueyaw is configured without one and must use the advertised path.
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/trueyaw/interop/")
    server.set_server_name("trueyaw interop peer (asyncua)")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    server.set_identity_tokens([ua.AnonymousIdentityToken])
    ns = await server.register_namespace(NAMESPACE_URI)
    assert ns == 2, f"namespace index {ns}, expected 2"

    folder = await server.nodes.objects.add_folder(ua.NodeId(turbine, ns), turbine)
    for signal, field in FIELDS.items():
        node_id = ua.NodeId(f"{turbine}.{field}", ns)
        value = values.get(signal)
        variant_type = ua.VariantType.UInt16 if signal == "state" else ua.VariantType.Double
        initial = ua.Variant(0, variant_type) if signal == "state" else ua.Variant(0.0, variant_type)
        node = await folder.add_variable(node_id, field, initial)
        if value is None:
            bad = ua.DataValue(StatusCode=ua.StatusCode(ua.StatusCodes.BadSensorFailure))
            await server.write_attribute_value(node.nodeid, bad)
        else:
            cast = int(value) if signal == "state" else float(value)
            await node.write_value(ua.Variant(cast, variant_type))

    async with server:
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
