"""A Modbus test peer on pymodbus 3.0 (Debian's python3-pymodbus; run with /usr/bin/python3).

Serves Modbus TCP, RTU framing over TCP, or RTU on a serial path (e.g. one end of a socat pty
pair) for several slave ids, and takes orders on stdin as JSON lines, answering each on stdout:

  -> {"id": 1, "op": "set", "unit": 1, "area": "hr", "address": 0, "values": [1, 2]}
  <- {"id": 1, "ok": true, "result": null}

Operations:
  set      unit, area (co|di|ir|hr), address (0-based, as on the wire), values
  get      unit, area, address, count                        -> list of numbers (bits as 0/1)
  silent   unit, silent (bool): a silent slave never answers (as if absent from the line)
  unreachable  unit, unreachable (bool): answer exception 11 for the slave, as a gateway does
           when the device behind it does not respond
  holes    unit, area, ranges [[first, last], ...]: addresses answering exception 2
  requests                                                   -> [{unit, fc, address, count}, ...]
  clear_requests
  ping

On start it prints {"event": "ready", "port": N} (port 0 for serial). Every request the server
executes is logged, so tests can count the requests a driver's plan really sends.
"""
import argparse
import asyncio
import json
import logging
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext
from pymodbus.datastore.store import ModbusSequentialDataBlock
from pymodbus.exceptions import NoSuchSlaveException
from pymodbus.pdu import ExceptionResponse, ModbusExceptions
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

AREAS = {"co": "c", "di": "d", "ir": "i", "hr": "h"}
SIZE = 65536


class HoleyBlock(ModbusSequentialDataBlock):
    """A full address space in which some addresses do not exist (validate fails there)."""

    def __init__(self):
        super().__init__(0, [0] * SIZE)
        self.holes = []

    def validate(self, address, count=1):
        if not super().validate(address, count):
            return False
        last = address + count - 1
        return all(last < first or address > end for first, end in self.holes)


class PeerSlave(ModbusSlaveContext):
    """One slave id: four holey blocks, zero-based addressing, and a log of what was asked."""

    def __init__(self, unit, log):
        super().__init__(di=HoleyBlock(), co=HoleyBlock(), ir=HoleyBlock(), hr=HoleyBlock(), zero_mode=True)
        self.unit = unit
        self.log = log

    def validate(self, fc_as_hex, address, count=1):
        # Every read and write request calls validate exactly once: the request log.
        self.log.append({"unit": self.unit, "fc": fc_as_hex, "address": address, "count": count})
        return super().validate(fc_as_hex, address, count)


class PeerContext(ModbusServerContext):
    """The slaves, some of which may be silent: a silent one is 'missing' and missing ones are ignored."""

    def __init__(self, units, log):
        super().__init__(slaves={u: PeerSlave(u, log) for u in units}, single=False)
        self.silent = set()
        self.unreachable = set()

    def gateway(self, response):
        """The server's response manipulator: a gateway's exception 11 for unreachable slaves."""
        if response.unit_id in self.unreachable:
            answer = ExceptionResponse(response.function_code & 0x7F, ModbusExceptions.GatewayNoResponse)
            answer.transaction_id = response.transaction_id
            answer.unit_id = response.unit_id
            return answer, False
        return response, False

    def slave(self, unit):
        return self._slaves[unit]

    def __getitem__(self, unit):
        if unit in self.silent:
            raise NoSuchSlaveException(f"slave {unit} is silent")
        return super().__getitem__(unit)

    def slaves(self):
        return [u for u in self._slaves if u not in self.silent]


def handle(context, log, msg):
    op = msg.get("op")
    if op == "ping":
        return "pong"
    if op == "requests":
        return list(log)
    if op == "clear_requests":
        log.clear()
        return None
    unit = int(msg["unit"])
    if unit not in context._slaves:  # pylint: disable=protected-access
        raise ValueError(f"no slave {unit}")
    slave = context.slave(unit)
    if op in ("silent", "unreachable"):
        which = context.silent if op == "silent" else context.unreachable
        if msg[op]:
            which.add(unit)
        else:
            which.discard(unit)
        return None
    store = slave.store[AREAS[msg["area"]]]
    if op == "set":
        values = [int(v) for v in msg["values"]]
        if msg["area"] in ("co", "di"):
            values = [bool(v) for v in values]
        elif any(v < 0 or v > 0xFFFF for v in values):
            raise ValueError("register values are 0..65535")
        store.values[msg["address"] : msg["address"] + len(values)] = values
        return None
    if op == "get":
        return [int(v) for v in store.values[msg["address"] : msg["address"] + msg["count"]]]
    if op == "holes":
        store.holes = [(int(a), int(b)) for a, b in msg["ranges"]]
        return None
    raise ValueError(f"unknown op {op!r}")


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def control_loop(context, log):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return  # stdin closed: the test is gone, so are we
        line = line.strip()
        if not line:
            continue
        msg = {}
        try:
            msg = json.loads(line)
            reply({"id": msg.get("id"), "ok": True, "result": handle(context, log, msg)})
        except Exception as exc:  # pylint: disable=broad-except
            reply({"id": msg.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"})


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["tcp", "rtu-over-tcp", "rtu"], default="tcp")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serial", help="serial path for --mode rtu")
    parser.add_argument("--units", default="1", help="comma-separated slave ids")
    parser.add_argument("--verbose", action="store_true", help="let pymodbus log to stderr")
    args = parser.parse_args()
    # pymodbus logs every ignored request to a silent slave as an error: keep stderr for real trouble.
    logging.getLogger("pymodbus").setLevel(logging.DEBUG if args.verbose else logging.CRITICAL)

    log = []
    context = PeerContext([int(u) for u in args.units.split(",")], log)
    if args.mode == "rtu":
        server = ModbusSerialServer(
            context,
            framer=ModbusRtuFramer,
            port=args.serial,
            baudrate=115200,
            ignore_missing_slaves=True,
            response_manipulator=context.gateway,
        )
        await server.start()
        if server.transport is None:
            raise SystemExit(f"cannot open serial port {args.serial}")
        reply({"event": "ready", "port": 0})
        await control_loop(context, log)
        await server.shutdown()
        return
    framer = ModbusSocketFramer if args.mode == "tcp" else ModbusRtuFramer
    server = ModbusTcpServer(
        context,
        framer=framer,
        address=(args.host, args.port),
        allow_reuse_address=True,
        ignore_missing_slaves=True,
        response_manipulator=context.gateway,
    )
    serving = asyncio.create_task(server.serve_forever())
    await asyncio.wait([server.serving, serving], return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        serving.result()  # raises the bind error
        raise SystemExit("the server stopped before it served")
    port = server.server.sockets[0].getsockname()[1]
    reply({"event": "ready", "port": port})
    await control_loop(context, log)
    await server.server_close()
    serving.cancel()


if __name__ == "__main__":
    asyncio.run(main())
