//! gRPC to any server with reflection: the method's types are asked of the server
//! (`grpc.reflection.v1`), the JSON argument becomes a protobuf message of the input
//! type (prost-reflect), and the answers are printed as JSON again.
//!
//! ```text
//! $ protocols call --wire grpc dummy.v1.DummyService/GetDummy '{"id":2}'
//! → preface PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n (24 bytes: "this is HTTP/2")
//! → SETTINGS stream 0: ENABLE_PUSH=0, INITIAL_WINDOW_SIZE=2097152, MAX_FRAME_SIZE=16384 …
//! → HEADERS stream 1, END_HEADERS: HPACK block of 93 bytes (:method POST, :path, te, content-type …)
//! → DATA stream 1, 7 bytes
//! →   gRPC message: compressed 0, length 2: 08 02
//! ← HEADERS stream 1, END_HEADERS: HPACK block of 14 bytes
//! ← DATA stream 1 …
//! ← HEADERS stream 1, END_STREAM, END_HEADERS: HPACK block of 15 bytes   (the trailers: grpc-status)
//! ```

use std::collections::HashMap;

use anyhow::Context as _;
use futures_util::{StreamExt, stream};
use hyper_util::rt::TokioIo;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, MethodDescriptor};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use super::tap::{self, Dir, Tap, Transcript};
use super::{CallArgs, load};

/// A channel to `host` over a [`Tap`], recording into `transcript` if given.
async fn channel(host: &str, transcript: Option<Transcript>) -> anyhow::Result<Channel> {
    let target = host.to_owned();
    Endpoint::from_shared(format!("http://{host}"))?
        .connect_with_connector(tower::service_fn(move |_| {
            let (target, transcript) = (target.clone(), transcript.clone());
            async move { Tap::connect(&target, transcript).await.map(TokioIo::new) }
        }))
        .await
        .with_context(|| format!("cannot connect to {host}"))
}

/// Asks the server, by reflection, for the file that defines `service` and every file
/// it imports, and finds `method` in it.
async fn describe(
    channel: Channel,
    service: &str,
    method: &str,
) -> anyhow::Result<MethodDescriptor> {
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(service.to_owned())),
    };
    let mut answers = reflection
        .server_reflection_info(stream::iter([request]))
        .await
        .context("the server does not answer reflection (grpc.reflection.v1)")?
        .into_inner();
    let answer = answers
        .next()
        .await
        .context("reflection sent no answer")??
        .message_response
        .context("an empty reflection answer")?;
    let files = match answer {
        MessageResponse::FileDescriptorResponse(files) => files.file_descriptor_proto,
        MessageResponse::ErrorResponse(error) => {
            anyhow::bail!("reflection: {} ({})", error.error_message, error.error_code)
        }
        other => anyhow::bail!("reflection answered something else: {other:?}"),
    };
    // Google's well-known types (empty.proto, field_mask.proto, …) are in the global
    // pool already; a server need not send them.
    let mut pool = DescriptorPool::global();
    let files = files
        .iter()
        .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()))
        .collect::<Result<Vec<_>, _>>()?;
    pool.add_file_descriptor_protos(
        files
            .into_iter()
            .filter(|file| pool.get_file_by_name(file.name()).is_none())
            .collect::<Vec<_>>(),
    )
    .context("the files reflection sent do not make a whole set")?;
    let service = pool
        .get_service_by_name(service)
        .with_context(|| format!("no service {service} in what reflection sent"))?;
    let found = service.methods().find(|m| m.name() == method);
    found.with_context(|| {
        let names: Vec<String> = service.methods().map(|m| m.name().to_owned()).collect();
        format!(
            "{} has no method {method}; it has {}",
            service.full_name(),
            names.join(", ")
        )
    })
}

/// Encodes and decodes messages whose type is known only at run time.
#[derive(Clone)]
struct DynamicCodec {
    output: MessageDescriptor,
}

struct DynamicEncoder;

struct DynamicDecoder(MessageDescriptor);

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynamicEncoder;
    type Decoder = DynamicDecoder;

    fn encoder(&mut self) -> DynamicEncoder {
        DynamicEncoder
    }

    fn decoder(&mut self) -> DynamicDecoder {
        DynamicDecoder(self.output.clone())
    }
}

impl Encoder for DynamicEncoder {
    type Item = DynamicMessage;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: DynamicMessage,
        dst: &mut EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        item.encode(dst)
            .map_err(|e| tonic::Status::internal(format!("encoding the request: {e}")))
    }
}

impl Decoder for DynamicDecoder {
    type Item = DynamicMessage;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, tonic::Status> {
        let mut message = DynamicMessage::new(self.0.clone());
        message
            .merge(src)
            .map_err(|e| tonic::Status::internal(format!("decoding the answer: {e}")))?;
        Ok(Some(message))
    }
}

/// What to call, resolved.
#[derive(Clone)]
struct Call {
    method: MethodDescriptor,
    path: http::uri::PathAndQuery,
    messages: Vec<DynamicMessage>,
    metadata: Vec<(String, String)>,
}

impl Call {
    /// The message with the `-H` metadata; a key or value gRPC does not allow is an
    /// INVALID_ARGUMENT, before anything is sent.
    fn request<T>(&self, message: T) -> Result<tonic::Request<T>, tonic::Status> {
        let bad = |name: &str| {
            tonic::Status::invalid_argument(format!("metadata {name:?} is not allowed"))
        };
        let mut request = tonic::Request::new(message);
        for (name, value) in &self.metadata {
            if name.ends_with("-bin") {
                let key = MetadataKey::from_bytes(name.as_bytes()).map_err(|_| bad(name))?;
                request
                    .metadata_mut()
                    .insert_bin(key, MetadataValue::from_bytes(value.as_bytes()));
            } else {
                let key = MetadataKey::from_bytes(name.as_bytes()).map_err(|_| bad(name))?;
                request
                    .metadata_mut()
                    .insert(key, value.parse().map_err(|_| bad(name))?);
            }
        }
        Ok(request)
    }

    fn codec(&self) -> DynamicCodec {
        DynamicCodec {
            output: self.method.output(),
        }
    }
}

/// The messages the JSON argument makes: one, or for a client stream an array of them.
fn messages(method: &MethodDescriptor, json: &str) -> anyhow::Result<Vec<DynamicMessage>> {
    let parse = |value: &serde_json::Value| -> anyhow::Result<DynamicMessage> {
        DynamicMessage::deserialize(method.input(), value)
            .with_context(|| format!("{value} is not a {}", method.input().full_name()))
    };
    let value: serde_json::Value =
        serde_json::from_str(json).with_context(|| format!("the message is not JSON: {json}"))?;
    match value {
        serde_json::Value::Array(items) if method.is_client_streaming() => {
            items.iter().map(parse).collect()
        }
        value => Ok(vec![parse(&value)?]),
    }
}

/// Runs the call (or the load run) and prints the answers.
pub async fn run(args: &CallArgs) -> anyhow::Result<()> {
    let [target, rest @ ..] = args.target.as_slice() else {
        anyhow::bail!(
            "call grpc SERVICE/METHOD [JSON], e.g. call grpc dummy.v1.DummyService/GetDummy '{{\"id\":2}}'"
        );
    };
    let (service, method) = target
        .trim_start_matches('/')
        .split_once('/')
        .with_context(|| format!("name the method as SERVICE/METHOD, not {target:?}"))?;
    let host = args.host();
    let method = describe(channel(&host, None).await?, service, method).await?;
    let json = if rest.is_empty() {
        "{}".to_owned()
    } else {
        rest.join(" ")
    };
    let call = Call {
        path: format!("/{service}/{}", method.name()).parse()?,
        messages: messages(&method, &json)?,
        metadata: args.header_pairs()?,
        method,
    };

    if args.count > 1 {
        if call.method.is_client_streaming() || call.method.is_server_streaming() {
            anyhow::bail!("--count repeats unary calls only");
        }
        let opening = (&host, &call);
        return load::run(args.count, args.concurrency, || async move {
            let (host, call) = opening;
            Ok(Repeat {
                grpc: tonic::client::Grpc::new(channel(host, None).await?),
                call: call.clone(),
            })
        })
        .await;
    }

    let transcript = Transcript::default();
    let channel = channel(&host, args.wire.then(|| transcript.clone())).await?;
    let outcome = call_once(channel, &call).await;
    if args.wire {
        print_wire(&transcript);
    }
    outcome
}

/// One worker of a load run.
struct Repeat {
    grpc: tonic::client::Grpc<Channel>,
    call: Call,
}

impl load::Caller for Repeat {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.grpc.ready().await?;
        let request = self.call.request(self.call.messages[0].clone())?;
        self.grpc
            .unary(request, self.call.path.clone(), self.call.codec())
            .await?;
        Ok(())
    }
}

fn print_message(message: &DynamicMessage) {
    let json = serde_json::to_value(message).expect("a message prints as JSON");
    println!(
        "{}",
        serde_json::to_string_pretty(&json).expect("JSON prints")
    );
}

fn print_metadata(label: &str, metadata: &tonic::metadata::MetadataMap) {
    for (name, value) in metadata.clone().into_headers() {
        if let Some(name) = name {
            println!(
                "{label} {name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            );
        }
    }
}

/// One call of any kind; the status is printed, and an error status is the error.
async fn call_once(channel: Channel, call: &Call) -> anyhow::Result<()> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let path = call.path.clone();
    let codec = call.codec();
    let outcome: Result<(), tonic::Status> = async {
        match (
            call.method.is_client_streaming(),
            call.method.is_server_streaming(),
        ) {
            (false, false) => {
                let response = grpc
                    .unary(call.request(call.messages[0].clone())?, path, codec)
                    .await?;
                print_metadata("header", response.metadata());
                print_message(response.get_ref());
            }
            (false, true) => {
                let response = grpc
                    .server_streaming(call.request(call.messages[0].clone())?, path, codec)
                    .await?;
                print_metadata("header", response.metadata());
                let mut messages = response.into_inner();
                while let Some(message) = messages.message().await? {
                    print_message(&message);
                }
                if let Some(trailers) = messages.trailers().await? {
                    print_metadata("trailer", &trailers);
                }
            }
            (true, server_streaming) => {
                let outgoing = stream::iter(call.messages.clone());
                if server_streaming {
                    let response = grpc.streaming(call.request(outgoing)?, path, codec).await?;
                    let mut messages = response.into_inner();
                    while let Some(message) = messages.message().await? {
                        print_message(&message);
                    }
                } else {
                    let response = grpc
                        .client_streaming(call.request(outgoing)?, path, codec)
                        .await?;
                    print_message(response.get_ref());
                }
            }
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            println!("status: OK");
            Ok(())
        }
        Err(status) => {
            println!("status: {:?} {:?}", status.code(), status.message());
            if !status.details().is_empty() {
                println!(
                    "details: {} bytes of google.rpc.Status ({})",
                    status.details().len(),
                    tap::hex(status.details(), 48)
                );
            }
            print_metadata("metadata", status.metadata());
            anyhow::bail!("the call ended with {:?}", status.code())
        }
    }
}

/// The names of HTTP/2's frame types (RFC 9113 section 6).
fn frame_type(kind: u8) -> &'static str {
    match kind {
        0 => "DATA",
        1 => "HEADERS",
        2 => "PRIORITY",
        3 => "RST_STREAM",
        4 => "SETTINGS",
        5 => "PUSH_PROMISE",
        6 => "PING",
        7 => "GOAWAY",
        8 => "WINDOW_UPDATE",
        9 => "CONTINUATION",
        _ => "unknown",
    }
}

/// A frame's flags, named for its type.
fn flags(kind: u8, flags: u8) -> Vec<&'static str> {
    let mut names = Vec::new();
    match kind {
        0 | 1 if flags & 0x1 != 0 => names.push("END_STREAM"),
        4 | 6 if flags & 0x1 != 0 => names.push("ACK"),
        _ => {}
    }
    if matches!(kind, 1 | 5 | 9) && flags & 0x4 != 0 {
        names.push("END_HEADERS");
    }
    if matches!(kind, 0 | 1 | 5) && flags & 0x8 != 0 {
        names.push("PADDED");
    }
    if kind == 1 && flags & 0x20 != 0 {
        names.push("PRIORITY");
    }
    names
}

/// What a SETTINGS frame's payload says.
fn settings(payload: &[u8]) -> String {
    let names = |id: u16| match id {
        1 => "HEADER_TABLE_SIZE",
        2 => "ENABLE_PUSH",
        3 => "MAX_CONCURRENT_STREAMS",
        4 => "INITIAL_WINDOW_SIZE",
        5 => "MAX_FRAME_SIZE",
        6 => "MAX_HEADER_LIST_SIZE",
        8 => "ENABLE_CONNECT_PROTOCOL",
        _ => "unknown",
    };
    payload
        .chunks_exact(6)
        .map(|s| {
            let id = u16::from_be_bytes([s[0], s[1]]);
            let value = u32::from_be_bytes([s[2], s[3], s[4], s[5]]);
            format!("{}={value}", names(id))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses one direction's bytes into HTTP/2 frames as they arrive, and each stream's
/// DATA into gRPC's length-prefixed messages.
#[derive(Default)]
struct FrameReader {
    buffer: Vec<u8>,
    preface_seen: bool,
    grpc: HashMap<u32, Vec<u8>>,
}

impl FrameReader {
    fn feed(&mut self, dir: Dir, bytes: &[u8]) {
        const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        self.buffer.extend_from_slice(bytes);
        if dir == Dir::Sent && !self.preface_seen {
            if self.buffer.len() < PREFACE.len() {
                return;
            }
            self.preface_seen = true;
            if self.buffer.starts_with(PREFACE) {
                println!(
                    "{} preface {} (24 bytes: \"this is HTTP/2\")",
                    dir.arrow(),
                    tap::escape(PREFACE, 30)
                );
                self.buffer.drain(..PREFACE.len());
            }
        }
        while self.buffer.len() >= 9 {
            let length = usize::from(self.buffer[0]) << 16
                | usize::from(self.buffer[1]) << 8
                | usize::from(self.buffer[2]);
            if self.buffer.len() < 9 + length {
                return;
            }
            let frame: Vec<u8> = self.buffer.drain(..9 + length).collect();
            let (kind, flag_bits) = (frame[3], frame[4]);
            let stream = u32::from_be_bytes([frame[5] & 0x7f, frame[6], frame[7], frame[8]]);
            let payload = &frame[9..];
            let named = flags(kind, flag_bits);
            let named = if named.is_empty() {
                String::new()
            } else {
                format!(", {}", named.join(", "))
            };
            let what = match kind {
                1 | 9 => format!(": HPACK block of {length} bytes (the header fields, compressed)"),
                4 if flag_bits & 1 == 0 => format!(": {}", settings(payload)),
                8 if payload.len() == 4 => format!(
                    ": +{} bytes of flow-control window",
                    u32::from_be_bytes([payload[0] & 0x7f, payload[1], payload[2], payload[3]])
                ),
                3 | 7 if payload.len() >= 4 => {
                    let at = if kind == 7 { 4 } else { 0 };
                    let code = payload
                        .get(at..at + 4)
                        .map_or(0, |c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                    format!(": error code {code}")
                }
                6 => format!(": {}", tap::hex(payload, 8)),
                _ => format!(", {length} bytes"),
            };
            println!(
                "{} {} stream {stream}{named}{what}",
                dir.arrow(),
                frame_type(kind)
            );
            if kind == 0 {
                self.grpc_messages(dir, stream, payload);
            }
        }
    }

    /// gRPC's framing inside DATA: 1 byte "compressed", 4 bytes length, the message.
    fn grpc_messages(&mut self, dir: Dir, stream: u32, data: &[u8]) {
        let pending = self.grpc.entry(stream).or_default();
        pending.extend_from_slice(data);
        while pending.len() >= 5 {
            let length =
                u32::from_be_bytes([pending[1], pending[2], pending[3], pending[4]]) as usize;
            if pending.len() < 5 + length {
                return;
            }
            let message: Vec<u8> = pending.drain(..5 + length).collect();
            println!(
                "{}   gRPC message: prefix {} (compressed {}, length {length}), protobuf: {}",
                dir.arrow(),
                tap::hex(&message[..5], 5),
                message[0],
                tap::hex(&message[5..], 32)
            );
        }
    }
}

fn print_wire(transcript: &Transcript) {
    let chunks = transcript.lock().expect("transcript lock").clone();
    let mut sent = FrameReader::default();
    let mut received = FrameReader::default();
    for (dir, bytes) in &chunks {
        match dir {
            Dir::Sent => sent.feed(*dir, bytes),
            Dir::Received => received.feed(*dir, bytes),
        }
    }
    let (out, back) = tap::totals(transcript);
    println!(
        "-- {out} bytes sent, {back} received, over plain TCP (no TLS): HTTP/2 in cleartext (h2c), binary frames of 9-byte headers"
    );
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_flags_and_settings_are_named() {
        assert_eq!(frame_type(1), "HEADERS");
        assert_eq!(flags(1, 0x5), ["END_STREAM", "END_HEADERS"]);
        assert_eq!(flags(4, 0x1), ["ACK"]);
        assert_eq!(
            settings(&[0, 2, 0, 0, 0, 0, 0, 4, 0, 0x20, 0, 0]),
            "ENABLE_PUSH=0, INITIAL_WINDOW_SIZE=2097152"
        );
    }
}
