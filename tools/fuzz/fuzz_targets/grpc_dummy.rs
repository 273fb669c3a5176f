//! `dummy.v1.DummyService` on protobuf bytes: the request message is decoded with prost
//! (as tonic's codec does for the body of a gRPC frame) and handed to the real service,
//! `grpc_svc::service::dummy::Dummies`, over the SQLite store, through the generated
//! `DummyService` trait.
//!
//! Input layout:
//!
//! ```text
//! byte 0 % 5    which RPC: 0 CreateDummy, 1 UpdateDummy, 2 ListDummies, 3 GetDummy,
//!               4 DeleteDummy
//! bytes 1..     the request message, protobuf-encoded (no 5-byte gRPC prefix)
//! ```
//!
//! Bytes that are not a valid message are tonic's to refuse before the service runs,
//! so they are skipped here. A call may fail, but only with a status the client caused
//! (INVALID_ARGUMENT, NOT_FOUND, ...): UNKNOWN or INTERNAL on bad input is a bug, and
//! so is a panic (a weekday or month of i32::MIN once overflowed: see
//! tools/fuzz/regressions/grpc_dummy).

#![no_main]

use std::sync::OnceLock;

use futures_util::StreamExt;
use grpc_pb::dummy::dummy_service_server::DummyService;
use grpc_pb::dummy::{
    CreateDummyRequest, DeleteDummyRequest, GetDummyRequest, ListDummiesRequest, UpdateDummyRequest,
};
use grpc_svc::service::dummy::Dummies;
use libfuzzer_sys::fuzz_target;
use prost::Message;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Status};

/// Streamed items read per ListDummies call: one more than a page, so the second
/// page's query runs too.
const LIST_ITEMS: usize = 1_001;

fn service() -> &'static Dummies {
    static SERVICE: OnceLock<Dummies> = OnceLock::new();
    SERVICE.get_or_init(|| {
        Dummies::new(
            protocols_fuzz::backend().store.clone(),
            CancellationToken::new(),
        )
    })
}

fn check(status: &Status, rpc: &str) {
    assert!(
        !matches!(status.code(), Code::Unknown | Code::Internal),
        "{rpc} answered {:?}: {}",
        status.code(),
        status.message()
    );
}

async fn call(selector: u8, message: &[u8]) {
    let service = service();
    match selector % 5 {
        0 => {
            let Ok(request) = CreateDummyRequest::decode(message) else {
                return;
            };
            if let Err(status) = service.create_dummy(Request::new(request)).await {
                check(&status, "CreateDummy");
            }
        }
        1 => {
            let Ok(request) = UpdateDummyRequest::decode(message) else {
                return;
            };
            if let Err(status) = service.update_dummy(Request::new(request)).await {
                check(&status, "UpdateDummy");
            }
        }
        2 => {
            let Ok(request) = ListDummiesRequest::decode(message) else {
                return;
            };
            match service.list_dummies(Request::new(request)).await {
                Ok(response) => {
                    let mut items = response.into_inner().take(LIST_ITEMS);
                    while let Some(item) = items.next().await {
                        if let Err(status) = item {
                            check(&status, "ListDummies (stream)");
                        }
                    }
                }
                Err(status) => check(&status, "ListDummies"),
            }
        }
        3 => {
            let Ok(request) = GetDummyRequest::decode(message) else {
                return;
            };
            if let Err(status) = service.get_dummy(Request::new(request)).await {
                check(&status, "GetDummy");
            }
        }
        _ => {
            let Ok(request) = DeleteDummyRequest::decode(message) else {
                return;
            };
            if let Err(status) = service.delete_dummy(Request::new(request)).await {
                check(&status, "DeleteDummy");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, message)) = data.split_first() else {
        return;
    };
    protocols_fuzz::backend()
        .runtime
        .block_on(call(selector, message));
});
