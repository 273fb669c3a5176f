//! REST, JSON-RPC and XML-RPC: one HTTP/1.1 exchange on hyper, over a [`Tap`].
//!
//! ```text
//! $ protocols call --wire jsonrpc add 2 3
//! → POST /api/rpc/json HTTP/1.1\r\n
//! → content-type: application/json\r\n
//! → host: localhost:8080\r\n
//! → content-length: 53\r\n
//! → \r\n
//! → body, 53 bytes: {"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}
//! ← HTTP/1.1 200 OK\r\n
//! …
//! ```

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::tap::{self, Dir, Tap, Transcript};
use super::{CallArgs, Protocol, load};

/// One HTTP request, as `call` builds it.
#[derive(Debug, Clone)]
pub struct Request {
    method: http::Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A JSON value if the argument parses as one, else the text itself.
fn json_or_text(arg: &str) -> Value {
    serde_json::from_str(arg).unwrap_or_else(|_| Value::String(arg.to_owned()))
}

/// An XML-RPC value for a command-line argument: an integer, a double, a boolean, or
/// else a string.
fn xml_value(arg: &str) -> dxr::Value {
    if let Ok(n) = arg.parse::<i32>() {
        dxr::Value::Integer(n)
    } else if let Ok(x) = arg.parse::<f64>() {
        dxr::Value::Double(x)
    } else if let Ok(b) = arg.parse::<bool>() {
        dxr::Value::Boolean(b)
    } else {
        dxr::Value::String(arg.to_owned())
    }
}

/// The request the arguments ask for.
fn request(args: &CallArgs) -> anyhow::Result<Request> {
    let mut headers = Vec::new();
    let (method, path, body) = match args.protocol {
        Protocol::Rest => {
            let [method, path, rest @ ..] = args.target.as_slice() else {
                anyhow::bail!(
                    "call rest METHOD PATH [BODY], e.g. call rest GET /api/rest/dummie/2"
                );
            };
            let body = rest.join(" ");
            if !body.is_empty() {
                let kind = if serde_json::from_str::<Value>(&body).is_ok() {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                headers.push(("content-type".to_owned(), kind.to_owned()));
            }
            let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .with_context(|| format!("{method:?} is not an HTTP method"))?;
            (method, path.clone(), body.into_bytes())
        }
        Protocol::Jsonrpc => {
            let [method, params @ ..] = args.target.as_slice() else {
                anyhow::bail!("call jsonrpc METHOD [PARAM…], e.g. call jsonrpc add 2 3");
            };
            let params = Value::Array(params.iter().map(|p| json_or_text(p)).collect());
            let call = clients::wire::jsonrpc::call(method, &params);
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
            (http::Method::POST, call.path, call.body)
        }
        Protocol::Xmlrpc => {
            let [method, params @ ..] = args.target.as_slice() else {
                anyhow::bail!("call xmlrpc METHOD [PARAM…], e.g. call xmlrpc reverse live");
            };
            let call =
                clients::wire::xmlrpc::call(method, params.iter().map(|p| xml_value(p)).collect());
            headers.push(("content-type".to_owned(), "text/xml".to_owned()));
            (http::Method::POST, call.path, call.body)
        }
        Protocol::Graphql => {
            let [document, variables @ ..] = args.target.as_slice() else {
                anyhow::bail!(
                    "call graphql DOCUMENT [VARIABLES], e.g. call graphql '{{ dummiesCount }}'"
                );
            };
            let variables = if variables.is_empty() {
                Value::Object(serde_json::Map::new())
            } else {
                serde_json::from_str(&variables.join(" "))
                    .context("the variables are not a JSON object")?
            };
            let call = clients::wire::graphql::call(document, &variables);
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
            headers.push((
                "accept".to_owned(),
                "application/graphql-response+json, application/json".to_owned(),
            ));
            (http::Method::POST, call.path, call.body)
        }
        Protocol::Sse => {
            let path = args
                .target
                .first()
                .map_or("/api/sse/dummies", String::as_str);
            headers.push(("accept".to_owned(), "text/event-stream".to_owned()));
            (http::Method::GET, path.to_owned(), Vec::new())
        }
        Protocol::Grpc | Protocol::Ws | Protocol::Amqp | Protocol::Mqtt => {
            unreachable!("not an HTTP/1.1 call")
        }
    };
    for (name, value) in args.header_pairs()? {
        headers.retain(|(existing, _)| *existing != name);
        headers.push((name, value));
    }
    Ok(Request {
        method,
        path: if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        },
        headers,
        body,
    })
}

/// What came back.
struct Answer {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

/// One connection, ready for requests.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    transcript: Transcript,
    host: String,
}

impl Connection {
    async fn open(host: &str, recording: bool) -> anyhow::Result<Connection> {
        let transcript = Transcript::default();
        let stream = Tap::connect(host, recording.then(|| transcript.clone()))
            .await
            .with_context(|| format!("cannot connect to {host}"))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP/1.1 handshake")?;
        tokio::spawn(connection);
        Ok(Connection {
            sender,
            transcript,
            host: host.to_owned(),
        })
    }

    /// Sends the request and waits for the answer's head, at most 30 s.
    async fn exchange(
        &mut self,
        request: &Request,
    ) -> anyhow::Result<http::Response<hyper::body::Incoming>> {
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(&request.path)
            .header(http::header::HOST, &self.host)
            .header(
                http::header::USER_AGENT,
                concat!("protocols-call/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let outgoing = builder.body(Full::new(Bytes::from(request.body.clone())))?;
        self.sender.ready().await.context("the connection closed")?;
        tokio::time::timeout(Duration::from_secs(30), self.sender.send_request(outgoing))
            .await
            .context("no answer within 30 s")?
            .context("the exchange failed")
    }

    /// The whole exchange: the answer with its body read.
    async fn send(&mut self, request: &Request) -> anyhow::Result<Answer> {
        let response = self.exchange(request).await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .context("reading the answer")?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// One worker of a load run: its connection and the request it repeats.
struct Repeat {
    connection: Connection,
    request: Request,
}

impl load::Caller for Repeat {
    async fn call(&mut self) -> anyhow::Result<()> {
        let answer = self.connection.send(&self.request).await?;
        if answer.status.is_client_error() || answer.status.is_server_error() {
            anyhow::bail!("answered {}", answer.status);
        }
        Ok(())
    }
}

/// Runs the call (or the load run) and prints the answer.
pub async fn run(args: &CallArgs) -> anyhow::Result<()> {
    let request = request(args)?;
    let host = args.host();
    if args.count > 1 {
        let opening = (&host, &request);
        return load::run(args.count, args.concurrency, || async move {
            let (host, request) = opening;
            Ok(Repeat {
                connection: Connection::open(host, false).await?,
                request: request.clone(),
            })
        })
        .await;
    }
    let mut connection = Connection::open(&host, true).await?;
    let answer = connection.send(&request).await?;
    if args.wire {
        print_wire(&connection.transcript);
    }
    print_answer(&answer);
    if answer.status.is_client_error() || answer.status.is_server_error() {
        anyhow::bail!("the server answered {}", answer.status);
    }
    Ok(())
}

/// Server-Sent Events: the stream's lines printed as they arrive, until it ends, Ctrl-C,
/// or `--events` events have come (each ends with an empty line).
pub async fn events(args: &CallArgs) -> anyhow::Result<()> {
    let request = request(args)?;
    let host = args.host();
    let mut connection = Connection::open(&host, false).await?;
    let response = connection.exchange(&request).await?;
    println!("{:?} {}", response.version(), response.status());
    for (name, value) in response.headers() {
        println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    println!();
    if !response.status().is_success() {
        let body = response.into_body().collect().await?.to_bytes();
        println!("{}", String::from_utf8_lossy(&body));
        anyhow::bail!("the server refused the stream");
    }
    let mut body = response.into_body();
    let (mut seen, mut has_data) = (0u32, false);
    let mut pending = String::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        pending.push_str(&String::from_utf8_lossy(&data));
        // Whole lines as they come; an empty line ends an event, which counts when it
        // carried data (not a comment or a `retry:` alone).
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            print!("{line}");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.starts_with("data:") {
                has_data = true;
            } else if line.is_empty() && has_data {
                (seen, has_data) = (seen + 1, false);
                if args.events.is_some_and(|wanted| seen >= wanted) {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// The answer as a learner wants it: the status line and headers, then the body, JSON
/// pretty.
fn print_answer(answer: &Answer) {
    println!("{:?} {}", http::Version::HTTP_11, answer.status);
    for (name, value) in &answer.headers {
        println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    println!();
    match serde_json::from_slice::<Value>(&answer.body) {
        Ok(json) => println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("JSON prints")
        ),
        Err(_) => match std::str::from_utf8(&answer.body) {
            Ok(text) => println!("{text}"),
            Err(_) => println!(
                "({} bytes, not text: {})",
                answer.body.len(),
                tap::hex(&answer.body, 64)
            ),
        },
    }
}

/// The transcript of one HTTP/1.1 exchange: each head line with its CRLF, each body
/// with its length, and a chunked body chunk by chunk.
fn print_wire(transcript: &Transcript) {
    let (sent, received) = tap::totals(transcript);
    let chunks = transcript.lock().expect("transcript lock").clone();
    for dir in [Dir::Sent, Dir::Received] {
        let bytes: Vec<u8> = chunks
            .iter()
            .filter(|(d, _)| *d == dir)
            .flat_map(|(_, b)| b.iter().copied())
            .collect();
        let Some(end) = tap::head_end(&bytes) else {
            println!("{} {}", dir.arrow(), tap::escape(&bytes, 2_000));
            continue;
        };
        let (head, body) = bytes.split_at(end);
        tap::print_head(dir, head);
        let chunked = String::from_utf8_lossy(head)
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        if chunked {
            print_chunks(dir, body);
        } else if !body.is_empty() {
            println!(
                "{} body, {} bytes: {}",
                dir.arrow(),
                body.len(),
                tap::escape(body, 2_000)
            );
        }
    }
    println!(
        "-- {sent} bytes sent, {received} received, over plain TCP (no TLS); HTTP/1.1: a text head, an empty line, the body"
    );
    println!();
}

/// A chunked body (RFC 9112 section 7.1): each chunk's size line in hex, its bytes, and
/// the empty last chunk.
fn print_chunks(dir: Dir, mut body: &[u8]) {
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size_line = String::from_utf8_lossy(&body[..line_end]).into_owned();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        let data_start = line_end + 2;
        let data_end = (data_start + size).min(body.len());
        println!(
            "{} chunk: size line \"{size_line}\\r\\n\" = {size} bytes{}",
            dir.arrow(),
            if size == 0 {
                " (the last chunk: the body ends)"
            } else {
                ""
            }
        );
        if size > 0 {
            println!(
                "{}   {}\\r\\n",
                dir.arrow(),
                tap::escape(&body[data_start..data_end], 400)
            );
        }
        body = body.get(data_end + 2..).unwrap_or_default();
        if size == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_become_values() {
        assert_eq!(json_or_text("2"), serde_json::json!(2));
        assert_eq!(json_or_text("{\"a\":1}"), serde_json::json!({"a": 1}));
        assert_eq!(json_or_text("live"), serde_json::json!("live"));
        assert_eq!(xml_value("2"), dxr::Value::Integer(2));
        assert_eq!(xml_value("2.5"), dxr::Value::Double(2.5));
        assert_eq!(xml_value("true"), dxr::Value::Boolean(true));
        assert_eq!(xml_value("live"), dxr::Value::String("live".into()));
    }
}
