//! The CRUD story over gRPC, field errors in the rich status details, update masks,
//! streaming lists, and a watch that sees writes made to the store. (A write through
//! REST reaching the watch is tested where the services are composed:
//! `crates/protocols/tests/cli/across.rs`.)

use futures_util::StreamExt;
use grpc_pb::dummy::{
    self as pb, CountDummiesRequest, CreateDummyRequest, DeleteDummyRequest, GetDummyRequest,
    ListDummiesRequest, UpdateDummyRequest, WatchDummiesRequest, dummy_event::Kind,
};
use model::{Day, DummyData, Month, NewDummy, Weekday};
use prost_types::FieldMask;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{TestApp, within};

fn tuesday() -> pb::Dummy {
    pb::Dummy {
        day: Some(2),
        weekday: pb::Weekday::Tuesday as i32,
        month: pb::Month::February as i32,
        year: Some(1985),
        ..Default::default()
    }
}

async fn create(app: &TestApp, dummy: pb::Dummy) -> pb::Dummy {
    app.dummies()
        .create_dummy(CreateDummyRequest { dummy: Some(dummy) })
        .await
        .unwrap()
        .into_inner()
}

fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

async fn create_get_update_list_delete(app: TestApp) {
    let mut client = app.dummies();
    let created = create(&app, tuesday()).await;
    assert!(created.id > 0);
    assert_eq!(created.created_at, created.updated_at);

    let got = client
        .get_dummy(GetDummyRequest { id: created.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);

    // A full update: no mask, every field given.
    let full = pb::Dummy {
        id: created.id,
        day: Some(3),
        weekday: pb::Weekday::Wednesday as i32,
        month: pb::Month::March as i32,
        year: Some(1986),
        ..Default::default()
    };
    let updated = client
        .update_dummy(UpdateDummyRequest {
            dummy: Some(full),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((updated.day, updated.year), (Some(3), Some(1986)));

    // A partial update: only the masked field is written.
    let partial = pb::Dummy {
        id: created.id,
        year: Some(1984),
        day: Some(30),
        ..Default::default()
    };
    let patched = client
        .update_dummy(UpdateDummyRequest {
            dummy: Some(partial),
            update_mask: Some(FieldMask {
                paths: vec!["year".into()],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (patched.day, patched.year),
        (Some(3), Some(1984)),
        "only the masked field changes"
    );

    let listed: Vec<pb::Dummy> = client
        .list_dummies(ListDummiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(listed, vec![patched]);
    let count = client
        .count_dummies(CountDummiesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(count.count, 1);

    client
        .delete_dummy(DeleteDummyRequest { id: created.id })
        .await
        .unwrap();
    let missing = client
        .get_dummy(GetDummyRequest { id: created.id })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(missing.message(), format!("Dummy {} not found", created.id));
}

async fn invalid_input_is_invalid_argument_with_field_violations(app: TestApp) {
    let mut client = app.dummies();
    let bad = pb::Dummy {
        day: Some(32),
        weekday: 0,
        month: 99,
        year: None,
        ..Default::default()
    };
    let status = client
        .create_dummy(CreateDummyRequest { dummy: Some(bad) })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&status),
        vec![
            (
                "day".to_owned(),
                "Ensure this value is less than or equal to 31.".to_owned()
            ),
            ("weekday".to_owned(), "This field is required.".to_owned()),
            (
                "month".to_owned(),
                "\"99\" is not a valid choice.".to_owned()
            ),
            ("year".to_owned(), "This field is required.".to_owned()),
        ]
    );
    let status = client
        .create_dummy(CreateDummyRequest { dummy: None })
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec![("dummy".to_owned(), "This field is required.".to_owned())]
    );

    let created = create(&app, tuesday()).await;
    let status = client
        .update_dummy(UpdateDummyRequest {
            dummy: Some(pb::Dummy {
                id: created.id,
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["colour".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violations(&status)[0].0, "update_mask");
    let status = client
        .update_dummy(UpdateDummyRequest {
            dummy: Some(pb::Dummy {
                id: created.id,
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["day".into()],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violations(&status),
        vec![("day".to_owned(), "This field is required.".to_owned())]
    );
    assert_eq!(
        client
            .get_dummy(GetDummyRequest { id: created.id })
            .await
            .unwrap()
            .into_inner(),
        created,
        "refused updates change nothing"
    );
    let status = client
        .delete_dummy(DeleteDummyRequest { id: 424_242 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

async fn list_streams_the_table_in_id_order_with_filters(app: TestApp) {
    let rows: Vec<NewDummy> = (0..2_500)
        .map(|i| NewDummy {
            data: DummyData {
                day: Day::new(i % 31 + 1).unwrap(),
                weekday: Weekday::Monday,
                month: Month::May,
                year: 2000,
            },
            pre_seeded: true,
        })
        .collect();
    app.store.insert_many(rows).await.unwrap();
    let mut client = app.dummies();
    let ids = |request: ListDummiesRequest| {
        let mut client = client.clone();
        async move {
            client
                .list_dummies(request)
                .await
                .unwrap()
                .into_inner()
                .map(|d| d.unwrap().id)
                .collect::<Vec<_>>()
                .await
        }
    };
    assert_eq!(
        ids(ListDummiesRequest::default()).await,
        (1..=2_500).collect::<Vec<_>>()
    );
    assert_eq!(
        ids(ListDummiesRequest {
            after_id: 1_998,
            limit: 1_001,
            ..Default::default()
        })
        .await,
        (1_999..=2_500).collect::<Vec<_>>()
    );
    assert_eq!(
        ids(ListDummiesRequest {
            ids: vec![7, 3, 99_999],
            ..Default::default()
        })
        .await,
        vec![3, 7]
    );
    let status = client
        .list_dummies(ListDummiesRequest {
            limit: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    // At most model::MAX_IDS ids in one filter.
    let ids_over = i64::try_from(model::MAX_IDS).unwrap() + 1;
    let status = client
        .list_dummies(ListDummiesRequest {
            ids: (1..=ids_over).collect(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("1000"), "{status:?}");
}

async fn watch_sees_writes_to_the_store(app: TestApp) {
    let mut watch = app
        .dummies()
        .watch_dummies(WatchDummiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let created = app
        .store
        .create(NewDummy {
            data: DummyData {
                day: Day::new(9).unwrap(),
                weekday: Weekday::Friday,
                month: Month::June,
                year: 1991,
            },
            pre_seeded: false,
        })
        .await
        .unwrap();
    app.store
        .patch(
            created.id,
            model::DummyPatch {
                year: Some(1992),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.store.delete(created.id).await.unwrap();

    let seen = clients::grpc::watch_events(&mut watch, 3).await.unwrap();
    assert_eq!(
        seen,
        vec![
            (Kind::Created, Some(1991)),
            (Kind::Updated, Some(1992)),
            (Kind::Deleted, Some(1992))
        ]
    );
}

/// `resume_after`: the changes after that number come first, in order, each with its
/// `seq`; a number retention deleted is OUT_OF_RANGE, one not given out yet
/// INVALID_ARGUMENT.
async fn watch_resumes_after_a_position_and_refuses_old_ones(app: TestApp) {
    let head = app.store.journal_bounds().await.unwrap().head;
    let mut ids = Vec::new();
    for year in [2001, 2002] {
        let new = NewDummy {
            data: DummyData {
                day: Day::new(1).unwrap(),
                weekday: Weekday::Monday,
                month: Month::May,
                year,
            },
            pre_seeded: false,
        };
        ids.push(app.store.create(new).await.unwrap().id.0);
    }
    let resume = |after: i64| WatchDummiesRequest {
        resume_after: Some(after),
    };
    let mut watch = app
        .dummies()
        .watch_dummies(resume(head))
        .await
        .unwrap()
        .into_inner();
    let first = within(watch.next()).await.unwrap().unwrap();
    let second = within(watch.next()).await.unwrap().unwrap();
    assert_eq!(
        [first.dummy.unwrap().id, second.dummy.unwrap().id],
        [ids[0], ids[1]]
    );
    assert!(
        head < first.seq && first.seq < second.seq,
        "{} {}",
        first.seq,
        second.seq
    );

    let keep_one = model::Retention {
        max_rows: 1,
        ..model::Retention::default()
    };
    app.store.prune_journal(keep_one).await.unwrap();
    let gone = app.dummies().watch_dummies(resume(0)).await.unwrap_err();
    assert_eq!(gone.code(), Code::OutOfRange, "{gone:?}");
    let ahead = app
        .dummies()
        .watch_dummies(resume(second.seq + 100))
        .await
        .unwrap_err();
    assert_eq!(ahead.code(), Code::InvalidArgument, "{ahead:?}");
    assert!(ahead.message().starts_with("resume_after: "), "{ahead:?}");
}

async fn watch_ends_with_unavailable_when_the_server_stops(mut app: TestApp) {
    let mut watch = app
        .dummies()
        .watch_dummies(WatchDummiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    app.shutdown.cancel();
    let end = within(watch.next()).await;
    match end {
        Some(Err(status)) => assert_eq!(status.code(), Code::Unavailable),
        other => panic!("expected UNAVAILABLE, got {other:?}"),
    }
    app.server
        .stopped()
        .await
        .expect("the server drains and stops cleanly");
}

/// Across a server restart: a watch on the next server on the same database with
/// `resume_after` gets what was committed while none ran, then the live changes. The
/// second server has a store of its own, as a new process would.
async fn watch_resumes_on_a_restarted_server(backend: test_support::Backend) {
    let db = test_support::TestDb::new(backend);
    let new = |year| NewDummy {
        data: DummyData {
            day: Day::new(1).unwrap(),
            weekday: Weekday::Monday,
            month: Month::May,
            year,
        },
        pre_seeded: false,
    };
    let mut first = TestApp::start(db.migrated_store().await, None).await;
    let head = first.store.journal_bounds().await.unwrap().head;
    let mut watch = first
        .dummies()
        .watch_dummies(WatchDummiesRequest {
            resume_after: Some(head),
        })
        .await
        .unwrap()
        .into_inner();
    let made = first.store.create(new(2001)).await.unwrap();
    let event = within(watch.next()).await.unwrap().unwrap();
    assert_eq!(event.dummy.unwrap().id, made.id.0);
    first.shutdown.cancel();
    first.server.stopped().await.unwrap();
    drop((watch, first));

    let store = db.migrated_store().await;
    let meanwhile = store.create(new(2002)).await.unwrap();
    let second = TestApp::start(store, None).await;
    let mut watch = second
        .dummies()
        .watch_dummies(WatchDummiesRequest {
            resume_after: Some(event.seq),
        })
        .await
        .unwrap()
        .into_inner();
    let next = within(watch.next()).await.unwrap().unwrap();
    assert_eq!(next.dummy.unwrap().id, meanwhile.id.0);
    assert!(next.seq > event.seq);
    let live = second.store.create(new(2003)).await.unwrap();
    let next = within(watch.next()).await.unwrap().unwrap();
    assert_eq!(next.dummy.unwrap().id, live.id.0);
}

mod restart {
    use super::watch_resumes_on_a_restarted_server;

    test_support::tests! {
        backends(std::future::ready): watch_resumes_on_a_restarted_server;
    }
}

pub use restart::trials as restart_trials;

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        create_get_update_list_delete,
        invalid_input_is_invalid_argument_with_field_violations,
        list_streams_the_table_in_id_order_with_filters,
        watch_sees_writes_to_the_store,
        watch_resumes_after_a_position_and_refuses_old_ones,
        watch_ends_with_unavailable_when_the_server_stops;
}
