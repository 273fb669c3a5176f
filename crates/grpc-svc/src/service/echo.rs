//! `echo.v1.EchoService`: one RPC of each kind.
//!
//! Streams are plain `futures` streams. When a client cancels or disconnects, tonic
//! drops the response stream, and with it everything the stream owns: no task is
//! left running behind a call that is gone.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt, stream};
use tonic::{Request, Response, Status, Streaming};

use crate::pb::echo::echo_service_server::EchoService;
use crate::pb::echo::{
    ClientStreamingEchoResponse, EchoRequest, EchoResponse, ServerStreamingEchoRequest,
};

/// Longest delay a request may ask for.
const MAX_DELAY: Duration = Duration::from_secs(10);

fn delay(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms)).min(MAX_DELAY)
}

type EchoStream = Pin<Box<dyn Stream<Item = Result<EchoResponse, Status>> + Send>>;

/// The echo service; it needs no state.
#[derive(Debug, Default, Clone)]
pub struct Echo;

#[tonic::async_trait]
impl EchoService for Echo {
    async fn unary_echo(
        &self,
        request: Request<EchoRequest>,
    ) -> Result<Response<EchoResponse>, Status> {
        let request = request.into_inner();
        // Even a zero sleep waits for the timer's next tick (about 1 ms): skip it.
        if request.delay_ms > 0 {
            tokio::time::sleep(delay(request.delay_ms)).await;
        }
        Ok(Response::new(EchoResponse {
            message: request.message,
        }))
    }

    type ServerStreamingEchoStream = EchoStream;

    async fn server_streaming_echo(
        &self,
        request: Request<ServerStreamingEchoRequest>,
    ) -> Result<Response<Self::ServerStreamingEchoStream>, Status> {
        let request = request.into_inner();
        let pause = delay(request.delay_ms);
        let words: Vec<String> = request
            .message
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let responses =
            stream::iter(words.into_iter().enumerate()).then(move |(i, word)| async move {
                if i > 0 {
                    tokio::time::sleep(pause).await;
                }
                Ok(EchoResponse { message: word })
            });
        Ok(Response::new(Box::pin(responses)))
    }

    async fn client_streaming_echo(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<ClientStreamingEchoResponse>, Status> {
        let mut inbound = request.into_inner();
        let mut messages = Vec::new();
        while let Some(request) = inbound.next().await {
            messages.push(request?.message);
        }
        Ok(Response::new(ClientStreamingEchoResponse {
            count: messages.len() as u32,
            message: messages.join(" "),
        }))
    }

    type BidirectionalStreamingEchoStream = EchoStream;

    async fn bidirectional_streaming_echo(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<Self::BidirectionalStreamingEchoStream>, Status> {
        // Each request is answered the moment it arrives; an error on the way in ends both ways.
        let echoes = request
            .into_inner()
            .map(|request| request.map(|r| EchoResponse { message: r.message }));
        Ok(Response::new(Box::pin(echoes)))
    }
}
