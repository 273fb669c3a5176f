//! Dummy CRUD over gRPC, with a watch that sees the writes: create, get, then a patch
//! made while `WatchDummies` is open, then a delete.
//!
//! ```text
//! cargo run -p grpc-svc --example dummies_client [-- http://localhost:50051]
//! ```
//! Writes made meanwhile through REST or RPC show up on the watch too.

use std::time::Duration;

use grpc_pb::dummy::dummy_service_client::DummyServiceClient;
use grpc_pb::dummy::{
    CreateDummyRequest, DeleteDummyRequest, Dummy, GetDummyRequest, Month, UpdateDummyRequest,
    WatchDummiesRequest, Weekday, dummy_event::Kind,
};
use prost_types::FieldMask;
use tokio_stream::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://localhost:50051".to_owned());
    let mut client = DummyServiceClient::connect(target).await?;

    let mut watch = client
        .watch_dummies(WatchDummiesRequest::default())
        .await?
        .into_inner();
    let watcher = tokio::spawn(async move {
        while let Some(event) = watch.next().await {
            match event {
                Ok(event) => {
                    let kind = Kind::try_from(event.kind)
                        .map(|k| k.as_str_name())
                        .unwrap_or("?");
                    let dummy = event.dummy.unwrap_or_default();
                    println!("  watch <- {kind} id={} year={:?}", dummy.id, dummy.year);
                }
                Err(status) => {
                    println!("  watch ended: {status}");
                    break;
                }
            }
        }
    });

    let created = client
        .create_dummy(CreateDummyRequest {
            dummy: Some(Dummy {
                day: Some(1),
                weekday: Weekday::Monday as i32,
                month: Month::January as i32,
                year: Some(1984),
                ..Default::default()
            }),
        })
        .await?
        .into_inner();
    println!("created {created:?}");
    let got = client
        .get_dummy(GetDummyRequest { id: created.id })
        .await?
        .into_inner();
    println!(
        "got     id={} day={:?} year={:?}",
        got.id, got.day, got.year
    );
    let patched = client
        .update_dummy(UpdateDummyRequest {
            dummy: Some(Dummy {
                id: created.id,
                year: Some(1985),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["year".to_owned()],
            }),
        })
        .await?
        .into_inner();
    println!("patched year={:?}", patched.year);
    client
        .delete_dummy(DeleteDummyRequest { id: created.id })
        .await?;
    println!("deleted id={}", created.id);

    // Let the last events arrive, then stop watching.
    tokio::time::sleep(Duration::from_millis(500)).await;
    watcher.abort();
    Ok(())
}
