//! `protocols call`: one client for every protocol, instead of curl, grpcurl and
//! websocat together, that can show the exact bytes both ways.
//!
//! ```text
//! protocols call rest GET /api/rest/dummie/2
//! protocols call rest POST /api/rest/dummie '{"day":2,"weekday":"Tuesday","month":"May","year":1990}'
//! protocols call jsonrpc add 2 3
//! protocols call xmlrpc reverse live
//! protocols call grpc dummy.v1.DummyService/GetDummy '{"id":2}'      (any server with reflection)
//! protocols call ws /api/ws/echo/ '{"message":"hi"}'                 (no message: type lines)
//! protocols call graphql '{ dummiesCount }'                           (queries and mutations)
//! protocols call sse /api/sse/dummies --events 3                      (the raw event lines)
//! protocols call amqp add 2 3                                         (JSON-RPC over RabbitMQ)
//! protocols call --events 3 mqtt 'dummies/#'                          (MQTT on Mosquitto)
//! ```
//!
//! - `--wire` prints what went over the connection, annotated: HTTP/1.1 heads and
//!   bodies (and the chunked framing), HTTP/2 frames with their HPACK block sizes and
//!   the 5-byte prefix of each gRPC message, WebSocket frame headers with their masks.
//!   The bytes are taken under the client, at the socket ([`tap`]), so they are what
//!   really travelled.
//! - `--count N --concurrency C` repeats the call N times over C connections and
//!   prints the latencies ([`load`]).
//! - `--host` points anywhere: `protocols serve` or the gateway (`localhost:8080`, the
//!   default; `localhost:50051` for gRPC), a service's own port, a remote server.
//!
//! Every connection here is plain TCP: no TLS (the summary says so).

mod broker;
mod grpc;
mod http;
mod load;
mod tap;
mod ws;

use clap::{Args, ValueEnum};
use runtime::RuntimeArgs;

/// The protocols `call` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// HTTP/1.1: METHOD PATH [BODY]
    #[value(alias = "http")]
    Rest,
    /// JSON-RPC 2.0 on /api/rpc/json: METHOD [PARAM…] (each JSON if it parses, else a string)
    Jsonrpc,
    /// XML-RPC on /api/rpc/xml: METHOD [PARAM…] (integers, doubles, booleans, else strings)
    Xmlrpc,
    /// gRPC through server reflection: SERVICE/METHOD [JSON]
    Grpc,
    /// WebSocket: PATH [MESSAGE…]; with no message, each line typed is sent
    Ws,
    /// GraphQL over HTTP on /api/graphql: DOCUMENT [VARIABLES as JSON]
    Graphql,
    /// Server-Sent Events: [PATH] (default /api/sse/dummies), printed as they come
    Sse,
    /// AMQP to RabbitMQ: METHOD [PARAM…] over messaging-svc's queue dummies.rpc; with
    /// --events, [BINDING] (default dummy.#): the changes on the exchange dummies
    Amqp,
    /// MQTT to Mosquitto: [FILTER…] (default dummies/#), the messages as they come
    Mqtt,
}

/// `call`'s settings.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Which protocol to speak.
    #[arg(value_enum)]
    pub protocol: Protocol,

    /// What to call, and with what (see each protocol above).
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub target: Vec<String>,

    /// The server, HOST:PORT (default localhost:8080, gRPC localhost:50051).
    #[arg(long)]
    pub host: Option<String>,

    /// An extra header or gRPC metadata entry, NAME:VALUE (repeatable).
    #[arg(short = 'H', long = "header")]
    pub headers: Vec<String>,

    /// Show the bytes both ways, annotated.
    #[arg(long)]
    pub wire: bool,

    /// Repeat the call this many times and print the latencies.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,

    /// Connections the repeated calls share out (with --count).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: u32,

    /// SSE, AMQP, MQTT: stop after this many events (default: until the stream ends or
    /// Ctrl-C).
    #[arg(long)]
    pub events: Option<u32>,

    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

impl CallArgs {
    fn host(&self) -> String {
        self.host.clone().unwrap_or_else(|| {
            match self.protocol {
                Protocol::Grpc => "localhost:50051",
                _ => "localhost:8080",
            }
            .to_owned()
        })
    }

    /// The `-H NAME:VALUE` pairs.
    fn header_pairs(&self) -> anyhow::Result<Vec<(String, String)>> {
        self.headers
            .iter()
            .map(|header| {
                let (name, value) = header
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("a header is NAME:VALUE, not {header:?}"))?;
                Ok((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            })
            .collect()
    }
}

/// Runs the call and prints what came back.
///
/// # Errors
/// When the arguments make no call, the server can't be reached, or (for a single
/// call) the server answered with an error in its protocol's form, which is printed.
pub async fn run(args: CallArgs) -> anyhow::Result<()> {
    match args.protocol {
        Protocol::Rest | Protocol::Jsonrpc | Protocol::Xmlrpc | Protocol::Graphql => {
            http::run(&args).await
        }
        Protocol::Sse => http::events(&args).await,
        Protocol::Grpc => grpc::run(&args).await,
        Protocol::Ws => ws::run(&args).await,
        Protocol::Amqp => broker::amqp(&args).await,
        Protocol::Mqtt => broker::mqtt(&args).await,
    }
}
