"""Interoperability: pika and paho-mqtt (PyPI) against messaging-svc, checked against
its AsyncAPI document.

Usage (the service already running against the same brokers):

    AMQP_URL=amqp://guest:guest@127.0.0.1:5672/t-123 MQTT_HOST=127.0.0.1 MQTT_PORT=1883 \
    ASYNCAPI=asyncapi/messaging.yaml python3 messaging_interop.py

Optional: MESSAGING_MAX_BYTES (the service's limit, 65536 by default).

The script binds a queue of its own to the exchange `dummies` and subscribes to
`dummies/#` and `presence/#`, then makes changes through the request queue
`dummies.rpc` (JSON-RPC 2.0 over AMQP, direct reply-to): create, update, delete, with
a new MQTT client checking the retained state in between. It then checks the AMQP
deliveries (order, routing keys, properties), the MQTT messages (topics, QoS, retained
state, presence), the refused requests in `dummies.dead`, and validates every payload
it sends or sees against the document's schemas; every channel and message the
document lists must have been seen. Each wait has a timeout; a failure prints `FAIL`
and a reason on stderr and exits 1, so the exit status tells the Rust test.
"""

import json
import os
import queue
import re
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pika
import yaml
from jsonschema import Draft7Validator
from paho.mqtt.enums import CallbackAPIVersion
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

WAIT = 10.0  # the longest wait for anything that should come
NO_RETAINED_WAIT = 1.0  # how long a cleared topic must stay silent
WATCHDOG = 40.0  # the whole run, a backstop: a normal run takes a few seconds
REPLY_TO = "amq.rabbitmq.reply-to"
EXCHANGE = "dummies"
RPC_QUEUE = "dummies.rpc"
DEAD_LETTERS = "dummies.dead"
PRESENCE = "presence/messaging-svc"
BASE = "urn:asyncapi:messaging"
# The Dummy's keys in the order REST writes them (crates/model/src/json.rs).
DUMMY_KEYS = ["id", "day", "weekday", "month", "year", "pre_seeded", "created_at", "updated_at"]


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"FAIL {name} is not set (see the usage in {__file__})")
    return value


def check(label, actual, expected):
    if actual != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {actual!r}")
    print(f"ok  {label}: {short(actual)}")


def short(value, limit=100):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_or_none(body):
    """The JSON object in `body`, or None."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def deadline_loop(what, timeout=WAIT):
    """Yields until `timeout` seconds have passed, then fails saying what was awaited."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        yield
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# ---- the contract: the AsyncAPI document and its schemas ----------------------------


class Contract:
    """The AsyncAPI document, its schemas, and which of its channels and messages were seen."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as file:
            self.doc = yaml.safe_load(file)
        resource = Resource(contents=self.doc, specification=DRAFT7)
        self.registry = Registry().with_resource(BASE, resource)
        self.validators = {}
        self.seen = set()
        self.servers = self.doc.get("servers", {})
        self.channels = self.doc.get("channels", {})
        self.operations = self.doc.get("operations", {})

    def lookup(self, ref):
        """The node a document-local `$ref` points to."""
        if not ref.startswith("#/"):
            raise AssertionError(f"only document-local $refs are expected, got {ref!r}")
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise AssertionError(f"$ref {ref!r} points at nothing")
        return node

    def follow(self, node, pointer):
        """Follows `$ref`s (document-local) to the object itself, and its pointer."""
        hops = 0
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"][1:]
            node = self.lookup(node["$ref"])
            hops += 1
            if hops > 20:
                raise AssertionError(f"a $ref cycle at {pointer}")
        return node, pointer

    def errors(self, pointer, instance):
        """Validation errors of `instance` against the schema at `pointer` (a JSON pointer)."""
        validator = self.validators.get(pointer)
        if validator is None:
            validator = Draft7Validator(
                {"$ref": f"{BASE}#{pointer}"},
                registry=self.registry,
                format_checker=Draft7Validator.FORMAT_CHECKER,
            )
            self.validators[pointer] = validator
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def require(self, label, pointer, instance, quiet=False):
        errors = self.errors(pointer, instance)
        if errors:
            raise AssertionError(f"{label} does not fit {pointer}: {'; '.join(errors[:5])}")
        if not quiet:
            print(f"ok  {label} fits {pointer}")

    def messages(self, channel_id):
        """(key, message, pointer) for each message of a channel, `$ref`s followed."""
        channel = self.channels[channel_id]
        for key, message in (channel.get("messages") or {}).items():
            message, pointer = self.follow(message, f"/channels/{channel_id}/messages/{key}")
            yield key, message, pointer

    # -- checks of the document itself --

    def check_document(self):
        check("AsyncAPI version", self.doc.get("asyncapi"), "3.0.0")
        refs = []

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    refs.append(node["$ref"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.doc)
        for ref in refs:
            self.lookup(ref)
        print(f"ok  all {len(refs)} $refs resolve")
        for op_id, operation in self.operations.items():
            channel_ref = operation["channel"]["$ref"]
            for message in operation.get("messages", []):
                if not message["$ref"].startswith(channel_ref + "/messages/"):
                    raise AssertionError(f"operation {op_id}: {message['$ref']} is not a message of {channel_ref}")
            reply = operation.get("reply")
            if reply:
                reply_ref = reply["channel"]["$ref"]
                for message in reply.get("messages", []):
                    if not message["$ref"].startswith(reply_ref + "/messages/"):
                        raise AssertionError(f"operation {op_id}: reply {message['$ref']} is not a message of {reply_ref}")
        print(f"ok  the messages of all {len(self.operations)} operations belong to their channels")
        count = 0
        for channel_id in self.channels:
            for key, message, pointer in self.messages(channel_id):
                for example in message.get("examples", []):
                    name = f"example {example.get('name', '?')!r} of {channel_id}/{key}"
                    for part in ("payload", "headers"):
                        if part in example and part in message:
                            self.require(f"{name} ({part})", f"{pointer}/{part}", example[part], quiet=True)
                    count += 1
        print(f"ok  all {count} message examples fit their schemas")
        for channel_id, channel in self.channels.items():
            for parameter in re.findall(r"\{(\w+)\}", channel.get("address") or ""):
                if parameter not in (channel.get("parameters") or {}):
                    raise AssertionError(f"channel {channel_id}: no parameter {parameter!r} declared")
        print("ok  every address parameter is declared")

    # -- finding the channel and message of what was seen --

    def channel_protocols(self, channel):
        refs = channel.get("servers") or [{"$ref": f"#/servers/{name}"} for name in self.servers]
        return {self.lookup(ref["$ref"])["protocol"] for ref in refs}

    def address_match(self, channel_id, value, separator):
        channel = self.channels[channel_id]
        address = channel.get("address")
        if address is None:
            return False
        pattern = ""
        for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", address):
            pattern += re.escape(literal)
            if name:
                pattern += f"(?P<{name}>[^{re.escape(separator)}]+)"
        found = re.fullmatch(pattern, value)
        if not found:
            return False
        for name, captured in found.groupdict().items():
            parameter, _ = self.follow((channel.get("parameters") or {}).get(name, {}), "")
            if "enum" in parameter and captured not in parameter["enum"]:
                return False
        return True

    def reply_channels(self):
        return {
            op["reply"]["channel"]["$ref"].split("/")[-1]
            for op in self.operations.values()
            if op.get("reply", {}).get("channel")
        }

    def channels_for(self, where):
        """Channel ids that describe `where`: ("exchange", name, routing key),
        ("queue", name), ("reply",) or ("topic", topic)."""
        found = []
        for channel_id, channel in self.channels.items():
            amqp = (channel.get("bindings") or {}).get("amqp") or {}
            if where[0] == "exchange":
                if (
                    amqp.get("is", "routingKey") == "routingKey"
                    and amqp.get("exchange", {}).get("name") == where[1]
                    and self.address_match(channel_id, where[2], ".")
                ):
                    found.append(channel_id)
            elif where[0] == "queue":
                if amqp.get("is") == "queue" and amqp.get("queue", {}).get("name") == where[1]:
                    found.append(channel_id)
            elif where[0] == "reply":
                if channel_id in self.reply_channels():
                    found.append(channel_id)
            elif where[0] == "topic":
                if "mqtt" in self.channel_protocols(channel) and self.address_match(channel_id, where[1], "/"):
                    found.append(channel_id)
        return found

    def decode(self, message, body):
        content_type = message.get("contentType", self.doc.get("defaultContentType"))
        if content_type == "application/json":
            return json.loads(body)
        return body.decode("utf-8", errors="replace")

    def observe(self, label, where, body, headers=None, amqp_type=None):
        """Finds the one channel and message that fit what was seen (its payload, and
        its headers and AMQP `type` when given), records it as seen, and returns
        (message key, decoded payload)."""
        channels = self.channels_for(where)
        if len(channels) != 1:
            raise AssertionError(f"{label}: {where} fits {len(channels)} channels of the document ({channels}), not one")
        channel_id = channels[0]
        fits, misfits = [], []
        for key, message, pointer in self.messages(channel_id):
            try:
                payload = self.decode(message, body)
            except ValueError as error:
                misfits.append(f"{key}: not {message.get('contentType')}: {error}")
                continue
            errors = self.errors(pointer + "/payload", payload)
            if headers is not None and "headers" in message:
                errors += [f"headers {e}" for e in self.errors(pointer + "/headers", headers)]
            expected_type = ((message.get("bindings") or {}).get("amqp") or {}).get("messageType")
            if amqp_type is not None and expected_type is not None and expected_type != amqp_type:
                errors.append(f"type property {amqp_type!r}, the message says {expected_type!r}")
            if errors:
                misfits.append(f"{key}: {'; '.join(errors[:3])}")
            else:
                fits.append((key, payload))
        if len(fits) != 1:
            raise AssertionError(
                f"{label} on {channel_id}: fits {len(fits)} of its messages, not one"
                f" ({[k for k, _ in fits]}); {' | '.join(misfits)}"
            )
        key, payload = fits[0]
        self.seen.add((channel_id, key))
        print(f"ok  {label} is {channel_id}/{key} and fits its schemas")
        return key, payload

    def check_coverage(self):
        missing = []
        for channel_id in self.channels:
            for key, _, _ in self.messages(channel_id):
                if (channel_id, key) in self.seen:
                    print(f"ok  seen: channel {channel_id}, message {key}")
                else:
                    missing.append(f"{channel_id}/{key}")
        if missing:
            raise AssertionError(f"the document lists what never came: {', '.join(missing)}")
        for name, server in self.servers.items():
            if server["protocol"] not in ("amqp", "mqtt"):
                print(f"--  not checked here: server {name} ({server['protocol']}://{server['host']}{server.get('pathname', '')})")


# ---- AMQP: pika -----------------------------------------------------------------------


class Amqp:
    """One blocking pika connection: a queue bound to the changes, and a JSON-RPC client
    over direct reply-to."""

    def __init__(self, url, contract):
        self.contract = contract
        params = pika.URLParameters(url)
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.stack_timeout = 10
        params.blocked_connection_timeout = 5
        params.heartbeat = 10
        try:
            self.connection = pika.BlockingConnection(params)
        except pika.exceptions.AMQPError as error:
            where = f"{params.host}:{params.port} vhost {params.virtual_host!r}"
            raise AssertionError(f"cannot connect to RabbitMQ at {where}: {error!r}") from None
        self.changes = []
        self.replies = {}
        self.next_id = 0

    def pump(self):
        self.connection.process_data_events(time_limit=0.05)

    def wait_for_service(self):
        """Waits until the service consumes the request queue (it declares everything)."""
        for _ in deadline_loop(f"a consumer on the queue {RPC_QUEUE}"):
            channel = self.connection.channel()
            try:
                declared = channel.queue_declare(RPC_QUEUE, passive=True)
                if declared.method.consumer_count >= 1:
                    channel.close()
                    print(f"ok  {RPC_QUEUE} has a consumer: {declared.method.consumer_count}")
                    return
                channel.close()
            except pika.exceptions.ChannelClosedByBroker:
                pass  # not declared yet: the failed passive declare closed the channel
            self.connection.sleep(0.2)

    def bind_changes(self):
        channel = self.connection.channel()
        self.changes_channel = channel
        declared = channel.queue_declare("", exclusive=True, auto_delete=True)
        name = declared.method.queue
        channel.queue_bind(name, EXCHANGE, routing_key="dummy.#")
        channel.basic_consume(name, self._on_change, auto_ack=True)
        print(f"ok  exclusive queue {name} bound to {EXCHANGE} with dummy.#")

    def _on_change(self, channel, method, properties, body):
        self.changes.append((method, properties, body))

    def open_rpc(self):
        self.rpc_channel = self.connection.channel()
        # Direct reply-to: consume the pseudo-queue (no-ack) before publishing with it.
        self.rpc_channel.basic_consume(REPLY_TO, self._on_reply, auto_ack=True)

    def _on_reply(self, channel, method, properties, body):
        self.replies[properties.correlation_id] = (method, properties, body)

    def send(self, body, label, validate=True):
        """Publishes a request body and waits for its reply; returns (correlation id,
        reply properties, decoded reply), the reply checked against the document."""
        correlation_id = f"interop-{uuid.uuid4()}"
        if validate:
            headers = {"reply_to": REPLY_TO, "correlation_id": correlation_id}
            self.contract.observe(f"request {label}", ("queue", RPC_QUEUE), body, headers)
        self.rpc_channel.basic_publish(
            exchange="",
            routing_key=RPC_QUEUE,
            body=body,
            properties=pika.BasicProperties(
                reply_to=REPLY_TO, correlation_id=correlation_id, content_type="application/json"
            ),
        )
        for _ in deadline_loop(f"the reply to {label} (correlation_id {correlation_id})"):
            self.pump()
            if correlation_id in self.replies:
                break
        method, properties, reply = self.replies.pop(correlation_id)
        check(f"reply to {label}: correlation_id", properties.correlation_id, correlation_id)
        check(f"reply to {label}: content_type", properties.content_type, "application/json")
        headers = {"correlation_id": properties.correlation_id}
        if properties.content_type is not None:
            headers["content_type"] = properties.content_type
        if properties.app_id is not None:
            headers["app_id"] = properties.app_id
        _, response = self.contract.observe(f"reply to {label}", ("reply",), reply, headers)
        return correlation_id, properties, response

    def call(self, method, params):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "method": method, "params": params, "id": self.next_id}
        _, _, response = self.send(json.dumps(request).encode(), method)
        check(f"{method}: id", response.get("id"), self.next_id)
        return response

    def wait_changes(self, dummy_id, count):
        """The first `count` changes of this Dummy, a repeated `seq` dropped (delivery
        is at least once)."""

        def mine():
            kept, seqs = [], set()
            for change in self.changes:
                body = json_or_none(change[2]) or {}
                if (body.get("dummy") or {}).get("id") != dummy_id:
                    continue
                if body.get("seq") in seqs:
                    continue
                seqs.add(body.get("seq"))
                kept.append(change)
            return kept

        for _ in deadline_loop(f"{count} changes of Dummy {dummy_id} on the exchange {EXCHANGE}"):
            self.pump()
            if len(mine()) >= count:
                break
        kept = mine()
        if len(kept) < sum(1 for c in self.changes if (json_or_none(c[2]) or {}).get("dummy", {}).get("id") == dummy_id):
            print("--  a seq came twice on the exchange (at least once); the repeats dropped")
        return kept

    def dead_letters(self, correlation_ids):
        """The dead-lettered messages with these correlation ids (basic.get, acknowledged)."""
        found = {}
        for _ in deadline_loop(f"{len(correlation_ids)} dead letters in the queue {DEAD_LETTERS}"):
            channel = self.connection.channel()
            while True:
                method, properties, body = channel.basic_get(DEAD_LETTERS, auto_ack=False)
                if method is None:
                    break
                if properties.correlation_id in correlation_ids:
                    found[properties.correlation_id] = (method, properties, body)
                    channel.basic_ack(method.delivery_tag)
            channel.close()  # returns the others, unacknowledged, to the queue
            if len(found) == len(correlation_ids):
                return found
            self.connection.sleep(0.2)

    def close(self):
        try:
            if self.connection.is_open:
                self.connection.close()
        except Exception:  # noqa: BLE001 - closing after a failure: say the failure, not this
            pass


# ---- MQTT: paho-mqtt ------------------------------------------------------------------


class Mqtt:
    """A paho client (callback API version 2) that keeps every message it gets."""

    count = 0

    def __init__(self, host, port, label):
        Mqtt.count += 1
        self.label = label
        self.messages = []
        self.changed = threading.Condition()
        self.connected = queue.Queue()
        self.subacks = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"messaging-interop-{os.getpid()}-{Mqtt.count}",
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        self.client.on_connect = lambda c, u, flags, reason, props: self.connected.put(reason)
        self.client.on_subscribe = lambda c, u, mid, reasons, props: self.subacks.put((mid, reasons))
        self.client.on_message = self._on_message
        try:
            self.client.connect(host, port, keepalive=10)
        except OSError as error:
            raise AssertionError(f"{label}: cannot reach Mosquitto at {host}:{port}: {error}") from None
        self.client.loop_start()
        try:
            reason = self.connected.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{label}: no CONNACK from {host}:{port} in {WAIT:.0f} s") from None
        if reason.is_failure:
            raise AssertionError(f"{label}: the broker refused the connection: {reason}")

    def _on_message(self, client, userdata, message):
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def subscribe(self, *filters):
        result, mid = self.client.subscribe([(f, 1) for f in filters])
        if result != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError(f"{self.label}: SUBSCRIBE not sent: {mqtt.error_string(result)}")
        try:
            acked_mid, reasons = self.subacks.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{self.label}: no SUBACK in {WAIT:.0f} s") from None
        check(f"{self.label}: SUBACK packet id", acked_mid, mid)
        check(f"{self.label}: granted QoS for {', '.join(filters)}", [r.value for r in reasons], [1] * len(filters))

    def wait_for(self, what, predicate, timeout=WAIT):
        """The first message that fits, waiting up to `timeout`."""
        end = time.monotonic() + timeout
        with self.changed:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.label}: timed out after {timeout:.0f} s waiting for {what}")
                self.changed.wait(left)

    def close(self):
        try:
            self.client.disconnect()
            self.client.loop_stop()
        except Exception:  # noqa: BLE001 - closing after a failure: say the failure, not this
            pass


def retained(host, port, topic, expect_one):
    """What a new subscriber to `topic` gets at once: the first message (which must come
    within WAIT), or None when `expect_one` is false and nothing comes in a second."""
    client = Mqtt(host, port, f"new subscriber to {topic}")
    try:
        client.subscribe(topic)
        if expect_one:
            return client.wait_for(f"the retained message on {topic}", lambda m: m.topic == topic)
        time.sleep(NO_RETAINED_WAIT)
        with client.changed:
            return client.messages[0] if client.messages else None
    finally:
        client.close()


# ---- the run ---------------------------------------------------------------------------


def run(contract, amqp, subscriber, mqtt_host, mqtt_port, max_bytes):
    # -- procedures through the request queue --
    response = amqp.call("add", [2, 3])
    check("add [2, 3]", response.get("result"), 5)
    _, _, batch = amqp.send(
        json.dumps(
            [
                {"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": "b1"},
                {"jsonrpc": "2.0", "method": "upper", "params": ["mq"], "id": "b2"},
            ]
        ).encode(),
        "a batch",
    )
    check("batch results", sorted((r["id"], r.get("result")) for r in batch), [("b1", 3), ("b2", "MQ")])

    fields = {"day": 14, "weekday": "Saturday", "month": "March", "year": 2026}
    created = amqp.call("dummies.create", {"fields": fields})["result"]
    contract.require("dummies.create's result", "/components/schemas/Dummy", created)
    check("created fields", {k: created[k] for k in fields}, fields)
    dummy_id = created["id"]

    new_fields = {"day": 15, "weekday": "Sunday", "month": "April", "year": 2027}
    updated = amqp.call("dummies.update", {"id": dummy_id, "fields": new_fields})["result"]
    contract.require("dummies.update's result", "/components/schemas/Dummy", updated)
    check("updated fields", {k: updated[k] for k in new_fields}, new_fields)
    check("updated id and created_at", (updated["id"], updated["created_at"]), (dummy_id, created["created_at"]))

    # The retained state, before the delete: wait until the live subscriber has seen it
    # (the relay publishes asynchronously), then ask a new subscriber.
    state_topic = f"dummies/{dummy_id}"
    subscriber.wait_for(
        f"the updated state on {state_topic}",
        lambda m: m.topic == state_topic and not m.retain and json_or_none(m.payload) == updated,
    )
    message = retained(mqtt_host, mqtt_port, state_topic, expect_one=True)
    check(f"new subscriber to {state_topic}: retain flag", message.retain, True)
    check(f"new subscriber to {state_topic}: QoS", message.qos, 1)
    _, state = contract.observe(f"retained {state_topic}", ("topic", message.topic), message.payload)
    check(f"retained {state_topic} is the updated Dummy", state, updated)
    check(f"retained {state_topic}: key order (REST's)", list(state), DUMMY_KEYS)

    check("dummies.get", amqp.call("dummies.get", {"id": dummy_id})["result"], updated)
    check("dummies.delete", amqp.call("dummies.delete", {"id": dummy_id})["result"], True)
    subscriber.wait_for(
        f"the zero-length message on {state_topic}",
        lambda m: m.topic == state_topic and not m.retain and m.payload == b"",
    )
    message = retained(mqtt_host, mqtt_port, state_topic, expect_one=False)
    check(
        f"new subscriber to {state_topic} after the delete gets nothing in {NO_RETAINED_WAIT:.0f} s",
        None if message is None else (message.topic, message.payload, message.retain),
        None,
    )

    error = amqp.call("dummies.get", {"id": dummy_id}).get("error", {})
    check("dummies.get after the delete: error code", error.get("code"), 1)
    error = amqp.call("no.such.method", []).get("error", {})
    check("unknown method: error code", error.get("code"), -32601)

    # -- refused requests: answered, then dead-lettered --
    garbage = b"this is {not JSON"
    garbage_id, _, response = amqp.send(garbage, "a body that is not JSON", validate=False)
    check("not JSON: error code", response.get("error", {}).get("code"), -32700)
    check("not JSON: id", response.get("id", "missing"), None)
    oversized = json.dumps(
        {"jsonrpc": "2.0", "method": "upper", "params": ["x" * max_bytes], "id": "big"}
    ).encode()
    oversized_id, _, response = amqp.send(oversized, f"a body of {len(oversized)} bytes", validate=False)
    check("too large: error code", response.get("error", {}).get("code"), -32600)
    check("too large: id", response.get("id", "missing"), None)

    letters = amqp.dead_letters({garbage_id, oversized_id})
    for correlation_id, sent, label in ((garbage_id, garbage, "not JSON"), (oversized_id, oversized, "too large")):
        method, properties, body = letters[correlation_id]
        check(f"dead letter ({label}): body as sent", body == sent, True)
        check(f"dead letter ({label}): from exchange", method.exchange, DEAD_LETTERS)
        contract.observe(f"dead letter ({label})", ("queue", DEAD_LETTERS), body, properties.headers or {})

    # -- the changes on the exchange --
    deliveries = amqp.wait_changes(dummy_id, 3)
    check("deliveries of this Dummy", len(deliveries), 3)
    seqs = []
    bodies = {}
    for (method, properties, body), kind, dummy in zip(
        deliveries, ("created", "updated", "deleted"), (created, updated, updated)
    ):
        routing_key = f"dummy.{kind}"
        check(f"{routing_key}: exchange and routing key", (method.exchange, method.routing_key), (EXCHANGE, routing_key))
        _, event = contract.observe(
            f"AMQP {routing_key}", ("exchange", method.exchange, method.routing_key), body,
            properties.headers or {}, amqp_type=properties.type,
        )
        seq = event["seq"]
        check(f"{routing_key}: key order", (list(event), list(event["dummy"])), (["seq", "type", "dummy"], DUMMY_KEYS))
        check(f"{routing_key}: body type and dummy", (event["type"], event["dummy"]), (routing_key, dummy))
        check(f"{routing_key}: content_type", properties.content_type, "application/json")
        check(f"{routing_key}: delivery_mode", properties.delivery_mode, 2)
        check(f"{routing_key}: message_id", properties.message_id, f"dummy-event-{seq}")
        check(f"{routing_key}: type", properties.type, routing_key)
        check(f"{routing_key}: app_id", properties.app_id, "messaging-svc")
        header = properties.headers.get("seq")
        check(f"{routing_key}: header seq (an integer)", (isinstance(header, int), int(header or 0)), (True, seq))
        check(f"{routing_key}: timestamp within a minute", abs(time.time() - (properties.timestamp or 0)) < 60, True)
        seqs.append(seq)
        bodies[seq] = body
    check("seq grows with each change", seqs == sorted(seqs) and len(set(seqs)) == 3, True)

    # -- the same changes, and the states, on the MQTT topics --
    change_topics = [f"dummies/{dummy_id}/{kind}" for kind in ("created", "updated", "deleted")]
    subscriber.wait_for(f"a message on {change_topics[-1]}", lambda m: m.topic == change_topics[-1])
    with subscriber.changed:
        # Retained messages (retain flag set) predate the subscription: not this run's.
        mine = [m for m in subscriber.messages if m.topic.startswith(state_topic) and not m.retain]
    changes, states, seen = [], [], set()
    for message in mine:
        if message.topic == state_topic:
            if not states or states[-1].payload != message.payload:
                states.append(message)
        elif (json_or_none(message.payload) or {}).get("seq") not in seen:
            seen.add((json_or_none(message.payload) or {}).get("seq"))
            changes.append(message)
    check("change topics, in order", [m.topic for m in changes], change_topics)
    check("state messages", len(states), 3)
    check("QoS of every message", {m.qos for m in mine}, {1})
    for message, seq in zip(changes, seqs):
        contract.observe(f"MQTT {message.topic}", ("topic", message.topic), message.payload)
        check(f"{message.topic}: the AMQP body, byte for byte", message.payload == bodies[seq], True)
    for message, expected in zip(states, (created, updated, None)):
        _, payload = contract.observe(f"MQTT {message.topic} (live)", ("topic", message.topic), message.payload)
        check(f"{message.topic}: state", payload, expected if expected is not None else "")

    # -- presence --
    subscriber.wait_for(f"online on {PRESENCE}", lambda m: m.topic == PRESENCE and m.payload == b"online")
    with subscriber.changed:
        presences = [m for m in subscriber.messages if m.topic == PRESENCE]
    for message in presences:
        contract.observe(f"MQTT {PRESENCE} {message.payload!r}", ("topic", message.topic), message.payload)
    check(f"{PRESENCE} (subscriber): the last", presences[-1].payload, b"online")
    message = retained(mqtt_host, mqtt_port, PRESENCE, expect_one=True)
    contract.observe(f"retained {PRESENCE}", ("topic", message.topic), message.payload)
    check(f"new subscriber to {PRESENCE}: payload and retain flag", (message.payload, message.retain), (b"online", True))

    # -- what the document lists was all seen --
    contract.check_coverage()


def main():
    amqp_url = env("AMQP_URL")
    mqtt_host = env("MQTT_HOST")
    mqtt_port = int(env("MQTT_PORT"))
    asyncapi = env("ASYNCAPI")
    max_bytes = int(env("MESSAGING_MAX_BYTES", "65536"))

    def watchdog():
        print(f"FAIL still running after {WATCHDOG:.0f} s: something hangs", file=sys.stderr, flush=True)
        os._exit(2)

    timer = threading.Timer(WATCHDOG, watchdog)
    timer.daemon = True
    timer.start()

    amqp = subscriber = None
    try:
        contract = Contract(asyncapi)
        contract.check_document()
        amqp = Amqp(amqp_url, contract)
        print(f"ok  connected to {pika.URLParameters(amqp_url).host} vhost {pika.URLParameters(amqp_url).virtual_host!r}")
        amqp.wait_for_service()
        amqp.bind_changes()
        amqp.open_rpc()
        subscriber = Mqtt(mqtt_host, mqtt_port, "subscriber")
        subscriber.subscribe("dummies/#", "presence/#")
        run(contract, amqp, subscriber, mqtt_host, mqtt_port, max_bytes)
    except Exception as error:  # noqa: BLE001 - every failure ends the run the same way
        print(f"FAIL {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        if subscriber:
            subscriber.close()
        if amqp:
            amqp.close()
        timer.cancel()
    print("all messaging checks passed")


if __name__ == "__main__":
    main()
