//! All four RPC kinds against `echo.v1.EchoService`, printing each message as it goes.
//!
//! ```text
//! cargo run -p grpc-svc --example echo_client [-- http://localhost:50051]
//! ```

use std::time::Duration;

use grpc_pb::echo::echo_service_client::EchoServiceClient;
use grpc_pb::echo::{EchoRequest, ServerStreamingEchoRequest};
use tokio_stream::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://localhost:50051".to_owned());
    let mut client = EchoServiceClient::connect(target).await?;
    let request = |message: &str| EchoRequest {
        message: message.to_owned(),
        delay_ms: 0,
    };

    println!("unary: one request, one response");
    let reply = client.unary_echo(request("hello")).await?.into_inner();
    println!("  <- {}", reply.message);

    println!("server streaming: one request, a response per word, 300 ms apart");
    let mut words = client
        .server_streaming_echo(ServerStreamingEchoRequest {
            message: "the quick brown fox".to_owned(),
            delay_ms: 300,
        })
        .await?
        .into_inner();
    while let Some(word) = words.next().await {
        println!("  <- {}", word?.message);
    }

    println!("client streaming: three requests, one response");
    let outbound = tokio_stream::iter(["one", "two", "three"].map(request))
        .throttle(Duration::from_millis(200));
    let joined = client.client_streaming_echo(outbound).await?.into_inner();
    println!("  <- {:?} ({} messages)", joined.message, joined.count);

    println!("bidirectional streaming: each request answered as it arrives");
    let outbound = tokio_stream::iter(["ping", "pong", "done"].map(request))
        .throttle(Duration::from_millis(200));
    let mut echoes = client
        .bidirectional_streaming_echo(outbound)
        .await?
        .into_inner();
    while let Some(echo) = echoes.next().await {
        println!("  <- {}", echo?.message);
    }
    Ok(())
}
