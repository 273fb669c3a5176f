//! Inputs found by `tools/fuzz/` (cargo-fuzz), kept as tests. Each one's bytes are also in
//! `tools/fuzz/regressions/<target>/`, which `scripts/fuzz.sh` replays on every run.

use grpc_pb::dummy::{self as pb, CreateDummyRequest, UpdateDummyRequest};
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{TestApp, within};

async fn the_lowest_enum_number_is_an_invalid_choice_not_a_panic() {
    // tools/fuzz/regressions/grpc_dummy/create-weekday-i32-min: in a build with overflow
    // checks (every debug build) `n - 1` on i32::MIN panicked in convert::enum_field.
    let app = TestApp::sqlite().await;
    let dummy = pb::Dummy {
        day: Some(2),
        weekday: i32::MIN,
        month: i32::MIN,
        year: Some(1985),
        ..Default::default()
    };

    let created = within(
        app.dummies()
            .create_dummy(CreateDummyRequest { dummy: Some(dummy) }),
    )
    .await;
    let updated = within(app.dummies().update_dummy(UpdateDummyRequest {
        dummy: Some(pb::Dummy { id: 1, ..dummy }),
        update_mask: Some(FieldMask {
            paths: vec!["weekday".to_owned(), "month".to_owned()],
        }),
    }))
    .await;

    for result in [created, updated] {
        let status = result.expect_err("i32::MIN is no weekday or month");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().contains("is not a valid choice"),
            "{status:?}"
        );
    }
}

test_support::tests! {
    tokio: the_lowest_enum_number_is_an_invalid_choice_not_a_panic;
}
