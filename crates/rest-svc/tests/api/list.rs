//! Listing: order, `?id=` filters, pagination, and streaming a large table.

use model::{Day, DummyData, Month, NewDummy, Weekday};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_json};

async fn seed(app: &TestApp, n: usize) {
    let rows = (0..n)
        .map(|i| NewDummy {
            data: DummyData {
                day: Day::new((i % 31 + 1) as i64).unwrap(),
                weekday: Weekday::ALL[i % 7],
                month: Month::ALL[i % 12],
                year: 1800 + (i % 200) as i32,
            },
            pre_seeded: true,
        })
        .collect();
    assert_eq!(app.store.insert_many(rows).await.unwrap(), n);
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

async fn get(app: &TestApp, path_and_query: &str) -> reqwest::Response {
    app.client
        .get(app.url(path_and_query))
        .send()
        .await
        .unwrap()
}

async fn an_empty_table_lists_as_an_empty_array(app: TestApp) {
    assert_eq!(
        expect_json(get(&app, "/api/rest/dummies").await, 200).await,
        json!([])
    );
}

async fn id_filter_returns_existing_ids_in_order_once(app: TestApp) {
    seed(&app, 5).await;
    let list = expect_json(
        get(&app, "/api/rest/dummies?id=3&id=1&id=3&id=99").await,
        200,
    )
    .await;
    assert_eq!(ids(&list), vec![1, 3]);
    let body = expect_json(get(&app, "/api/rest/dummies?id=abc").await, 400).await;
    assert_eq!(body, json!({"id": ["A valid integer is required."]}));
}

async fn pages_follow_the_link_header_to_the_end(app: TestApp) {
    seed(&app, 25).await;
    let mut next = Some("/api/rest/dummies?limit=10".to_owned());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        let response = get(&app, &path).await;
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            link[1..link.find('>').unwrap()].to_owned()
        });
        seen.extend(ids(&expect_json(response, 200).await));
        pages += 1;
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
    assert_eq!(pages, 3);
}

async fn offset_and_after_skip_rows(app: TestApp) {
    seed(&app, 10).await;
    let list = expect_json(get(&app, "/api/rest/dummies?offset=7").await, 200).await;
    assert_eq!(ids(&list), vec![8, 9, 10]);
    let list = expect_json(get(&app, "/api/rest/dummies?after=4&limit=2").await, 200).await;
    assert_eq!(ids(&list), vec![5, 6]);
}

async fn paging_parameters_out_of_range_are_400(app: TestApp) {
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("offset=-1", "offset"),
        ("after=x", "after"),
    ] {
        let body = expect_json(get(&app, &format!("/api/rest/dummies?{query}")).await, 400).await;
        assert!(body.get(field).is_some(), "{query}: {body}");
    }
    let too_many: String = (1..=1001).map(|i| format!("id={i}&")).collect();
    let body = expect_json(
        get(&app, &format!("/api/rest/dummies?{too_many}")).await,
        400,
    )
    .await;
    assert_eq!(
        body,
        json!({"id": ["Ensure there are no more than 1000 ids."]})
    );
}

async fn the_full_list_is_streamed_in_id_order(app: TestApp) {
    // More than two stream pages, so page joins are exercised.
    seed(&app, 2_345).await;
    let response = get(&app, "/api/rest/dummies").await;
    assert!(
        response.headers().get("content-length").is_none(),
        "the full list should be streamed"
    );
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    let list = expect_json(response, 200).await;
    assert_eq!(ids(&list), (1..=2_345).collect::<Vec<_>>());
    assert_eq!(list[0]["pre_seeded"], true);
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        an_empty_table_lists_as_an_empty_array,
        id_filter_returns_existing_ids_in_order_once,
        pages_follow_the_link_header_to_the_end,
        offset_and_after_skip_rows,
        paging_parameters_out_of_range_are_400,
        the_full_list_is_streamed_in_id_order;
}
