//! The pages under `web/`, used in a real browser ([`crate::browser`]) the way a person would.
//!
//! Each check takes the address that serves the page, so the same assertions run against
//! one service (rpc-svc's tests), `protocols serve`, or a gateway in front of them. Each
//! opens its own browser and closes it at the end, which fails the check if a page
//! requested another origin or threw.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::{Browser, Page, Target, first, last};

/// Set by every page once it has loaded (and, for the WebSocket pages, connected).
const READY: &str = "body[data-ready=\"true\"]";

/// A page that has loaded `url` and says it is ready, with its icon inline.
async fn open_ready<'b>(browser: &'b Browser, url: &str) -> Page<'b> {
    let page = browser.open(url).await;
    page.wait_for(READY).await;
    assert_inline_icon(&page, url).await;
    page
}

/// The page names its icon as a `data:` URL, so the browser asks for no `/favicon.ico`
/// (which no service and not the gateway serves: every page load would log a 404).
async fn assert_inline_icon(page: &Page<'_>, url: &str) {
    let icon = page
        .eval(
            "const link = document.querySelector('link[rel~=\"icon\"]');
            return link ? link.getAttribute('href') : null;",
            vec![],
        )
        .await;
    assert!(
        icon.as_str().is_some_and(|href| href.starts_with("data:")),
        "{url}: an inline icon (<link rel=\"icon\" href=\"data:…\">), not {icon}"
    );
}

/// Whether `css` (one element) takes up room on the page: not `display: none`, not
/// inside something hidden, and not an empty box.
async fn visible(page: &Page<'_>, css: &str) -> bool {
    page.eval(
        "const element = document.querySelector(arguments[0]);
        if (!element) throw new Error(`no ${arguments[0]}`);
        return element.getClientRects().length > 0;",
        vec![json!(css)],
    )
    .await
        == json!(true)
}

// ---- / ----

/// The index at `base` (`http://host:port`): the server's clock, and one REST exchange
/// shown as it travels, whose boxes appear only once there is something to show.
///
/// # Panics
/// When a check fails.
pub async fn check_index_page(base: &str) {
    let browser = Browser::launch(&[]).await;
    let page = open_ready(&browser, &format!("{base}/")).await;
    page.wait_until(
        "the server's clock",
        "return document.getElementById('clock').textContent !== '…';",
        vec![],
    )
    .await;
    for output in ["#rest-sent", "#rest-received"] {
        assert!(
            !visible(&page, output).await,
            "{output} is hidden while it is empty"
        );
    }
    page.click("#rest-call").await;
    page.wait_until(
        "the REST answer",
        "return document.getElementById('rest-received').textContent.startsWith('HTTP/1.1 ');",
        vec![],
    )
    .await;
    let sent = page.text("#rest-sent").await;
    assert!(
        sent.starts_with("GET /api/rest/dummies?limit=2 HTTP/1.1"),
        "the request is shown: {sent}"
    );
    let received = page.text("#rest-received").await;
    assert!(
        received.starts_with("HTTP/1.1 200"),
        "the answer is shown: {received}"
    );
    for output in ["#rest-sent", "#rest-received"] {
        assert!(visible(&page, output).await, "{output} shows its text");
    }
    browser.close().await;
}

// ---- /rpc ----

/// The newest `/rpc` log row for this protocol and procedure: the page inserts rows at the
/// top, so it's the first of the rows that match (CSS `:nth-child(1 of …)`).
fn newest_row(protocol: &str, procedure: &str) -> String {
    format!(
        "#log > :nth-child(1 of tr[data-protocol=\"{protocol}\"][data-procedure=\"{procedure}\"])"
    )
}

/// `/rpc` at `base` (`http://host:port`): the page makes an XML-RPC and a JSON-RPC call by
/// itself, then one of each from the form, and shows what was sent and received.
///
/// # Panics
/// When a check fails.
pub async fn check_rpc_page(base: &str) {
    let browser = Browser::launch(&[]).await;
    let page = open_ready(&browser, &format!("{base}/rpc")).await;

    // The two calls the page makes on load.
    let upper = newest_row("XML-RPC", "upper");
    assert_eq!(
        page.text(format!("{upper} .result")).await,
        "\"HELLO\"",
        "XML-RPC upper on load"
    );
    assert_eq!(
        page.text(format!("{} .result", newest_row("JSON-RPC", "add")))
            .await,
        "5",
        "JSON-RPC add on load"
    );
    let sent = page.text(format!("{upper} .sent")).await;
    let received = page.text(format!("{upper} .received")).await;
    assert!(
        sent.contains("<methodName>upper</methodName>"),
        "the XML request is shown: {sent}"
    );
    assert!(
        received.contains("<methodResponse>"),
        "the XML response is shown: {received}"
    );

    // The same procedure from the form, over each protocol.
    page.select("#procedure", "reverse").await;
    page.fill("#args", "[\"live\"]").await;
    page.click("#call-xml").await;
    let xml_reverse = newest_row("XML-RPC", "reverse");
    page.wait_for(&xml_reverse).await;
    assert_eq!(
        page.text(format!("{xml_reverse} .result")).await,
        "\"evil\"",
        "XML-RPC reverse from the form"
    );
    page.click("#call-json").await;
    let json_reverse = newest_row("JSON-RPC", "reverse");
    page.wait_for(&json_reverse).await;
    assert_eq!(
        page.text(format!("{json_reverse} .result")).await,
        "\"evil\"",
        "JSON-RPC reverse from the form"
    );
    let json_sent = page.text(format!("{json_reverse} .sent")).await;
    let json_sent: Value = serde_json::from_str(&json_sent)
        .unwrap_or_else(|e| panic!("the JSON request is JSON ({e}): {json_sent}"));
    assert_eq!(json_sent["method"], "reverse", "the JSON request is shown");

    // A domain error comes back as a fault, with its application code.
    page.select("#procedure", "dummies.get").await;
    page.fill("#args", "[424242]").await;
    page.click("#call-json").await;
    let get = newest_row("JSON-RPC", "dummies.get");
    page.wait_for(&get).await;
    let fault = page.text(format!("{get} .result")).await;
    assert!(
        fault.starts_with("fault") && fault.contains("\"code\":1"),
        "a fault is shown: {fault}"
    );

    browser.close().await;
}

// ---- /grpc ----

/// The newest call in the `/grpc` page's log: each click prepends a `<section data-rpc=…>`.
const NEWEST_CALL: &str = "#log > section:first-child";

/// Clicks `button`, waits for the entry it prepends to the log, then for that entry's
/// `data-done`, which the page sets once the call and the reading of its response body
/// have both finished.
async fn call(page: &Page<'_>, rpc: &str, button: &str) {
    let before = page.count("#log > section").await;
    page.click(button).await;
    page.wait_until(
        &format!("a new entry for {rpc}"),
        "return document.querySelectorAll('#log > section').length > arguments[0];",
        vec![json!(before)],
    )
    .await;
    page.wait_for(format!(
        "{NEWEST_CALL}[data-rpc=\"{rpc}\"][data-done=\"true\"]"
    ))
    .await;
}

/// The frames the newest call shows as `which` ("sent" or "received"): (kind, hex).
async fn frames(page: &Page<'_>, which: &str) -> Vec<(String, String)> {
    let lines = page
        .eval(
            "return [...document.querySelectorAll(arguments[0])]
                .map((line) => [line.dataset.kind, line.querySelector('.hex').textContent]);",
            vec![json!(format!("{NEWEST_CALL} .frames-{which} .frame"))],
        )
        .await;
    serde_json::from_value(lines).expect("kind and hex of each frame")
}

/// The newest call's result as text.
async fn result(page: &Page<'_>) -> String {
    page.text(format!("{NEWEST_CALL} .result")).await
}

/// The newest call's result, parsed as the JSON the page shows.
async fn json_result(page: &Page<'_>) -> Value {
    let text = result(page).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `/grpc` at `base`, calling the gRPC-Web server at `grpc` (both `http://host:port`):
/// Greeter, the echo server stream and the Dummy service, with the frames' bytes shown.
/// When `grpc` is another origin than `base`, the page reaches it with CORS.
///
/// # Panics
/// When a check fails.
pub async fn check_grpc_page(base: &str, grpc: &str) {
    let browser = Browser::launch(&[grpc]).await;
    // encodeURIComponent of an http://host:port address.
    let server_param = grpc.replace(':', "%3A").replace('/', "%2F");
    let page = open_ready(&browser, &format!("{base}/grpc?server={server_param}")).await;
    assert_eq!(
        page.value("#server").await,
        grpc,
        "the server field shows ?server="
    );

    // Unary: one data frame out; a data frame and the trailers frame back.
    page.fill("#name", "browser").await;
    call(&page, "SayHello", "#say-hello").await;
    let hello = result(&page).await;
    assert!(
        hello.contains("Hello, browser!"),
        "SayHello answers: {hello}"
    );
    let sent = frames(&page, "sent").await;
    assert_eq!(sent.len(), 1, "one frame sent: {sent:?}");
    assert_eq!(sent[0].0, "data", "it is a data frame");
    // flag 00, then the length 9 as 4 big-endian bytes, then field 1 (0a), length 7, "browser".
    assert!(
        sent[0].1.starts_with("00 00 00 00"),
        "the sent frame starts with flag and length: {}",
        sent[0].1
    );
    assert_eq!(
        sent[0].1, "00 00 00 00 09 0a 07 62 72 6f 77 73 65 72",
        "the sent frame is the whole HelloRequest"
    );
    let received = frames(&page, "received").await;
    assert_eq!(
        received.first().map(|f| f.0.as_str()),
        Some("data"),
        "a data frame received first"
    );
    assert_eq!(
        received.last().map(|f| f.0.as_str()),
        Some("trailers"),
        "a trailers frame received last"
    );
    assert!(
        received.last().is_some_and(|f| f.1.starts_with("80 ")),
        "the trailers frame is flagged 0x80: {received:?}"
    );

    // Server streaming: one data frame per word, then the trailers.
    page.fill("#echo-text", "one two three").await;
    page.fill("#echo-delay", "100").await;
    call(&page, "ServerStreamingEcho", "#echo-stream").await;
    let echoed = json_result(&page).await;
    let messages: Vec<&Value> = echoed
        .as_array()
        .expect("an array of messages")
        .iter()
        .map(|m| &m["message"])
        .collect();
    assert_eq!(
        messages,
        [&json!("one"), &json!("two"), &json!("three")],
        "three echoed messages"
    );
    let kinds: Vec<String> = frames(&page, "received")
        .await
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(
        kinds.join(","),
        "data,data,data,trailers",
        "frames received for the stream"
    );

    // The Dummy service: a list (possibly empty: the database may have no rows) and a get.
    call(&page, "ListDummies", "#list-dummies").await;
    let dummies = json_result(&page).await;
    let dummies = dummies.as_array().expect("ListDummies gives an array");
    assert!(dummies.len() <= 5, "at most 5 of them: {}", dummies.len());
    assert_eq!(
        frames(&page, "received").await.last().map(|f| f.0.as_str()),
        Some("trailers"),
        "its last frame is the trailers"
    );
    if let Some(listed) = dummies.first() {
        // int64 ids travel as JSON strings in protobuf's JSON mapping.
        let id = match &listed["id"] {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        page.fill("#dummy-id", &id).await;
        call(&page, "GetDummy", "#get-dummy").await;
        assert_eq!(
            json_result(&page).await["id"],
            listed["id"],
            "GetDummy answers the first listed one"
        );
    }
    // An unknown id: the status NOT_FOUND (5) is shown as an error.
    page.fill("#dummy-id", "424242").await;
    call(&page, "GetDummy", "#get-dummy").await;
    let missing = result(&page).await;
    assert!(
        missing.starts_with("error: grpc-status 5"),
        "an unknown id is NOT_FOUND: {missing}"
    );
    // Its grpc-message is percent-encoded on the wire (a trailers-only answer: in the HTTP
    // headers); the page shows it as sent and, under it, decoded.
    let http = page.text(format!("{NEWEST_CALL} .http")).await;
    assert!(
        http.contains("grpc-message: Dummy%20424242%20not%20found"),
        "the header as it came: {http}"
    );
    assert!(
        http.contains("percent-decoded: Dummy 424242 not found"),
        "and decoded: {http}"
    );

    browser.close().await;
}

// ---- /api/ws/* ----

/// Chat messages whose text is exactly `text`.
fn chat_text(text: &str) -> Target {
    Target::from("#log .chat .text").with_text(text)
}

/// What one chat message shows besides its text.
#[derive(Debug)]
struct ChatMessage {
    own: bool,
    sender: String,
    datetime: String,
}

/// The one chat message on `page` whose `.text` is exactly `text`.
async fn chat_message(page: &Page<'_>, text: &str) -> ChatMessage {
    let found = page
        .eval(
            "const matches = [...document.querySelectorAll('#log .chat')].filter((chat) =>
                [...chat.querySelectorAll('.text')].some((t) => t.textContent === arguments[0]));
            if (matches.length !== 1) return { count: matches.length };
            const chat = matches[0];
            const times = chat.querySelectorAll('.time');
            return {
                count: 1,
                own: chat.classList.contains('own'),
                sender: chat.dataset.sender,
                times: times.length,
                datetime: times[0]?.getAttribute('datetime'),
            };",
            vec![json!(text)],
        )
        .await;
    assert_eq!(found["count"], 1, "one message {text:?}: {found}");
    assert_eq!(
        found["times"], 1,
        "one time in the message {text:?}: {found}"
    );
    ChatMessage {
        own: found["own"] == true,
        sender: found["sender"].as_str().unwrap_or_default().to_owned(),
        datetime: found["datetime"].as_str().unwrap_or_default().to_owned(),
    }
}

/// The WebSocket pages at `base`: the echo page, two members of a chat room (and one in
/// another room), the room picker, and the live Dummy feed seeing a Dummy created through
/// the page's own REST form.
///
/// `base` must serve `/api/ws/*` and `/api/rest/*` over one database that the feed
/// watches: with SQLite, only the process serving the socket sees the writes (as on
/// `protocols serve`'s composed port).
///
/// # Panics
/// When a check fails.
pub async fn check_ws_pages(base: &str) {
    let browser = Browser::launch(&[]).await;

    // (0) The index of the endpoints, as a browser gets it: a page with links.
    let index = open_ready(&browser, &format!("{base}/api/ws/")).await;
    for link in ["/api/ws/echo/", "/api/ws/chat/", "/api/ws/dummies/"] {
        assert_eq!(
            index.count(format!("a[href=\"{link}\"]")).await,
            1,
            "the index links {link}"
        );
    }

    // (1) Echo: what is sent comes back; with a delay, later; a bad delay gets an error frame.
    // Opened as the original wrote it, without the slash: the page is at the path with it.
    let echo = open_ready(&browser, &format!("{base}/api/ws/echo")).await;
    assert_eq!(
        echo.url().await.path(),
        "/api/ws/echo/",
        "the page without its slash redirects to the one with it"
    );
    assert_eq!(
        echo.attr("#status", "data-state").await.as_deref(),
        Some("open"),
        "echo page connected"
    );
    echo.fill("#message", "hello echo").await;
    echo.click("#send").await;
    echo.wait_for(Target::from("#log .echo").with_text("hello echo"))
        .await;
    assert_eq!(
        echo.text(last("#log .echo")).await,
        "hello echo",
        "the echo comes back"
    );
    echo.fill("#message", "hello later").await;
    echo.fill("#delay", "0.5").await;
    echo.press_enter("#message").await;
    echo.wait_for(Target::from("#log .echo").with_text("hello later"))
        .await;
    assert_eq!(
        echo.text(last("#log .echo")).await,
        "hello later",
        "a delayed echo comes back"
    );
    echo.fill("#delay", "60").await;
    echo.click("#send").await;
    echo.wait_for(first("#log li.error")).await;
    let error = echo.text(first("#log li.error")).await;
    assert!(
        error.contains("delay must be between"),
        "a delay over 10 s gets an error frame: {error}"
    );

    // (2) Chat: A and B in browserroom, C in otherroom, D in browserroom through /async_chat/.
    let a = open_ready(&browser, &format!("{base}/api/ws/chat/browserroom/")).await;
    let b = open_ready(&browser, &format!("{base}/api/ws/chat/browserroom/")).await;
    let c = open_ready(&browser, &format!("{base}/api/ws/chat/otherroom/")).await;
    let d = open_ready(&browser, &format!("{base}/api/ws/async_chat/browserroom/")).await;
    assert_eq!(
        a.text("#room-name").await,
        "browserroom",
        "the room name is the title"
    );
    a.fill("#message", "from A").await;
    a.click("#send").await;
    // A and B (and async_chat D) see "from A".
    a.wait_for(chat_text("from A")).await;
    b.wait_for(chat_text("from A")).await;
    d.wait_for(chat_text("from A")).await;
    let own = chat_message(&a, "from A").await;
    assert!(own.own, "A marks it as its own");
    let other = chat_message(&b, "from A").await;
    assert!(!other.own, "B does not");
    assert_eq!(other.sender, own.sender, "B sees the same sender id");
    assert!(
        other.datetime.ends_with('Z'),
        "the message has a time: {}",
        other.datetime
    );
    b.fill("#message", "from B").await;
    b.press_enter("#message").await;
    a.wait_for(chat_text("from B")).await;
    assert_eq!(
        a.count(chat_text("from B")).await,
        1,
        "A sees \"from B\" (sent with Enter)"
    );
    // C has been in its own room all along; by now it would have had "from A". There is
    // nothing to wait for when the right outcome is that nothing arrives: give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        c.count(chat_text("from A")).await,
        0,
        "otherroom does not see \"from A\""
    );
    assert_eq!(
        c.count(chat_text("from B")).await,
        0,
        "otherroom does not see \"from B\""
    );

    // The room picker: an invalid name is refused in the page; a valid one leads to its room.
    let rooms = open_ready(&browser, &format!("{base}/api/ws/chat/")).await;
    rooms.fill("#room", "bad room!").await;
    rooms.click("#join").await;
    let refused = rooms.text("#error").await;
    assert!(
        refused.contains("not a valid room name"),
        "an invalid room name is refused: {refused}"
    );
    assert_eq!(
        rooms.url().await.path(),
        "/api/ws/chat/",
        "and the page stays"
    );
    rooms.fill("#room", "browserroom").await;
    rooms.click("#join").await;
    rooms.wait_for_path("/api/ws/chat/browserroom/").await;
    rooms.wait_for(READY).await;
    assert_eq!(
        rooms.text("#room-name").await,
        "browserroom",
        "a valid name opens its room"
    );

    // (3) The feed: create, update and delete a Dummy through the page's own REST form.
    let feed = open_ready(&browser, &format!("{base}/api/ws/dummies/")).await;
    feed.click("#create").await;
    feed.wait_until(
        "the answer to the POST",
        "return ['true', 'false'].includes(document.getElementById('rest-result').dataset.ok);",
        vec![],
    )
    .await;
    let created = feed.text("#rest-result").await;
    assert!(
        created.contains("201"),
        "POST /api/rest/dummie answers 201: {created}"
    );
    let id = feed.value("#dummy-id").await;
    let event = |kind: &str| format!("#log .event[data-event=\"{kind}\"][data-id=\"{id}\"]");
    feed.wait_for(event("created")).await;
    assert_eq!(
        feed.count(event("created")).await,
        1,
        "the feed shows \"created\" for #{id}"
    );
    feed.fill("#year", "1999").await;
    feed.click("#update").await;
    feed.wait_for(event("updated")).await;
    let date = feed.text(format!("{} .date", event("updated"))).await;
    assert!(
        date.ends_with("1999"),
        "then \"updated\" with the new year: {date}"
    );
    feed.click("#delete").await;
    feed.wait_for(event("deleted")).await;
    assert_eq!(feed.count(event("deleted")).await, 1, "then \"deleted\"");

    // (4) The raw echo: text and binary frames back as sent, then the close asked for.
    let raw = browser.open(&format!("{base}/api/ws/raw/")).await;
    assert_inline_icon(&raw, "/api/ws/raw/").await;
    raw.fill("#close-after", "2").await;
    raw.fill("#code", "4000").await;
    raw.fill("#reason", "bye").await;
    raw.click("#connect").await;
    raw.wait_for(READY).await;
    raw.fill("#payload", "plain text").await;
    raw.click("#send-text").await;
    raw.wait_for(Target::from("#log li.in .data").with_text("plain text"))
        .await;
    raw.fill("#payload", "AB").await;
    raw.click("#send-binary").await;
    raw.wait_for(Target::from("#log li.in .data").with_text("2 bytes: 41 42"))
        .await;
    raw.wait_for("body[data-closed=\"4000\"]").await;
    assert!(
        raw.text("#status").await.contains("4000 bye"),
        "the close code and reason asked for are shown"
    );

    browser.close().await;
}

// ---- /graphql ----

/// `/graphql` at `base`: the page subscribes to `dummyChanged` over its WebSocket, sends
/// a mutation as a POST and sees the write arrive live, sends a query as a GET, and
/// shows a syntax error's `400`, each exchange with its bytes.
///
/// # Panics
/// When a check fails.
pub async fn check_graphql_page(base: &str) {
    let browser = Browser::launch(&[]).await;
    let page = open_ready(&browser, &format!("{base}/graphql")).await;

    // A mutation over POST: its answer, and the same write on the live panel.
    page.select("#example", "create").await;
    page.click("#send-post").await;
    page.wait_for(Target::from(
        "#received[data-status=\"200\"][data-method=\"POST\"]",
    ))
    .await;
    let received = page.text("#received").await;
    let body = received
        .split_once("\n\n")
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no body in {received}"));
    let answer: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("the answer shown is JSON ({e}): {received}"));
    let id = answer["data"]["createDummy"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a created id in {answer}"))
        .to_owned();
    assert!(
        page.text("#sent")
            .await
            .contains("\"query\":\"mutation Create"),
        "the request body is shown"
    );
    page.wait_for(Target::from(
        format!("#events li[data-kind=\"CREATED\"][data-id=\"{id}\"]").as_str(),
    ))
    .await;
    assert!(
        page.text("#frames").await.contains("connection_ack"),
        "the WebSocket frames are shown"
    );

    // A query over GET: the document travels in the URL.
    page.select("#example", "count").await;
    page.click("#send-get").await;
    page.wait_for(Target::from("#received[data-method=\"GET\"]"))
        .await;
    assert!(
        page.text("#sent")
            .await
            .starts_with("GET /api/graphql?query=")
    );
    assert!(page.text("#received").await.contains("\"dummiesCount\""));

    // A document that does not parse: 400, as application/graphql-response+json has it.
    page.select("#example", "a syntax error").await;
    page.click("#send-post").await;
    page.wait_for(Target::from("#received[data-status=\"400\"]"))
        .await;
    browser.close().await;
}

// ---- /sse ----

/// A REST create made from the page with a synchronous XHR (same origin): its id.
async fn create_from_page(page: &Page<'_>, day: i64) -> i64 {
    let created = page
        .eval(
            "const xhr = new XMLHttpRequest();
            xhr.open('POST', '/api/rest/dummie', false);
            xhr.setRequestHeader('Content-Type', 'application/json');
            xhr.send(JSON.stringify({day: arguments[0], weekday: 'Monday', month: 'May', year: 2026}));
            if (xhr.status !== 201) throw new Error(`create: ${xhr.status} ${xhr.responseText}`);
            return JSON.parse(xhr.responseText);",
            vec![json!(day)],
        )
        .await;
    created["id"].as_i64().expect("a created id")
}

/// Waits until the page shows a `kind` event for the Dummy `id`; its `seq` (the row's id).
async fn shown_event(page: &Page<'_>, kind: &str, id: i64) -> i64 {
    let seq = page
        .wait_until(
            &format!("a {kind} event for Dummy {id}"),
            "const row = [...document.querySelectorAll(`#log tr[data-event=\"${arguments[0]}\"]`)]
              .find((tr) => JSON.parse(tr.cells[3].textContent).id === arguments[1]);
            return row ? row.dataset.id : null;",
            vec![json!(kind), json!(id)],
        )
        .await;
    seq.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a numeric event id, not {seq}"))
}

/// The Server-Sent Events page at `base`: the browser's `EventSource` shows a create
/// made meanwhile; closed while two more changes are made, then reconnected (a new
/// EventSource from the last id shown, `?after=`), it shows both, in order.
///
/// # Panics
/// When a check fails.
pub async fn check_sse_page(base: &str) {
    let browser = Browser::launch(&[]).await;
    let page = open_ready(&browser, &format!("{base}/sse")).await;
    let first = create_from_page(&page, 1).await;
    let seen = shown_event(&page, "created", first).await;

    // Away: the page's EventSource is closed while a create and a delete are made.
    page.eval(
        "source.close(); document.body.dataset.ready = 'false';",
        vec![],
    )
    .await;
    let second = create_from_page(&page, 2).await;
    page.eval(
        "const xhr = new XMLHttpRequest();
        xhr.open('DELETE', `/api/rest/dummie/${arguments[0]}`, false);
        xhr.send();
        if (xhr.status !== 204) throw new Error(`delete: ${xhr.status}`);",
        vec![json!(first)],
    )
    .await;
    page.click("#reconnect").await;
    page.wait_for(READY).await;
    let created = shown_event(&page, "created", second).await;
    let deleted = shown_event(&page, "deleted", first).await;
    assert!(
        seen < created && created < deleted,
        "the events made while away arrive in journal order: {seen} {created} {deleted}"
    );
    assert!(
        page.text("#url").await.contains(&format!("after={seen}")),
        "the reconnect resumes after the last id shown"
    );
    browser.close().await;
}

// ---- /http ----

/// The HTTP playground page at `{base}/http`: a POST built on the page comes back
/// reflected, its own header beside those Chromium added, and a chosen status is shown.
pub async fn check_http_playground_page(base: &str) {
    let browser = Browser::launch(&[]).await;
    let page = open_ready(&browser, &format!("{base}/http")).await;
    page.select("#method", "POST").await;
    page.fill("#path", "/api/http/anything?from=chromium").await;
    page.fill("#headers", "X-Hello: from the page").await;
    page.fill("#body", "{\"day\": 3}").await;
    page.click("#send").await;
    page.wait_for("body[data-done=\"1\"]").await;
    assert_eq!(page.text("#status").await, "200 OK");
    assert!(
        page.text("#line").await.starts_with("POST "),
        "the server's view of the request line"
    );
    assert_eq!(
        page.text("tr[data-name=\"x-hello\"] td:last-child").await,
        "from the page",
        "the header the page set arrived"
    );
    assert_eq!(
        page.attr("tr[data-name=\"x-hello\"]", "class").await,
        None,
        "a header the page asked for is not marked"
    );
    assert_eq!(
        page.attr("tr[data-name=\"user-agent\"]", "class")
            .await
            .as_deref(),
        Some("added"),
        "the browser's own User-Agent is marked as added"
    );
    assert!(
        page.text("#received-body").await.contains("\"day\": 3"),
        "the body as the server received it"
    );

    page.select("#method", "GET").await;
    page.fill("#path", "/api/http/status/418").await;
    page.click("#send").await;
    page.wait_for("body[data-done=\"2\"]").await;
    assert_eq!(
        page.attr("body", "data-status").await.as_deref(),
        Some("418")
    );
    browser.close().await;
}

// ---- /messaging ----

/// The JSON a `/messaging` list item shows as its payload (`css` names the item).
async fn shown_payload(page: &Page<'_>, css: &str) -> Value {
    let text = page.text(format!("{css} .payload")).await;
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{css} shows its payload as JSON ({e}): {text}"))
}

/// `/messaging` at `base`: the page's own MQTT 3.1.1 client (over a WebSocket, sub-protocol
/// `mqtt`) connects and subscribes, shows the packets' bytes, sees messaging-svc online
/// (its retained presence); then, after `make_change` has created a Dummy, shows the
/// change on `dummies/{id}/created` (QoS 1) and the Dummy's retained state.
///
/// `broker` is the MQTT-over-WebSocket address the page is to use instead of `/mqtt` on
/// its own origin (`ws://127.0.0.1:PORT/`, Mosquitto's WebSocket listener), for a
/// messaging-svc reached without the gateway; the browser may then ask that origin too.
/// `None` keeps the page's default, as through the gateway.
///
/// `make_change` runs once the page has subscribed: it creates one Dummy through anything
/// whose writes messaging-svc relays (the test's `Store`, or REST through the gateway)
/// and returns its id. The broker must be the test's own: another test's Dummy of the
/// same id, on the same broker, would be taken for this one.
///
/// # Panics
/// When a check fails.
pub async fn check_messaging_page(
    base: &str,
    broker: Option<&str>,
    make_change: impl AsyncFnOnce() -> i64,
) {
    let browser = Browser::launch(broker.as_slice()).await;
    // encodeURIComponent of a ws://host:port/ address, as check_grpc_page does for ?server=.
    let query = broker
        .map(|b| format!("?broker={}", b.replace(':', "%3A").replace('/', "%2F")))
        .unwrap_or_default();
    let page = open_ready(&browser, &format!("{base}/messaging{query}")).await;

    // Ready means SUBACK came back: connected and subscribed.
    assert_eq!(
        page.text("#status").await,
        "connected",
        "the status after SUBACK"
    );
    // The packets as they went (the newest of each first, should the page have reconnected).
    let connect = page
        .text(first("#packets li[data-type=\"CONNECT\"] .hex"))
        .await;
    assert!(
        connect.starts_with("10 ") && connect.contains("00 04 4d 51 54 54 04 02 00 1e"),
        "CONNECT: type 1, \"MQTT\", level 4, clean session, keep alive 30 s: {connect}"
    );
    assert_eq!(
        page.text(first("#packets li[data-type=\"CONNACK\"] .hex"))
            .await,
        "20 02 00 00",
        "CONNACK: accepted"
    );
    let subscribe = page
        .text(first("#packets li[data-type=\"SUBSCRIBE\"] .hex"))
        .await;
    assert!(
        subscribe.starts_with("82 "),
        "SUBSCRIBE: type 8 with its required flags 0010: {subscribe}"
    );
    // The service said so when it connected, retained: a new subscriber gets it at once.
    page.wait_for("#presence[data-state=\"online\"]").await;

    let id = make_change().await;

    // The change, on its own topic: QoS 1, not retained.
    let created = format!("#messages li[data-topic=\"dummies/{id}/created\"]");
    page.wait_for(&created).await;
    assert_eq!(
        page.attr(&created, "data-qos").await.as_deref(),
        Some("1"),
        "a change travels at QoS 1"
    );
    assert_eq!(
        page.attr(&created, "data-retained").await.as_deref(),
        Some("false"),
        "a change is not retained"
    );
    let change = shown_payload(&page, &created).await;
    assert_eq!(
        change["type"], "dummy.created",
        "the change's type: {change}"
    );
    assert_eq!(
        change["dummy"]["id"],
        json!(id),
        "the change's Dummy: {change}"
    );
    assert!(
        change["seq"].is_i64(),
        "the change's journal number: {change}"
    );
    let publish = page.text(format!("{created} .wire .hex")).await;
    assert!(
        publish.starts_with("32 "),
        "PUBLISH with flags 0010 (QoS 1, no DUP, no RETAIN): {publish}"
    );

    // The Dummy's state, retained on dummies/{id}. Sent live, it comes without the retain
    // flag (MQTT 3.1.1, 3.3.1.3: the flag marks what the broker sends from its store to a
    // new subscription); the page's retained panel follows it all the same.
    let retained = format!("#retained li[data-id=\"{id}\"]");
    page.wait_for(&retained).await;
    let state = shown_payload(&page, &retained).await;
    assert_eq!(state["id"], json!(id), "the retained state: {state}");
    assert_eq!(
        page.attr(
            format!("#messages li[data-topic=\"dummies/{id}\"]"),
            "data-retained"
        )
        .await
        .as_deref(),
        Some("false"),
        "a retained message published while subscribed arrives with the flag clear"
    );

    browser.close().await;
}
