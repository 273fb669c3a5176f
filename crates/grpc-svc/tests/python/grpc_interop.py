"""Interoperability: Python's grpcio (the C-core implementation) against grpc-svc.

Usage: python3 grpc_interop.py HOST:PORT PROTO_DIR WORK_DIR

Generates stubs with grpcio-tools from the project's protos, and from the quickstart
Greeter contract as it was published (SayHello only), then calls every RPC kind,
reads the rich error details, asks reflection and health. Any mismatch raises.
"""

import os
import subprocess
import sys
import threading

target, proto_dir, work = sys.argv[1], sys.argv[2], sys.argv[3]
out = os.path.join(work, "generated")
os.makedirs(out, exist_ok=True)


def protoc(include, *files):
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files],
        check=True,
    )


protoc(proto_dir, "greeter.proto", "echo/v1/echo.proto", "dummy/v1/dummy.proto", "playground/v1/playground.proto")

# The quickstart's contract as published: package app, one RPC. Its stubs are generated
# apart and used from a separate Python process: the same message names (app.HelloRequest)
# cannot be loaded twice into one protobuf descriptor pool.
quickstart = os.path.join(work, "quickstart")
os.makedirs(os.path.join(quickstart, "out"), exist_ok=True)
with open(os.path.join(quickstart, "greeter.proto"), "w") as f:
    f.write(
        'syntax = "proto3";\npackage app;\n'
        "service Greeter { rpc SayHello (HelloRequest) returns (HelloResponse) {} }\n"
        "message HelloRequest { string name = 1; }\nmessage HelloResponse { string message = 1; }\n"
    )
subprocess.run(
    [sys.executable, "-m", "grpc_tools.protoc", f"-I{quickstart}", f"--python_out={quickstart}/out",
     f"--grpc_python_out={quickstart}/out", "greeter.proto"],
    check=True,
)
quick = subprocess.run(
    [sys.executable, "-c",
     "import sys, grpc; sys.path.insert(0, sys.argv[1]); import greeter_pb2 as p, greeter_pb2_grpc as g; "
     "print(g.GreeterStub(grpc.insecure_channel(sys.argv[2])).SayHello(p.HelloRequest(name='Lukasz')).message)",
     f"{quickstart}/out", target],
    check=True, capture_output=True, text=True,
)
print(f"quickstart client: {quick.stdout.strip()}")
if quick.stdout.strip() != "Hello, Lukasz!":
    raise AssertionError(f"quickstart SayHello: {quick.stdout!r} {quick.stderr!r}")
sys.path.insert(0, out)

import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from google.protobuf import field_mask_pb2  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402

import greeter_pb2, greeter_pb2_grpc  # noqa: E402,E401
from echo.v1 import echo_pb2, echo_pb2_grpc  # noqa: E402
from dummy.v1 import dummy_pb2, dummy_pb2_grpc  # noqa: E402
from playground.v1 import playground_pb2, playground_pb2_grpc  # noqa: E402


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {actual!r}")


channel = grpc.insecure_channel(target)
grpc.channel_ready_future(channel).result(timeout=10)

# Greeter: the project's proto, and the quickstart's as published.
greeter = greeter_pb2_grpc.GreeterStub(channel)
check("SayHello", greeter.SayHello(greeter_pb2.HelloRequest(name="Lukasz")).message, "Hello, Lukasz!")
check("SayHelloAgain", greeter.SayHelloAgain(greeter_pb2.HelloRequest(name="Lukasz")).message, "Hello again, Lukasz!")

# Echo: the four kinds.
echo = echo_pb2_grpc.EchoServiceStub(channel)
check("unary", echo.UnaryEcho(echo_pb2.EchoRequest(message="hi")).message, "hi")
words = [r.message for r in echo.ServerStreamingEcho(echo_pb2.ServerStreamingEchoRequest(message="a b c", delay_ms=10))]
check("server streaming", words, ["a", "b", "c"])
joined = echo.ClientStreamingEcho(iter([echo_pb2.EchoRequest(message=m) for m in ["x", "y"]]))
check("client streaming", (joined.message, joined.count), ("x y", 2))
check("bidirectional", [r.message for r in echo.BidirectionalStreamingEcho(iter([echo_pb2.EchoRequest(message=m) for m in ["1", "2", "3"]]))], ["1", "2", "3"])
try:
    echo.UnaryEcho(echo_pb2.EchoRequest(message="slow", delay_ms=2000), timeout=0.1)
    raise AssertionError("the deadline was not honoured")
except grpc.RpcError as e:
    check("deadline", e.code(), grpc.StatusCode.DEADLINE_EXCEEDED)

# Dummies, with a watcher running on another thread.
dummies = dummy_pb2_grpc.DummyServiceStub(channel)
events = []
watch = dummies.WatchDummies(dummy_pb2.WatchDummiesRequest())
# A daemon thread: a failed check below must end the script, not wait for events.
watcher = threading.Thread(target=lambda: events.extend(e for _, e in zip(range(3), watch)), daemon=True)
watcher.start()
import time  # noqa: E402
time.sleep(0.5)  # the watch call is established before the writes

# The database may hold other rows (the Compose stack test runs this on a seeded one).
before = dummies.CountDummies(dummy_pb2.CountDummiesRequest()).count
created = dummies.CreateDummy(dummy_pb2.CreateDummyRequest(dummy=dummy_pb2.Dummy(day=1, weekday=dummy_pb2.WEEKDAY_MONDAY, month=dummy_pb2.MONTH_JANUARY, year=1984)))
check("create", (created.day, created.year), (1, 1984))
check("get", dummies.GetDummy(dummy_pb2.GetDummyRequest(id=created.id)).weekday, dummy_pb2.WEEKDAY_MONDAY)
patched = dummies.UpdateDummy(dummy_pb2.UpdateDummyRequest(dummy=dummy_pb2.Dummy(id=created.id, year=2001), update_mask=field_mask_pb2.FieldMask(paths=["year"])))
check("update with a mask", (patched.day, patched.year), (1, 2001))
check("list", [d.id for d in dummies.ListDummies(dummy_pb2.ListDummiesRequest(after_id=created.id - 1))], [created.id])
check("count", dummies.CountDummies(dummy_pb2.CountDummiesRequest()).count, before + 1)
dummies.DeleteDummy(dummy_pb2.DeleteDummyRequest(id=created.id))
watcher.join(timeout=10)
watch.cancel()
check("watch", [e.kind for e in events], [dummy_pb2.DummyEvent.KIND_CREATED, dummy_pb2.DummyEvent.KIND_UPDATED, dummy_pb2.DummyEvent.KIND_DELETED])

try:
    dummies.GetDummy(dummy_pb2.GetDummyRequest(id=created.id))
    raise AssertionError("a deleted Dummy was found")
except grpc.RpcError as e:
    check("not found", e.code(), grpc.StatusCode.NOT_FOUND)
try:
    dummies.CreateDummy(dummy_pb2.CreateDummyRequest(dummy=dummy_pb2.Dummy(day=32, weekday=dummy_pb2.WEEKDAY_MONDAY, month=dummy_pb2.MONTH_MAY, year=1)))
    raise AssertionError("day 32 was accepted")
except grpc.RpcError as e:
    check("invalid", e.code(), grpc.StatusCode.INVALID_ARGUMENT)
    status = rpc_status.from_call(e)
    bad = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad)
    check("field violation", [(v.field, v.description) for v in bad.field_violations], [("day", "Ensure this value is less than or equal to 31.")])

# Health and reflection, with their own Python clients.
health = health_pb2_grpc.HealthStub(channel)
check("health", health.Check(health_pb2.HealthCheckRequest(service="dummy.v1.DummyService")).status, health_pb2.HealthCheckResponse.SERVING)
services = ProtoReflectionDescriptorDatabase(channel).get_services()
for name in ["app.Greeter", "echo.v1.EchoService", "dummy.v1.DummyService", "playground.v1.PlaygroundService", "grpc.health.v1.Health"]:
    check(f"reflection lists {name}", name in services, True)

# The playground: metadata back as headers and trailers, failures with details, streams,
# deadlines, and gzip both ways.
play = playground_pb2_grpc.PlaygroundServiceStub(channel)
answer, call = play.Reflect.with_call(
    playground_pb2.ReflectRequest(payload="x" * 1000),
    metadata=[("x-user", "ada"), ("trace-bin", b"\x00\x01")],
    timeout=5,
    compression=grpc.Compression.Gzip,
)
seen = {entry.key: list(entry.values) for entry in answer.metadata}
check("playground: metadata seen", (seen["x-user"], seen["trace-bin"]), (["ada"], ["AAE="]))
check("playground: the request was gzip-compressed", answer.request_encoding, "gzip")
# grpcio states a 5 s deadline as it is left when the call goes out, rounded up.
check("playground: the deadline arrived", 4000 < answer.deadline_ms <= 5100, True)
check("playground: echoed as a header", ("x-user", "ada") in call.initial_metadata(), True)
check("playground: and as a trailer", ("x-user", "ada") in call.trailing_metadata(), True)
check("playground: binary metadata echoed", ("trace-bin", b"\x00\x01") in call.trailing_metadata(), True)
try:
    play.Fail(playground_pb2.FailRequest(code=8, message="slow down", bad_field="day", retry_after_ms=1500, error_reason="QUOTA"))
    raise AssertionError("Fail did not fail")
except grpc.RpcError as e:
    check("playground: the code asked for", (e.code(), e.details()), (grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down"))
    kinds = {}
    for detail in rpc_status.from_call(e).details:
        for kind in (error_details_pb2.BadRequest, error_details_pb2.RetryInfo, error_details_pb2.ErrorInfo):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                kinds[kind.__name__] = message
    check("playground: BadRequest", kinds["BadRequest"].field_violations[0].field, "day")
    check("playground: RetryInfo", kinds["RetryInfo"].retry_delay.ToMilliseconds(), 1500)
    check("playground: ErrorInfo", kinds["ErrorInfo"].reason, "QUOTA")
stream = play.Stream(playground_pb2.StreamRequest(count=3, interval_ms=20, end_code=14))
indexes = []
try:
    for message in stream:
        indexes.append(message.index)
    raise AssertionError("the stream did not end with UNAVAILABLE")
except grpc.RpcError as e:
    check("playground: a stream of three, then the end asked for", (indexes, e.code()), ([1, 2, 3], grpc.StatusCode.UNAVAILABLE))
try:
    play.Wait(playground_pb2.WaitRequest(wait_ms=3000), timeout=0.2)
    raise AssertionError("the deadline was not honoured")
except grpc.RpcError as e:
    check("playground: a deadline honoured", e.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
check("playground: no deadline", play.Wait(playground_pb2.WaitRequest(wait_ms=10)).deadline_ms, 0)
print("all gRPC interoperability checks passed")
