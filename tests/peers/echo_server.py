#!/usr/bin/env python3
"""A WebSocket echo server built on the Python `websockets` library.

Used by the wsprobe integration tests as a real, independent peer
(tests/cli/support/python.rs starts it).

- Binds 127.0.0.1 on a port the OS picks and prints that port, alone, on the
  first line of stdout (flushed).
- Then prints one line per accepted WebSocket connection:
  `connection <request path>` (flushed), so a test can check it was reached.
- Echoes text messages as text and binary messages as binary, with no message
  size limit.
- Exits when stdin reaches end of file (the test closes its end or dies), on
  SIGTERM/SIGINT, or when killed: it never outlives the test that started it.
- permessage-deflate is accepted with the library's defaults; the options
  --server-no-context-takeover, --client-no-context-takeover,
  --server-max-window-bits N and --client-max-window-bits N impose those
  parameters instead, and --no-compression refuses it.
- --port N binds that port instead (a test restarting the server where a
  client will reconnect).
"""

import argparse
import asyncio
import signal
import sys
import threading

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


async def echo(ws: ServerConnection) -> None:
    print(f"connection {ws.request.path}", flush=True)
    try:
        async for message in ws:
            # str is sent as a text frame, bytes as a binary frame.
            await ws.send(message)
    except ConnectionClosed:
        pass


def watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Future) -> None:
    """Block on stdin until EOF, then ask the event loop to stop."""
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, ValueError):
        pass
    loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--no-compression", action="store_true")
    p.add_argument("--server-no-context-takeover", action="store_true")
    p.add_argument("--client-no-context-takeover", action="store_true")
    p.add_argument("--server-max-window-bits", type=int)
    p.add_argument("--client-max-window-bits", type=int)
    return p.parse_args(argv)


def compression_options(a: argparse.Namespace) -> dict:
    if a.no_compression:
        return {"compression": None}
    custom = (a.server_no_context_takeover or a.client_no_context_takeover
              or a.server_max_window_bits or a.client_max_window_bits)
    if not custom:
        return {}
    factory = ServerPerMessageDeflateFactory(
        server_no_context_takeover=a.server_no_context_takeover,
        client_no_context_takeover=a.client_no_context_takeover,
        server_max_window_bits=a.server_max_window_bits,
        client_max_window_bits=a.client_max_window_bits,
    )
    return {"compression": None, "extensions": [factory]}


async def main() -> None:
    args = parse(sys.argv[1:])
    options = compression_options(args)
    loop = asyncio.get_running_loop()
    stop: asyncio.Future = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    threading.Thread(target=watch_stdin, args=(loop, stop), daemon=True).start()

    async with serve(echo, "127.0.0.1", args.port, max_size=None, **options) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
