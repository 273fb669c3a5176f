"""Interoperability: Python's `websockets` package against ws-svc.

Usage: python3 ws_interop.py ws://127.0.0.1:PORT

Echo, then a room with two clients that hear each other, then the raw echo. Any
mismatch raises.
"""

import asyncio
import json
import sys

import websockets

base = sys.argv[1].rstrip("/")


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


async def main():
    async with websockets.connect(f"{base}/api/ws/echo/") as ws:
        await ws.send(json.dumps({"message": "hello from python"}))
        check("echo", json.loads(await asyncio.wait_for(ws.recv(), 10)), {"message": "hello from python"})

    async with websockets.connect(f"{base}/api/ws/chat/pyroom/") as alice, websockets.connect(f"{base}/api/ws/chat/pyroom/") as bob:
        await alice.send(json.dumps({"message": "hi bob"}))
        for name, ws in [("alice", alice), ("bob", bob)]:
            got = json.loads(await asyncio.wait_for(ws.recv(), 10))
            check(f"{name} hears alice", (got["message"], got["room"]), ("hi bob", "pyroom"))
        await bob.send(json.dumps({"message": "hi alice"}))
        got = json.loads(await asyncio.wait_for(alice.recv(), 10))
        check("alice hears bob", got["message"], "hi alice")

    # The raw echo: any frame back as it came; then the close asked for in the query.
    async with websockets.connect(f"{base}/api/ws/raw/?close_after=2&code=4001&reason=done") as ws:
        await ws.send(b"\x00\x01binary")
        check("raw: binary back as bytes", await asyncio.wait_for(ws.recv(), 10), b"\x00\x01binary")
        await ws.send("plain text, not JSON")
        check("raw: text back as text", await asyncio.wait_for(ws.recv(), 10), "plain text, not JSON")
        try:
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("raw: the server should have closed")
        except websockets.ConnectionClosed as closed:
            check("raw: close code and reason", (closed.rcvd.code, closed.rcvd.reason), (4001, "done"))

    print("all WebSocket interoperability checks passed")


asyncio.run(main())
