"""Interoperability: Python's `websockets` package against ws-svc.

Usage: python3 ws_interop.py ws://127.0.0.1:PORT

Echo, then a room with two clients that hear each other. Any mismatch raises.
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

    print("all WebSocket interoperability checks passed")


asyncio.run(main())
