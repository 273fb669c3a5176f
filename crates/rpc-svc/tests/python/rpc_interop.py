"""Interoperability: Python's standard library against rpc-svc.

Usage: python3 rpc_interop.py http://127.0.0.1:PORT

xmlrpc.client.ServerProxy calls every procedure and system.multicall; a JSON-RPC
sequence (single call, named params, notification, batch, errors) goes through
urllib. Any mismatch raises, so the exit status tells the Rust test the result.
"""

import json
import sys
import urllib.error
import urllib.request
import xmlrpc.client

base = sys.argv[1].rstrip("/")


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


# ---- XML-RPC with the standard client ------------------------------------------
proxy = xmlrpc.client.ServerProxy(f"{base}/api/rpc/xml", allow_none=True)
check("add", proxy.add(2, 3), 5)
check("add doubles", proxy.add(2, 0.5), 2.5)
check("upper", proxy.upper("hello"), "HELLO")
check("reverse", proxy.reverse("live"), "evil")
check("swap", proxy.swap({"left": "right"}), {"right": "left"})
check("listMethods has multicall", "system.multicall" in proxy.system.listMethods(), True)
check("methodSignature", proxy.system.methodSignature("add"), [["int", "int", "int"]])
check("methodHelp", proxy.system.methodHelp("upper"), "Returns msg in upper case.")

created = proxy.dummies.create({"day": 1, "weekday": "Monday", "month": "January", "year": 1984})
dummy_id = created["id"]
check("create year", created["year"], 1984)
check("create timestamp type", type(created["created_at"]).__name__, "DateTime")
check("get", proxy.dummies.get(dummy_id)["weekday"], "Monday")
check("update", proxy.dummies.update(dummy_id, {"day": 2, "weekday": "Tuesday", "month": "February", "year": 1985})["day"], 2)
check("patch", proxy.dummies.patch(dummy_id, {"year": 1999})["year"], 1999)
check("list by ids", [d["id"] for d in proxy.dummies.list([dummy_id, 424242])], [dummy_id])
check("list page", len(proxy.dummies.list(None, None, 10)), 1)
check("count", proxy.dummies.count(), 1)

try:
    proxy.dummies.create({"day": 32, "weekday": "Mon", "month": "May", "year": 1})
    raise AssertionError("an invalid Dummy was accepted")
except xmlrpc.client.Fault as fault:
    check("invalid fault code", fault.faultCode, 2)
    check("invalid fault names the field", "day: Ensure this value is less than or equal to 31." in fault.faultString, True)

try:
    proxy.no.such.method()
    raise AssertionError("an unknown method was accepted")
except xmlrpc.client.Fault as fault:
    check("unknown method fault", fault.faultCode, -32601)

multi = xmlrpc.client.MultiCall(proxy)
multi.add(20, 22)
multi.dummies.get(424242)
multi.upper("multi")
results = multi()
check("multicall first", results[0], 42)
try:
    results[1]
    raise AssertionError("a missing Dummy did not fault inside multicall")
except xmlrpc.client.Fault as fault:
    check("multicall fault", fault.faultCode, 1)
check("multicall third", results[2], "MULTI")

check("delete", proxy.dummies.delete(dummy_id), True)
check("count after delete", proxy.dummies.count(), 0)


# ---- JSON-RPC over urllib -------------------------------------------------------
def post_json(payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{base}/api/rpc/json", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return response.status, (json.loads(text) if text else None)


check("json add", post_json({"jsonrpc": "2.0", "method": "add", "params": [2, 3], "id": 1}), (200, {"jsonrpc": "2.0", "result": 5, "id": 1}))
check("json named", post_json({"jsonrpc": "2.0", "method": "reverse", "params": {"msg": "abc"}, "id": "x"})[1]["result"], "cba")
check("json notification", post_json({"jsonrpc": "2.0", "method": "upper", "params": ["x"]}), (204, None))
status, batch = post_json([
    {"jsonrpc": "2.0", "method": "upper", "params": ["a"], "id": 1},
    {"jsonrpc": "2.0", "method": "dummies.get", "params": [424242], "id": 2},
    {"jsonrpc": "2.0", "method": "nope", "id": 3},
])
check("json batch results", [r.get("result") for r in batch], ["A", None, None])
check("json batch error codes", [r.get("error", {}).get("code") for r in batch], [None, 1, -32601])
check("json parse error", post_json(b'{"jsonrpc": ')[1]["error"]["code"], -32700)

# ---- a 16 MB body: urllib writes all of it before it reads the 413 --------------
try:
    post_json(b" " * (16 * 1024 * 1024))
    raise AssertionError("a 16 MB body was accepted")
except urllib.error.HTTPError as refused:
    check("16 MB body status", refused.code, 413)
    check("16 MB body error code", json.loads(refused.read())["error"]["code"], -32600)
try:
    proxy.echo("x" * (16 * 1024 * 1024))
    raise AssertionError("a 16 MB XML-RPC call was accepted")
except xmlrpc.client.ProtocolError as refused:
    check("16 MB XML-RPC call status", refused.errcode, 413)
print("all interoperability checks passed")
