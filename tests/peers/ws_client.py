#!/usr/bin/env python3
"""A WebSocket client built on the Python `websockets` library, for the
wsprobe listen-mode tests (tests/cli/listen.rs): a real, independent client.

usage: ws_client.py URL [--no-compression] [--subprotocol NAME]...
                        [--text T]... [--binary-hex H]... [--expect N]

Connects (10 s open timeout), sends the --text and --binary-hex messages in
the order given, waits (10 s each) for N messages, then closes with 1000 and
prints one JSON object on stdout: subprotocol, extensions (the response's
Sec-WebSocket-Extensions, or null) and received (a list of {type, data},
binary as hex). Exits 1 with the error on stderr otherwise.
"""

import argparse
import asyncio
import json
import sys

from websockets.asyncio.client import connect


class Ordered(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        items = getattr(namespace, "messages", None) or []
        if self.dest == "text":
            items.append(values)
        else:
            items.append(bytes.fromhex(values))
        namespace.messages = items


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--no-compression", action="store_true")
    p.add_argument("--subprotocol", action="append", default=[])
    p.add_argument("--text", action=Ordered)
    p.add_argument("--binary-hex", action=Ordered)
    p.add_argument("--expect", type=int, default=0)
    a = p.parse_args()
    async with connect(
        a.url,
        compression=None if a.no_compression else "deflate",
        subprotocols=a.subprotocol or None,
        open_timeout=10,
        max_size=None,
    ) as ws:
        for m in getattr(a, "messages", None) or []:
            await ws.send(m)
        got = []
        for _ in range(a.expect):
            m = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(m, str):
                got.append({"type": "text", "data": m})
            else:
                got.append({"type": "binary", "data": m.hex()})
        result = {
            "subprotocol": ws.subprotocol,
            "extensions": ws.response.headers.get("Sec-WebSocket-Extensions"),
            "received": got,
        }
        await ws.close(1000, "done")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # report, do not hang
        print(f"ws_client.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
