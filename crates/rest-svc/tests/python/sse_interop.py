"""Interoperability: the `httpx-sse` client (PyPI) reads rest-svc's Server-Sent Events.

Usage: python3 sse_interop.py http://127.0.0.1:PORT

httpx-sse parses the `text/event-stream` answer field by field (`id`, `event`, `data`,
`retry`) the way the WHATWG spec says. The script watches a create arrive, leaves, lets
two more changes happen, and comes back with `Last-Event-ID`: both must arrive, in
order, and nothing twice. Any mismatch raises, so the exit status tells the Rust test.
"""

import json
import sys

import httpx
from httpx_sse import connect_sse

base = sys.argv[1].rstrip("/")
stream_url = f"{base}/api/sse/dummies"


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


def create(client, day):
    response = client.post(
        f"{base}/api/rest/dummie",
        json={"day": day, "weekday": "Friday", "month": "July", "year": 1999},
    )
    check("create status", response.status_code, 201)
    return response.json()


def changes(events):
    """The named events, skipping nothing else (comments never reach here)."""
    for sse in events:
        if sse.event in ("created", "updated", "deleted"):
            yield sse


with httpx.Client(timeout=10) as client:
    with connect_sse(client, "GET", stream_url) as source:
        check("content type", source.response.headers["content-type"], "text/event-stream")
        events = source.iter_sse()
        # The opening: a `retry:` hint and a comment, dispatched as a nameless event.
        check("retry hint", next(events).retry, 2000)
        first = create(client, 1)
        sse = next(changes(events))
        check("first event", (sse.event, json.loads(sse.data)), ("created", first))
        seen = int(sse.id)

    # Away: one create and one delete happen meanwhile.
    second = create(client, 2)
    deleted = client.delete(f"{base}/api/rest/dummie/{first['id']}")
    check("delete status", deleted.status_code, 204)

    with connect_sse(client, "GET", stream_url, headers={"Last-Event-ID": str(seen)}) as source:
        events = changes(source.iter_sse())
        a, b = next(events), next(events)
        check("resumed first", (a.event, json.loads(a.data)["id"]), ("created", second["id"]))
        check("resumed second", (b.event, json.loads(b.data)["id"]), ("deleted", first["id"]))
        check("ids in order", seen < int(a.id) < int(b.id), True)

print("all interoperability checks passed")
