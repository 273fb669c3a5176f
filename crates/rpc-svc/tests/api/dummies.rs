//! The CRUD story every protocol tells, over JSON-RPC and over XML-RPC, on both backends.

use serde_json::json;

use crate::helpers::{TestApp, fault_code};

async fn json_rpc_create_get_update_patch_list_delete(app: TestApp) {
    let created = app
        .json_ok(
            "dummies.create",
            json!([{"day": 2, "weekday": "Tuesday", "month": "February", "year": "1985"}]),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        (created["year"].clone(), created["pre_seeded"].clone()),
        (json!(1985), json!(false))
    );
    assert_eq!(app.json_ok("dummies.get", json!({"id": id})).await, created);

    let updated = app
        .json_ok(
            "dummies.update",
            json!([id, {"day": 3, "weekday": "Wednesday", "month": "March", "year": 1986}]),
        )
        .await;
    assert_eq!(
        (updated["day"].clone(), updated["month"].clone()),
        (json!(3), json!("March"))
    );
    assert!(updated["updated_at"].as_str() > created["updated_at"].as_str());
    let refused = app
        .json_err("dummies.update", json!([id, {"day": 4}]))
        .await;
    assert_eq!(refused["code"], 2);

    let patched = app
        .json_ok("dummies.patch", json!({"id": id, "fields": {"year": 1984}}))
        .await;
    assert_eq!(
        (patched["year"].clone(), patched["day"].clone()),
        (json!(1984), json!(3))
    );

    assert_eq!(
        app.json_ok("dummies.list", json!([])).await,
        json!([patched])
    );
    assert_eq!(
        app.json_ok("dummies.list", json!([[id, 999]])).await,
        json!([patched])
    );
    assert_eq!(app.json_ok("dummies.count", json!([])).await, json!(1));

    assert_eq!(
        app.json_ok("dummies.delete", json!([id])).await,
        json!(true)
    );
    assert_eq!(app.json_err("dummies.get", json!([id])).await["code"], 1);
    assert_eq!(app.count().await, 0);
}

async fn xml_rpc_create_get_patch_delete(app: TestApp) {
    let fields = "<struct>\
        <member><name>day</name><value><int>1</int></value></member>\
        <member><name>weekday</name><value>Monday</value></member>\
        <member><name>month</name><value><string>January</string></value></member>\
        <member><name>year</name><value><string>1984</string></value></member>\
        </struct>";
    let created = app.xml_call("dummies.create", &[fields]).await;
    assert!(
        created.contains("<name>year</name><value><i4>1984</i4></value>"),
        "{created}"
    );
    assert!(created.contains("<dateTime.iso8601>"), "{created}");
    let id = app.store.list(Default::default()).await.unwrap()[0].id.0;

    let got = app
        .xml_call("dummies.get", &[&format!("<int>{id}</int>")])
        .await;
    assert!(
        got.contains("<name>weekday</name><value><string>Monday</string></value>"),
        "{got}"
    );

    let patch =
        "<struct><member><name>month</name><value><string>June</string></value></member></struct>";
    let patched = app
        .xml_call("dummies.patch", &[&format!("<i4>{id}</i4>"), patch])
        .await;
    assert!(patched.contains("<string>June</string>"), "{patched}");

    let listed = app
        .xml_call("dummies.list", &["<nil/>", "<nil/>", "<int>10</int>"])
        .await;
    assert!(listed.contains("<string>June</string>"), "{listed}");

    let deleted = app
        .xml_call("dummies.delete", &[&format!("<int>{id}</int>")])
        .await;
    assert!(deleted.contains("<boolean>1</boolean>"), "{deleted}");
    assert_eq!(
        fault_code(
            &app.xml_call("dummies.get", &[&format!("<int>{id}</int>")])
                .await
        ),
        Some(1)
    );
}

async fn multicall_reports_each_result_or_fault(app: TestApp) {
    let call = |name: &str, params: &str| {
        format!(
            "<value><struct><member><name>methodName</name><value><string>{name}</string></value></member>\
             <member><name>params</name><value><array><data>{params}</data></array></value></member></struct></value>"
        )
    };
    let calls = [
        call(
            "add",
            "<value><int>2</int></value><value><int>3</int></value>",
        ),
        call("dummies.get", "<value><int>999</int></value>"),
        call(
            "system.multicall",
            "<value><array><data></data></array></value>",
        ),
        call("upper", "<value><string>ok</string></value>"),
    ]
    .concat();
    let xml = app
        .xml_call(
            "system.multicall",
            &[&format!("<array><data>{calls}</data></array>")],
        )
        .await;
    assert!(
        xml.contains("<array><data><value><i4>5</i4></value></data></array>"),
        "{xml}"
    );
    assert!(
        xml.contains("<string>Dummy 999 not found</string>"),
        "{xml}"
    );
    assert!(xml.contains("cannot be nested"), "{xml}");
    assert!(xml.contains("<string>OK</string>"), "{xml}");
}

/// The list bounds (`model::MAX_PAGE` rows a page, `model::MAX_IDS` ids a filter)
/// hold on both envelopes, with the invalid-input code and the parameter named.
async fn list_bounds_are_code_2_on_both_envelopes(app: TestApp) {
    let too_many_rows = app
        .json_err("dummies.list", json!({"limit": model::MAX_PAGE + 1}))
        .await;
    assert_eq!(too_many_rows["code"], 2, "{too_many_rows}");
    assert!(too_many_rows["data"]["limit"].is_array(), "{too_many_rows}");
    let ids: Vec<usize> = (1..=model::MAX_IDS + 1).collect();
    let too_many_ids = app.json_err("dummies.list", json!([ids])).await;
    assert_eq!(too_many_ids["code"], 2, "{too_many_ids}");

    let xml = app
        .xml_call("dummies.list", &["<nil/>", "<nil/>", "<int>10001</int>"])
        .await;
    assert_eq!(fault_code(&xml), Some(2), "{xml}");
    let many = format!(
        "<array><data>{}</data></array>",
        "<value><int>1</int></value>".repeat(model::MAX_IDS + 1)
    );
    let xml = app.xml_call("dummies.list", &[&many]).await;
    assert_eq!(fault_code(&xml), Some(2), "{xml}");
}

test_support::tests! {
    backends(crate::helpers::TestApp::spawn):
        json_rpc_create_get_update_patch_list_delete,
        list_bounds_are_code_2_on_both_envelopes,
        xml_rpc_create_get_patch_delete,
        multicall_reports_each_result_or_fault;
}
