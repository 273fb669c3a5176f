"""Interoperability: the `standardwebhooks` library (PyPI) verifies rest-svc's webhooks.

Usage: python3 webhook_interop.py http://127.0.0.1:PORT

The script runs a receiver of its own (Python's http.server on 127.0.0.1), subscribes
it, makes a Dummy and changes it, and checks each delivery the way a receiver written
against the Standard Webhooks specification does: `Webhook(secret).verify(body,
headers)`. A body changed by one byte, or a stale timestamp, must be refused. Then it
reads the subscription's delivery log. Any mismatch raises, so the exit status tells the
Rust test.
"""

import json
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

base = sys.argv[1].rstrip("/")
arrived = queue.Queue()


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        arrived.put((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"

with httpx.Client(timeout=10) as client:
    response = client.post(f"{base}/api/webhooks", json={"url": hook_url, "description": "interop"})
    check("subscribe status", response.status_code, 201)
    subscription = response.json()
    secret = subscription["secret"]
    check("secret prefix", secret.startswith("whsec_"), True)

    dummy = client.post(
        f"{base}/api/rest/dummie",
        json={"day": 4, "weekday": "Friday", "month": "December", "year": 2026},
    ).json()
    response = client.patch(f"{base}/api/rest/dummie/{dummy['id']}", json={"day": 5})
    check("patch status", response.status_code, 200)

    webhook = Webhook(secret)
    seqs = []
    for expected in ("dummy.created", "dummy.updated"):
        headers, body = arrived.get(timeout=10)
        payload = webhook.verify(body, headers)
        check("type", payload["type"], expected)
        check("dummy id", payload["data"]["dummy"]["id"], dummy["id"])
        check("timestamp is a string", isinstance(payload["timestamp"], str), True)
        seqs.append(payload["data"]["seq"])

        tampered = body.replace(b'"day":', b'"day": ', 1)
        try:
            webhook.verify(tampered, headers)
            raise AssertionError("a changed body verified")
        except WebhookVerificationError:
            print("ok  a changed body is refused")
        stale = dict(headers, **{"webhook-timestamp": str(int(time.time()) - 3600)})
        try:
            webhook.verify(body, stale)
            raise AssertionError("a stale timestamp verified")
        except WebhookVerificationError:
            print("ok  a stale timestamp is refused")
        other = Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
        try:
            other.verify(body, headers)
            raise AssertionError("another secret verified")
        except WebhookVerificationError:
            print("ok  another secret is refused")
    check("in journal order", seqs == sorted(seqs) and seqs[0] < seqs[1], True)
    check("day after the patch", json.loads(body)["data"]["dummy"]["day"], 5)

    # The log records an attempt once the receiver's answer is in: wait for it.
    deadline = time.monotonic() + 10
    while True:
        log = client.get(f"{base}/api/webhooks/{subscription['id']}/deliveries").json()
        if all(entry["state"] == "delivered" for entry in log) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check("log length", len(log), 2)
    check("log states", [entry["state"] for entry in log], ["delivered", "delivered"])
    check("log codes", [entry["response_status"] for entry in log], [204, 204])

server.shutdown()
print("all interoperability checks passed")
