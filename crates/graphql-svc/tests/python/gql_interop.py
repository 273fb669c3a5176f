"""Interoperability: the `gql` client (PyPI) against graphql-svc.

Usage: python3 gql_interop.py http://127.0.0.1:PORT

gql fetches the schema by introspection and validates every document against it
before sending, runs a query and a mutation over HTTP, and a subscription over
WebSocket with each sub-protocol the server speaks (graphql-transport-ws, and the
legacy Apollo graphql-ws). Any mismatch raises, so the exit status tells the Rust
test the result.
"""

import asyncio
import sys

from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from gql.transport.websockets import WebsocketsTransport

base = sys.argv[1].rstrip("/")
http_url = f"{base}/api/graphql"
ws_url = http_url.replace("http://", "ws://", 1)


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


CREATE = gql(
    """
    mutation Create($day: Int!) {
      createDummy(input: {day: $day, weekday: FRIDAY, month: JULY, year: 1999}) { id day weekday }
    }
    """
)
SUBSCRIBE = gql(
    """
    subscription {
      dummyChanged(kinds: [CREATED]) {
        __typename
        ... on DummyChanged { kind dummy { id day } }
      }
    }
    """
)

# ---- query and mutation over HTTP, the schema fetched by introspection ----------
http = Client(
    transport=RequestsHTTPTransport(url=http_url), fetch_schema_from_transport=True
)
with http as session:
    created = session.execute(CREATE, variable_values={"day": 9})["createDummy"]
    check("mutation", (created["day"], created["weekday"]), (9, "FRIDAY"))
    read = session.execute(
        gql("query Get($id: ID!) { dummy(id: $id) { id month year } }"),
        variable_values={"id": created["id"]},
    )["dummy"]
    check("query", read, {"id": created["id"], "month": "JULY", "year": 1999})
    check("introspected types", "Dummy" in http.schema.type_map, True)
    try:
        session.execute(gql("mutation { createDummy(input: {day: 32, weekday: MONDAY, month: MAY, year: 1}) { id } }"))
        raise AssertionError("a day of 32 was accepted")
    except TransportQueryError as error:
        extensions = error.errors[0]["extensions"]
        check("invalid field", (extensions["code"], extensions["field"]), ("INVALID", "day"))


# ---- a subscription over WebSocket, with each sub-protocol --------------------------
async def subscribe(subprotocol, day):
    transport = WebsocketsTransport(url=ws_url, subprotocols=[subprotocol])
    async with Client(transport=transport) as session:
        events = session.subscribe(SUBSCRIBE)

        async def first_event():
            async for event in events:
                return event["dummyChanged"]

        waiting = asyncio.create_task(first_event())
        # Give the subscription time to be set up before the write it should see.
        await asyncio.sleep(0.5)
        with Client(transport=RequestsHTTPTransport(url=http_url)) as writer:
            written = writer.execute(CREATE, variable_values={"day": day})["createDummy"]
        event = await asyncio.wait_for(waiting, timeout=10)
        check(
            f"subscription over {subprotocol}",
            event,
            {
                "__typename": "DummyChanged",
                "kind": "CREATED",
                "dummy": {"id": written["id"], "day": day},
            },
        )


asyncio.run(subscribe(WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, 11))
asyncio.run(subscribe(WebsocketsTransport.APOLLO_SUBPROTOCOL, 12))
print("all interoperability checks passed")
