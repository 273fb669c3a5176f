//! The standard health service and server reflection, with the clients tonic ships.

use std::time::Duration;

use futures_util::StreamExt;
use model::DatabaseUrl;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::helpers::{TestApp, within};

async fn status(app: &TestApp, service: &str) -> ServingStatus {
    let response = HealthClient::new(app.channel.clone())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner();
    ServingStatus::try_from(response.status).unwrap()
}

async fn health_is_serving_while_the_database_answers() {
    let app = TestApp::sqlite().await;
    for service in [
        "",
        "dummy.v1.DummyService",
        "app.Greeter",
        "echo.v1.EchoService",
    ] {
        // The first database check runs as the server starts; give it a moment.
        let mut state = status(&app, service).await;
        for _ in 0..20 {
            if state == ServingStatus::Serving {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            state = status(&app, service).await;
        }
        assert_eq!(state, ServingStatus::Serving, "{service:?}");
    }
}

async fn health_is_not_serving_while_the_database_is_unreachable() {
    let app = TestApp::spawn_with_url(
        &DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/nothing").unwrap(),
    )
    .await;
    let mut state = status(&app, "dummy.v1.DummyService").await;
    for _ in 0..30 {
        if state == ServingStatus::NotServing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        state = status(&app, "dummy.v1.DummyService").await;
    }
    assert_eq!(state, ServingStatus::NotServing);
    assert_eq!(
        status(&app, "app.Greeter").await,
        ServingStatus::Serving,
        "Greeter needs no database"
    );
    // And a call that needs the database says UNAVAILABLE.
    let error = app
        .dummies()
        .count_dummies(grpc_pb::dummy::CountDummiesRequest {})
        .await
        .unwrap_err();
    assert_eq!(error.code(), tonic::Code::Unavailable);
}

async fn reflection_lists_every_service_and_describes_their_files() {
    let app = TestApp::sqlite().await;
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let requests = tokio_stream::iter([
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "dummy.v1.DummyService".into(),
            )),
        },
    ]);
    let mut responses = client
        .server_reflection_info(requests)
        .await
        .unwrap()
        .into_inner();
    let listed = within(responses.next()).await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "app.Greeter",
        "echo.v1.EchoService",
        "dummy.v1.DummyService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let described = within(responses.next()).await.unwrap().unwrap();
    let Some(MessageResponse::FileDescriptorResponse(files)) = described.message_response else {
        panic!("expected file descriptors");
    };
    assert!(!files.file_descriptor_proto.is_empty());
}

test_support::tests! {
    tokio:
        health_is_serving_while_the_database_answers,
        health_is_not_serving_while_the_database_is_unreachable,
        reflection_lists_every_service_and_describes_their_files;
}
