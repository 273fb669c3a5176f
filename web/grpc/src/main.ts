// The /grpc page: calls the gRPC services over gRPC-Web from the browser with Connect-ES,
// and shows, beside the decoded messages, the bytes of every gRPC-Web frame that was sent
// and received.
//
// A gRPC-Web body is a sequence of frames, each one
//
//   1 byte   flag: 0x00 a message, 0x80 the trailers (0x01 would mean "compressed")
//   4 bytes  length of what follows, big-endian
//   N bytes  a protobuf message, or for the trailers "grpc-status:0\r\ngrpc-message:\r\n"
//
// Connect-ES does the framing and the protobuf encoding; this script only watches the
// bytes go by, through the transport's `fetch` option (see `capturingFetch`).
import { create, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Greeter, HelloRequestSchema, HelloResponseSchema } from "./gen/greeter_pb";
import { EchoResponseSchema, EchoService, ServerStreamingEchoRequestSchema } from "./gen/echo/v1/echo_pb";
import { DummySchema, DummyService, GetDummyRequestSchema, ListDummiesRequestSchema } from "./gen/dummy/v1/dummy_pb";

// ---- capturing the bytes ----

/** What one HTTP exchange of a call looked like on the wire. */
interface Capture {
  method: string;
  url: string;
  requestHeaders: [string, string][];
  sent: Uint8Array;
  status?: number;
  /** The response headers the browser lets the page see (CORS exposes only some). */
  responseHeaders: [string, string][];
  received: Uint8Array;
  /** Settles when the whole response body has been read. */
  done: Promise<void>;
  /** Called whenever more bytes arrived, so the page can show a stream as it flows. */
  onUpdate: () => void;
}

function newCapture(onUpdate: () => void): Capture {
  return {
    method: "", url: "", requestHeaders: [], sent: new Uint8Array(0),
    responseHeaders: [], received: new Uint8Array(0), done: Promise.resolve(), onUpdate,
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * A `fetch` for the transport that records the request body (Connect-ES hands it over
 * as one Uint8Array: gRPC-Web in a browser sends only unary and server-streaming calls,
 * so the request is always exactly one frame) and tees the response body: one branch
 * goes to Connect-ES, which decodes it, the other one is read here into `received`.
 */
function capturingFetch(capture: Capture): typeof globalThis.fetch {
  return async (input, init) => {
    capture.url = input instanceof Request ? input.url : String(input);
    capture.method = init?.method ?? "GET";
    capture.requestHeaders = [...new Headers(init?.headers).entries()];
    const body = init?.body;
    if (body instanceof Uint8Array) capture.sent = body;
    else if (body instanceof ArrayBuffer) capture.sent = new Uint8Array(body);
    else if (body != null) capture.sent = new Uint8Array(await new Response(body as BodyInit).arrayBuffer());
    capture.onUpdate();

    const response = await globalThis.fetch(input, init);
    capture.status = response.status;
    capture.responseHeaders = [...response.headers.entries()];
    capture.onUpdate();
    if (!response.body) return response;
    const [forConnect, forPage] = response.body.tee();
    capture.done = (async () => {
      const reader = forPage.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        capture.received = concat(capture.received, value);
        capture.onUpdate();
      }
    })().catch(() => { /* aborted: show what came */ });
    return new Response(forConnect, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

// ---- reading frames back out of the bytes ----

interface Frame {
  flag: number;
  /** The length the header announces. */
  length: number;
  /** The 5 header bytes plus as much of the payload as has arrived. */
  bytes: Uint8Array;
  complete: boolean;
}

function parseFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 5) {
      frames.push({ flag: bytes[at], length: -1, bytes: bytes.subarray(at), complete: false });
      break;
    }
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0, false);
    const end = Math.min(at + 5 + length, bytes.length);
    frames.push({ flag: bytes[at], length, bytes: bytes.subarray(at, end), complete: end === at + 5 + length });
    at = end;
  }
  return frames;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One line per frame: its kind, then its bytes (flag, length and payload coloured apart). */
function renderFrames(container: HTMLElement, bytes: Uint8Array, pending: boolean) {
  container.replaceChildren();
  const frames = parseFrames(bytes);
  if (frames.length === 0) {
    container.append(el("div", "none", pending ? "…" : "(no frames: a trailers-only response, whose status came in the HTTP headers above)"));
    return;
  }
  for (const frame of frames) {
    const trailers = (frame.flag & 0x80) !== 0;
    const line = el("div", "frame");
    line.dataset.kind = trailers ? "trailers" : "data";
    line.append(el("span", "kind", trailers ? "trailers" : "data"));
    const hexEl = el("span", "hex");
    hexEl.append(el("span", "flag", hex(frame.bytes.subarray(0, 1))));
    if (frame.bytes.length > 1) hexEl.append(" ", el("span", "len", hex(frame.bytes.subarray(1, 5))));
    if (frame.bytes.length > 5) hexEl.append(" ", el("span", "payload", hex(frame.bytes.subarray(5))));
    line.append(hexEl);
    let note = `flag 0x${frame.flag.toString(16).padStart(2, "0")}${frame.flag & 1 ? " (compressed)" : ""}`;
    if (frame.length >= 0) note += `, length ${frame.length} byte${frame.length === 1 ? "" : "s"}`;
    if (!frame.complete) note += ", incomplete so far";
    if (trailers) {
      const text = new TextDecoder().decode(frame.bytes.subarray(5));
      note += ` = ${JSON.stringify(text)}`;
    }
    line.append(el("span", "note", note));
    container.append(line);
  }
}

// ---- the page ----

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => document.getElementById(id) as T;

function defaultServer(): string {
  const fromQuery = new URLSearchParams(location.search).get("server");
  return fromQuery || `${location.protocol}//${location.hostname}:50051`;
}

function transportFor(capture: Capture): Transport {
  const baseUrl = $("server").value.trim().replace(/\/+$/, "");
  return createGrpcWebTransport({ baseUrl, fetch: capturingFetch(capture) });
}

/** An entry in #log for one call, updated while the call runs. */
class Entry {
  readonly section = el("section", "call");
  private readonly http = el("pre", "http");
  private readonly sent = el("div", "frames frames-sent");
  private readonly received = el("div", "frames frames-received");
  private readonly result = el("pre", "result", "…");
  readonly capture: Capture;
  private finished = false;

  constructor(rpc: string, path: string, kind: string, request: unknown) {
    this.section.dataset.rpc = rpc;
    const head = el("h3");
    head.append(el("code", "", path), ` ${kind}`);
    const grid = el("div", "grid");
    const col = (title: string, body: HTMLElement) => {
      const div = el("div");
      div.append(el("h4", "", title), body);
      return div;
    };
    grid.append(col("Frames sent", this.sent), col("Frames received", this.received));
    this.section.append(
      head,
      el("div", "request", `request ${JSON.stringify(request)} (fields at their default value are not sent)`),
      this.http,
      grid,
      el("h4", "", "Decoded"),
      this.result,
    );
    $("log").prepend(this.section);
    this.capture = newCapture(() => this.renderWire());
  }

  renderWire() {
    const c = this.capture;
    const lines = [`${c.method} ${c.url}`, ...c.requestHeaders.map(([k, v]) => `  ${k}: ${v}`)];
    if (c.status !== undefined) {
      lines.push(`← HTTP ${c.status}`, ...c.responseHeaders.map(([k, v]) => `  ${k}: ${v}`));
    }
    this.http.textContent = lines.join("\n");
    renderFrames(this.sent, c.sent, !this.finished);
    renderFrames(this.received, c.received, !this.finished);
  }

  showResult(value: unknown) {
    this.result.textContent = JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
  }

  async finish(error?: unknown) {
    if (error !== undefined) {
      const e = ConnectError.from(error);
      this.section.classList.add("error");
      this.result.textContent = `error: grpc-status ${e.code} (${Code[e.code]}): ${e.rawMessage}`;
    }
    await this.capture.done;
    this.finished = true;
    this.renderWire();
    this.section.dataset.done = "true";
  }
}

// Proto3 JSON, with the .proto's own field names (like the REST API's keys) and every
// field shown, so a 0 or a false that protobuf leaves off the wire is still visible.
const asJson = <D extends DescMessage>(schema: D, message: MessageShape<D>) =>
  toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true });

async function unary<I extends DescMessage, O extends DescMessage>(
  rpc: string, path: string, inSchema: I, outSchema: O, request: MessageShape<I>,
  call: (transport: Transport, request: MessageShape<I>) => Promise<MessageShape<O>>,
) {
  const entry = new Entry(rpc, path, "(unary)", asJson(inSchema, request));
  try {
    entry.showResult(asJson(outSchema, await call(transportFor(entry.capture), request)));
    await entry.finish();
  } catch (e) {
    await entry.finish(e);
  }
}

async function serverStream<I extends DescMessage, O extends DescMessage>(
  rpc: string, path: string, inSchema: I, outSchema: O, request: MessageShape<I>,
  call: (transport: Transport, request: MessageShape<I>) => AsyncIterable<MessageShape<O>>,
) {
  const entry = new Entry(rpc, path, "(server streaming)", asJson(inSchema, request));
  const messages: unknown[] = [];
  entry.showResult(messages);
  try {
    for await (const message of call(transportFor(entry.capture), request)) {
      messages.push(asJson(outSchema, message));
      entry.showResult(messages);
    }
    await entry.finish();
  } catch (e) {
    await entry.finish(e);
  }
}

function wire() {
  $("server").value = defaultServer();

  $("say-hello").addEventListener("click", () =>
    unary("SayHello", "/app.Greeter/SayHello", HelloRequestSchema, HelloResponseSchema,
      create(HelloRequestSchema, { name: $("name").value }),
      (t, req) => createClient(Greeter, t).sayHello(req)));

  $("echo-stream").addEventListener("click", () =>
    serverStream("ServerStreamingEcho", "/echo.v1.EchoService/ServerStreamingEcho",
      ServerStreamingEchoRequestSchema, EchoResponseSchema,
      create(ServerStreamingEchoRequestSchema, {
        message: $("echo-text").value,
        delayMs: Math.max(0, Math.min(10000, Number($("echo-delay").value) || 0)),
      }),
      (t, req) => createClient(EchoService, t).serverStreamingEcho(req)));

  $("get-dummy").addEventListener("click", () => {
    let id = 0n;
    try { id = BigInt($("dummy-id").value.trim() || "0"); } catch { /* not a number: ask for 0, get NOT_FOUND */ }
    unary("GetDummy", "/dummy.v1.DummyService/GetDummy", GetDummyRequestSchema, DummySchema,
      create(GetDummyRequestSchema, { id }),
      (t, req) => createClient(DummyService, t).getDummy(req));
  });

  $("list-dummies").addEventListener("click", () =>
    serverStream("ListDummies", "/dummy.v1.DummyService/ListDummies", ListDummiesRequestSchema, DummySchema,
      create(ListDummiesRequestSchema, { limit: 5 }),
      (t, req) => createClient(DummyService, t).listDummies(req)));

  $("clear").addEventListener("click", () => $("log").replaceChildren());

  document.body.dataset.ready = "true";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
else wire();
