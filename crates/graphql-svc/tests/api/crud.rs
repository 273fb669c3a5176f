//! Every query and mutation, on both backends.

use serde_json::json;

use crate::helpers::{TestApp, codes};

async fn create_read_update_patch_delete(app: TestApp) {
    let created = app.create(2).await;
    let id = created["id"]
        .as_str()
        .expect("an ID is a string")
        .to_owned();
    assert_eq!(created["day"], 2);
    assert_eq!(created["weekday"], "TUESDAY");
    assert_eq!(created["month"], "FEBRUARY");
    assert_eq!(created["year"], 1985);
    assert_eq!(created["preSeeded"], false);
    assert_eq!(created["createdAt"], created["updatedAt"]);
    assert_eq!(app.count().await, 1);

    // Only the fields asked for come back.
    let read = app
        .data(
            "query($id: ID!) { dummy(id: $id) { day month } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(read, json!({"dummy": {"day": 2, "month": "FEBRUARY"}}));

    let updated = app
        .data(
            "mutation($id: ID!) { updateDummy(id: $id, input: {day: 3, weekday: WEDNESDAY, month: MARCH, year: 1986}) { id day weekday month year } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        updated["updateDummy"],
        json!({"id": id, "day": 3, "weekday": "WEDNESDAY", "month": "MARCH", "year": 1986})
    );

    // A patch writes the fields it names and keeps the others.
    let patched = app
        .data(
            "mutation($id: ID!) { patchDummy(id: $id, input: {year: 2000}) { day year updatedAt createdAt } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(patched["patchDummy"]["day"], 3);
    assert_eq!(patched["patchDummy"]["year"], 2000);
    assert_ne!(
        patched["patchDummy"]["updatedAt"],
        patched["patchDummy"]["createdAt"]
    );

    let stored = app
        .store
        .get(model::DummyId(id.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!((stored.day.get(), stored.year), (3, 2000));

    let deleted = app
        .data(
            "mutation($id: ID!) { deleteDummy(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(deleted["deleteDummy"], id);
    assert_eq!(app.count().await, 0);

    // Gone: `null`, and a NOT_FOUND error naming it.
    let (status, body) = app
        .post(
            "query($id: ID!) { dummy(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!({"dummy": null}));
    assert_eq!(codes(&body), ["NOT_FOUND"]);
    assert_eq!(
        body["errors"][0]["message"],
        format!("Dummy {id} not found")
    );
    assert_eq!(body["errors"][0]["path"], json!(["dummy"]));
}

/// `dummies` is a Relay connection, keyset on id: pages follow one another through
/// `endCursor` without gaps or repeats, and `hasNextPage` is false on the last one.
async fn the_connection_pages_through_every_row(app: TestApp) {
    let mut ids = Vec::new();
    for day in 1..=7 {
        ids.push(app.create(day).await["id"].as_str().unwrap().to_owned());
    }
    let page = "query($after: String) { dummies(first: 3, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    let mut pages = 0;
    loop {
        let data = app.data(page, json!({"after": after})).await;
        let connection = &data["dummies"];
        for edge in connection["edges"].as_array().unwrap() {
            assert_eq!(edge["cursor"], edge["node"]["id"]);
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], !after.is_null());
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
        assert!(pages < 10, "the pages never end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);

    // `ids` picks rows; missing ones are skipped.
    let picked = app
        .data(
            "query($ids: [ID!]) { dummies(ids: $ids) { edges { node { day } } } }",
            json!({"ids": [ids[4], ids[1], "999999"]}),
        )
        .await;
    assert_eq!(
        picked["dummies"]["edges"],
        json!([{"node": {"day": 2}}, {"node": {"day": 5}}])
    );

    let count = app.data("{ dummiesCount }", json!({})).await;
    assert_eq!(count["dummiesCount"], 7);
}

/// `preSeeded` is read on create; an explicit `null` in a patch is refused, as REST
/// refuses it, while a field left out is kept.
async fn optional_fields_behave_as_in_rest(app: TestApp) {
    let seeded = app
        .data(
            "mutation { createDummy(input: {day: 1, weekday: MONDAY, month: MAY, year: 1, preSeeded: true}) { id preSeeded } }",
            json!({}),
        )
        .await;
    assert_eq!(seeded["createDummy"]["preSeeded"], true);
    let id = seeded["createDummy"]["id"].clone();
    let (status, body) = app
        .post(
            "mutation($id: ID!) { patchDummy(id: $id, input: {day: null}) { day } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(codes(&body), ["INVALID"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "day");
    assert_eq!(
        body["errors"][0]["extensions"]["messages"],
        json!(["This field may not be null."])
    );
}

/// The project's typed client (`clients::graphql`) does the four calls the other
/// protocols' clients do, and reads a missing row as `NOT_FOUND`.
async fn the_typed_client_creates_reads_patches_and_deletes(app: TestApp) {
    let client = clients::graphql::GraphqlClient::new(app.addr);
    let fields = clients::Fields {
        day: 9,
        weekday: 5,
        month: 7,
        year: 1999,
    };
    let (id, created) = client.create(fields).await.unwrap();
    assert_eq!(created, fields);
    assert_eq!(client.get(id).await.unwrap(), fields);
    let patch = clients::Patch {
        day: 1,
        weekday: 1,
        month: 1,
    };
    assert_eq!(client.patch(id, patch).await.unwrap(), patch.apply(fields));
    client.delete(id).await.unwrap();
    assert_eq!(
        client.get(id).await.unwrap_err(),
        clients::Failure::Answered("GraphQL error NOT_FOUND".into())
    );
}

test_support::tests! {
    backends(TestApp::spawn):
        create_read_update_patch_delete,
        the_typed_client_creates_reads_patches_and_deletes,
        the_connection_pages_through_every_row,
        optional_fields_behave_as_in_rest;
}
