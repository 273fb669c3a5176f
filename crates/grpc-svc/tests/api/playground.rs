//! `playground.v1.PlaygroundService` with tonic's client: the metadata reflected, the
//! status and details asked for, streams ended as asked, deadlines honoured and
//! reported, and gzip both ways. (grpcio reads the headers and trailers apart, in
//! `tests/python/grpc_interop.py`.)

use std::time::Duration;

use futures_util::StreamExt;
use grpc_pb::playground::playground_service_client::PlaygroundServiceClient;
use grpc_pb::playground::{FailRequest, ReflectRequest, StreamRequest, WaitRequest};
use prost::Message;
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{BinaryMetadataValue, MetadataValue};
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::helpers::{TestApp, within};

fn client(app: &TestApp) -> PlaygroundServiceClient<Channel> {
    PlaygroundServiceClient::new(app.channel.clone())
}

async fn reflect_shows_the_metadata_deadline_and_compression() {
    let app = TestApp::sqlite().await;
    let mut request = tonic::Request::new(ReflectRequest {
        payload: "x".repeat(4096),
    });
    request
        .metadata_mut()
        .insert("x-user", MetadataValue::from_static("ada"));
    request
        .metadata_mut()
        .insert_bin("trace-bin", BinaryMetadataValue::from_bytes(&[0, 1, 2]));
    request.set_timeout(Duration::from_secs(3));
    let response = client(&app)
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip)
        .reflect(request)
        .await
        .unwrap();
    // The echo as a header (tonic's unary client keeps the trailers to itself; grpcio
    // shows them, in tests/python/grpc_interop.py).
    assert_eq!(response.metadata().get("x-user").unwrap(), "ada");
    assert_eq!(
        response.metadata().get("grpc-encoding").unwrap(),
        "gzip",
        "the answer was compressed"
    );
    let answer = response.into_inner();
    assert_eq!(answer.method, "/playground.v1.PlaygroundService/Reflect");
    assert_eq!(answer.request_encoding, "gzip");
    assert!(
        answer.accept_encoding.contains("gzip"),
        "{}",
        answer.accept_encoding
    );
    assert!(
        (2000..=3000).contains(&answer.deadline_ms),
        "{}",
        answer.deadline_ms
    );
    assert_eq!(answer.payload.len(), 4096);
    let entry = |key: &str| {
        answer
            .metadata
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| entry.values.clone())
    };
    assert_eq!(entry("x-user"), Some(vec!["ada".to_owned()]));
    assert_eq!(entry("trace-bin"), Some(vec!["AAEC".to_owned()]));
    assert!(answer.peer.starts_with("127.0.0.1:"), "{}", answer.peer);
}

async fn fail_answers_the_code_and_details_asked_for() {
    let app = TestApp::sqlite().await;
    let status = client(&app)
        .fail(FailRequest {
            code: Code::FailedPrecondition as i32,
            message: "not now".into(),
            bad_field: "day".into(),
            retry_after_ms: 250,
            error_reason: "BUSY".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(status.message(), "not now");
    let details = status.get_error_details();
    assert_eq!(
        details.bad_request().unwrap().field_violations[0].field,
        "day"
    );
    assert_eq!(
        details.retry_info().unwrap().retry_delay,
        Some(Duration::from_millis(250))
    );
    assert_eq!(details.error_info().unwrap().reason, "BUSY");

    for code in [0, 17, -1] {
        let refused = client(&app)
            .fail(FailRequest {
                code,
                ..FailRequest::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "code {code}");
    }
}

async fn streams_end_as_asked_and_bounds_are_kept() {
    let app = TestApp::sqlite().await;
    let mut stream = client(&app)
        .stream(StreamRequest {
            count: 4,
            interval_ms: 30,
            end_code: Code::Aborted as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let mut indexes = Vec::new();
    let end = loop {
        match within(stream.next()).await {
            Some(Ok(message)) => indexes.push((message.index, message.elapsed_ms)),
            Some(Err(status)) => break status.code(),
            None => panic!("the stream ended without the status asked for"),
        }
    };
    assert_eq!(end, Code::Aborted);
    assert_eq!(
        indexes.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(indexes[3].1 >= 90, "three pauses of 30 ms: {indexes:?}");

    for asked in [
        StreamRequest {
            count: 1001,
            ..StreamRequest::default()
        },
        StreamRequest {
            interval_ms: 10_001,
            ..StreamRequest::default()
        },
        StreamRequest {
            end_code: 17,
            ..StreamRequest::default()
        },
    ] {
        let refused = client(&app).stream(asked).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{asked:?}");
    }
}

async fn wait_honours_and_reports_the_deadline() {
    let app = TestApp::sqlite().await;
    // tonic's client keeps a timer of its own and would say CANCELLED first: the
    // server's answer is seen over gRPC-Web, whose plain HTTP/1.1 client keeps none.
    let message = WaitRequest { wait_ms: 5_000 }.encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    body.extend_from_slice(&message);
    let started = std::time::Instant::now();
    let late = reqwest::Client::new()
        .post(app.url("/playground.v1.PlaygroundService/Wait"))
        .header("content-type", "application/grpc-web+proto")
        .header("grpc-timeout", "200m")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(late.headers()["grpc-status"], "4", "DEADLINE_EXCEEDED");
    assert!(started.elapsed() < Duration::from_secs(2));

    let mut in_time = tonic::Request::new(WaitRequest { wait_ms: 20 });
    in_time.set_timeout(Duration::from_secs(2));
    let answer = client(&app).wait(in_time).await.unwrap().into_inner();
    assert!((1000..=2000).contains(&answer.deadline_ms), "{answer:?}");
    assert!(answer.waited_ms >= 20, "{answer:?}");
    let none = client(&app)
        .wait(WaitRequest { wait_ms: 0 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(none.deadline_ms, 0);
}

test_support::tests! {
    tokio:
        reflect_shows_the_metadata_deadline_and_compression,
        fail_answers_the_code_and_details_asked_for,
        streams_end_as_asked_and_bounds_are_kept,
        wait_honours_and_reports_the_deadline;
}
