//! Bodies, frames, headers and messages over each service's limits: refused early, in the protocol's own form.

use super::*;

/// The body the uploads announce (or send, chunked): 100 MB.
pub(super) const UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// Sent in pieces this big…
pub(super) const UPLOAD_PIECE: usize = 16 * 1024;
/// …one every 5 ms (3.2 MB/s): slow enough to see when the answer comes.
pub(super) const UPLOAD_PAUSE: Duration = Duration::from_millis(5);
/// The refusal must come before this much of the body went out.
pub(super) const REFUSE_WITHIN: u64 = 1024 * 1024;
/// The server's peak memory may grow this much during one refused upload.
pub(super) const UPLOAD_GROWTH_KIB: u64 = 16 * 1024;
/// ws-svc's `WS_MAX_FRAME_BYTES` and grpc-svc's `GRPC_MAX_MESSAGE_BYTES` (the defaults).
pub(super) const WS_MAX_MESSAGE: usize = 64 * 1024;
pub(super) const GRPC_MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// An invalid value this long, which grpc-svc's error repeats back.
pub(super) const ECHOED_PATH: usize = 64 * 1024;
/// A header line this long: over actix's limit for a request head (128 KiB).
pub(super) const BIG_HEADER: usize = 192 * 1024;
/// This many header lines: over actix's limit (96).
pub(super) const MANY_HEADERS: usize = 100;

/// Each service's limits, one row per protocol.
pub(super) async fn limits(suite: &Suite) -> Vec<Row> {
    let db = test_support::TestDb::sqlite();
    drop(db.migrated_store().await);
    let url = db.url.expose().to_owned();
    let protocols = [
        (Kind::Rest, "REST"),
        (Kind::Rpc, "JSON-RPC"),
        (Kind::Ws, "WebSocket"),
        (Kind::Grpc, "gRPC"),
        (Kind::Graphql, "GraphQL"),
    ];
    let started = join_all(protocols.iter().map(|(kind, _)| {
        let url = &url;
        async move {
            let name = format!("limits-{}", kind.binary());
            start(suite, *kind, url, &name, &[]).await
        }
    }))
    .await;
    let mut rows = Vec::new();
    for ((kind, name), service) in protocols.into_iter().zip(started) {
        let mut row = Row::new("limits", name);
        match service {
            Ok(mut service) => {
                match kind {
                    Kind::Rest => {
                        for chunked in [false, true] {
                            upload_refused(&mut row, &service, "/api/rest/dummies", chunked).await;
                        }
                        let filler = "a".repeat(BIG_HEADER);
                        let big = format!("X-Filler: {filler}\r\n");
                        let what = format!("a {} KiB header", BIG_HEADER / 1024);
                        header_block_refused(&mut row, &service, &what, &big).await;
                        let many: String = (0..MANY_HEADERS)
                            .map(|i| format!("X-Header-{i}: {i}\r\n"))
                            .collect();
                        let what = format!("{MANY_HEADERS} headers");
                        header_block_refused(&mut row, &service, &what, &many).await;
                        head_too_slow(&mut row, &service).await;
                    }
                    Kind::Rpc => {
                        for chunked in [false, true] {
                            upload_refused(&mut row, &service, "/api/rpc/json", chunked).await;
                        }
                    }
                    Kind::Ws => {
                        ws_message_refused(&mut row, service.addr).await;
                        chat_message_refused(&mut row, service.addr).await;
                    }
                    Kind::Grpc => grpc_message_refused(&mut row, &service).await,
                    Kind::Graphql => {
                        for chunked in [false, true] {
                            upload_refused(&mut row, &service, "/api/graphql", chunked).await;
                        }
                    }
                    Kind::Serve | Kind::Messaging => {
                        row.fail(format!("{} is not in this scenario", kind.name()));
                    }
                }
                finish(&mut row, &mut service);
            }
            Err(error) => row.fail(error),
        }
        rows.push(row);
    }
    rows
}

/// Whether the server ends the connection within a second (reading off the answer's body).
pub(super) async fn closes_soon<R: AsyncRead + Unpin>(reader: &mut R) -> bool {
    let mut chunk = [0u8; 4096];
    let drained = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    drained.await.is_ok()
}

/// Sends a 100 MB body slowly and expects 413 after less than [`REFUSE_WITHIN`]
/// bytes of it, with no growth in memory.
pub(super) async fn upload_refused(row: &mut Row, service: &Service, path: &str, chunked: bool) {
    let what = format!(
        "POST {path} with {}",
        if chunked {
            "a chunked 100 MB body"
        } else {
            "Content-Length: 100 MB"
        }
    );
    let peak_before = service.peak_rss_kib().unwrap_or_default();
    let outcome = slow_upload(service.addr, path, chunked).await;
    let growth = service
        .peak_rss_kib()
        .unwrap_or_default()
        .saturating_sub(peak_before);
    match outcome {
        Ok((status, sent, closed)) => {
            row.check(status == 413 && sent < REFUSE_WITHIN, || {
                format!(
                    "{what}: answered {status} after {} KiB of the body, wanted 413 within {} KiB",
                    sent / 1024,
                    REFUSE_WITHIN / 1024
                )
            });
            row.check(growth < UPLOAD_GROWTH_KIB, || {
                format!(
                    "{what}: the server's peak RSS grew by {} MiB",
                    growth / 1024
                )
            });
            let closed = if closed { "then closed" } else { "kept open" };
            push_note(
                row,
                format!(
                    "{what}: {status} after {} KiB sent, {closed}, peak RSS +{} KiB",
                    sent / 1024,
                    growth
                ),
            );
        }
        Err(error) => {
            row.check(false, || format!("{what}: {error}"));
        }
    }
}

pub(super) fn push_note(row: &mut Row, note: String) {
    if !row.note.is_empty() {
        row.note.push_str("; ");
    }
    row.note.push_str(&note);
}

/// The upload itself: the answer's status, the body bytes sent before it came, and
/// whether the server closed the connection afterwards.
pub(super) async fn slow_upload(
    addr: SocketAddr,
    path: &str,
    chunked: bool,
) -> anyhow::Result<(u16, u64, bool)> {
    let stream = TcpStream::connect(addr).await?;
    let (mut reader, mut writer) = stream.into_split();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {UPLOAD_BYTES}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    );
    writer.write_all(head.as_bytes()).await?;
    let sent = Arc::new(AtomicU64::new(0));
    let stop = CancellationToken::new();
    // The writer hands its half back: dropping it would send FIN, and we want to see
    // whether the server closes the connection on its own.
    let writing = tokio::spawn({
        let sent = sent.clone();
        let stop = stop.clone();
        async move {
            let piece = vec![b' '; UPLOAD_PIECE];
            let frame = format!("{:x}\r\n", piece.len());
            while !stop.is_cancelled() && sent.load(Ordering::Relaxed) < UPLOAD_BYTES {
                if chunked && writer.write_all(frame.as_bytes()).await.is_err() {
                    break;
                }
                if writer.write_all(&piece).await.is_err() {
                    break;
                }
                if chunked && writer.write_all(b"\r\n").await.is_err() {
                    break;
                }
                sent.fetch_add(piece.len() as u64, Ordering::Relaxed);
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(UPLOAD_PAUSE) => {}
                }
            }
            writer
        }
    });
    let answer = tokio::time::timeout(Duration::from_secs(40), read_head(&mut reader)).await;
    let sent_before = sent.load(Ordering::Relaxed);
    stop.cancel();
    let writer: Option<OwnedWriteHalf> = writing.await.ok();
    let head = match answer {
        Ok(Ok(head)) => head,
        Ok(Err(error)) => return Err(anyhow::anyhow!("{error} after {} KiB", sent_before / 1024)),
        Err(_) => {
            return Err(anyhow::anyhow!(
                "no answer after {} KiB",
                sent_before / 1024
            ));
        }
    };
    let closed = closes_soon(&mut reader).await;
    drop(writer);
    Ok((head.status, sent_before, closed))
}

/// A request head over actix's limits (`headers`, CRLF-terminated lines): 431, or
/// the connection closed.
pub(super) async fn header_block_refused(
    row: &mut Row,
    service: &Service,
    what: &str,
    headers: &str,
) {
    let outcome = async {
        let mut stream = TcpStream::connect(service.addr).await?;
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\n{headers}\r\n",
            service.addr
        );
        // The server may stop reading (and reset) before it has all of it.
        let _ = stream.write_all(request.as_bytes()).await;
        Ok::<_, anyhow::Error>(read_head(&mut stream).await)
    };
    match tokio::time::timeout(Duration::from_secs(10), outcome).await {
        Ok(Ok(Ok(head))) => {
            row.check(head.status == 431, || {
                format!(
                    "{what}: answered {}, wanted 431 or a closed connection",
                    head.status
                )
            });
            push_note(row, format!("{what}: {}", head.status));
        }
        Ok(Ok(Err(closed))) => {
            row.check(true, String::new);
            push_note(row, format!("{what}: no answer, {closed}"));
        }
        Ok(Err(error)) => {
            row.check(false, || format!("{what}: {error}"));
        }
        Err(_) => {
            row.check(false, || {
                format!("{what}: neither an answer nor a close within 10 s")
            });
        }
    }
}

/// A request head that never ends: actix answers 408 after its 5 s client request
/// timeout and closes the connection (a slowloris client holds nothing for long).
pub(super) async fn head_too_slow(row: &mut Row, service: &Service) {
    let outcome = async {
        let mut stream = TcpStream::connect(service.addr).await?;
        let partial = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n", service.addr);
        stream.write_all(partial.as_bytes()).await?;
        Ok::<_, anyhow::Error>(read_head(&mut stream).await)
    };
    let started = Instant::now();
    match tokio::time::timeout(Duration::from_secs(10), outcome).await {
        Ok(Ok(Ok(head))) => {
            row.check(head.status == 408, || {
                format!(
                    "an unfinished request head: answered {}, wanted 408",
                    head.status
                )
            });
            push_note(
                row,
                format!(
                    "an unfinished request head: {} after {:.1} s",
                    head.status,
                    started.elapsed().as_secs_f64()
                ),
            );
        }
        Ok(Ok(Err(closed))) => row.fail(format!("an unfinished request head: no 408, {closed}")),
        Ok(Err(error)) => row.fail(format!("an unfinished request head: {error}")),
        Err(_) => row.fail("an unfinished request head: nothing within 10 s".to_owned()),
    }
}

/// A chat message whose envelope would not fit in a PostgreSQL NOTIFY (7,000 bytes)
/// gets an error frame; the member stays in the room and can go on talking.
pub(super) async fn chat_message_refused(row: &mut Row, addr: SocketAddr) {
    let mut socket = match connect_ws(addr, "/api/ws/chat/limits/").await {
        Ok(socket) => socket,
        Err(error) => {
            row.fail(format!("cannot connect to the chat: {error}"));
            return;
        }
    };
    let next_text = async |socket: &mut Ws| loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.to_string()),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Err(anyhow::anyhow!(
                    "closed: {}",
                    describe_close(frame.as_ref())
                ));
            }
            Ok(Some(Ok(_))) => {}
            other => return Err(anyhow::anyhow!("{other:?}")),
        }
    };
    let big = format!("{{\"message\":\"{}\"}}", "a".repeat(7_000));
    let _ = socket.send(Message::text(big)).await;
    let refused = next_text(&mut socket).await;
    row.check(
        refused
            .as_ref()
            .is_ok_and(|t| t.contains("\"error\"") && t.contains("7000")),
        || format!("a 7,000-byte chat message: {refused:?}"),
    );
    let _ = socket
        .send(Message::text("{\"message\":\"still here\"}"))
        .await;
    let heard = next_text(&mut socket).await;
    row.check(
        heard.as_ref().is_ok_and(|t| t.contains("still here")),
        || format!("after the refused message, the room did not carry on: {heard:?}"),
    );
    push_note(
        row,
        "a 7,000-byte chat message: an error frame, the member stays".to_owned(),
    );
}

/// A message just under `WS_MAX_FRAME_BYTES` is echoed; one over it gets close 1009.
pub(super) async fn ws_message_refused(row: &mut Row, addr: SocketAddr) {
    let mut socket = match connect_ws(addr, "/api/ws/echo/").await {
        Ok(socket) => socket,
        Err(error) => {
            row.fail(format!("cannot connect to /api/ws/echo/: {error}"));
            return;
        }
    };
    let under = format!("{{\"message\":\"{}\"}}", "a".repeat(WS_MAX_MESSAGE - 1024));
    let echoed = async {
        socket.send(Message::text(under)).await?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text.len()),
                Some(Ok(Message::Close(frame))) => {
                    return Err(anyhow::anyhow!(
                        "closed: {}",
                        describe_close(frame.as_ref())
                    ));
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Err(anyhow::anyhow!("the connection ended")),
            }
        }
    };
    let echoed = tokio::time::timeout(Duration::from_secs(5), echoed)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no echo within 5 s")));
    row.check(echoed.is_ok(), || {
        format!(
            "a {} KiB message (under the limit) was not echoed: {echoed:?}",
            WS_MAX_MESSAGE / 1024 - 1
        )
    });

    let over = format!("{{\"message\":\"{}\"}}", "a".repeat(WS_MAX_MESSAGE + 4096));
    let closed = async {
        socket.send(Message::text(over)).await?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return Ok(frame),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => {
                    return Err(anyhow::anyhow!(
                        "the connection ended without a close frame"
                    ));
                }
            }
        }
    };
    let closed = tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no close within 5 s")));
    let code = closed
        .as_ref()
        .ok()
        .and_then(|f| f.as_ref().map(|f| f.code));
    row.check(code == Some(CloseCode::Size), || {
        format!(
            "a {} KiB message: wanted close 1009, got {closed:?}",
            WS_MAX_MESSAGE / 1024 + 4
        )
    });
    push_note(
        row,
        format!(
            "a {} KiB message: {}",
            WS_MAX_MESSAGE / 1024 + 4,
            closed.map_or_else(
                |e| format!("{e:#}"),
                |f| format!("close {}", describe_close(f.as_ref()))
            )
        ),
    );
}

/// A message over `GRPC_MAX_MESSAGE_BYTES` gets RESOURCE_EXHAUSTED, one just under it
/// is decoded, and a long invalid value gets an INVALID_ARGUMENT the client can read.
pub(super) async fn grpc_message_refused(row: &mut Row, service: &Service) {
    let channel = match Endpoint::from_shared(format!("http://{}", service.addr)) {
        Ok(endpoint) => endpoint.timeout(Duration::from_secs(20)).connect_lazy(),
        Err(error) => {
            row.fail(error.to_string());
            return;
        }
    };
    let client = DummyServiceClient::new(channel);
    // `bytes` ids of one byte each: the simplest big message. At most 1,000 ids are
    // allowed, so a message that was decoded is answered INVALID_ARGUMENT.
    let list = |bytes: usize| {
        let mut client = client.clone();
        async move {
            let request = ListDummiesRequest {
                ids: vec![1; bytes],
                ..Default::default()
            };
            let mut stream = client.list_dummies(request).await?.into_inner();
            while stream.message().await?.is_some() {}
            Ok::<(), tonic::Status>(())
        }
    };
    let code = |result: &Result<(), tonic::Status>| {
        result
            .as_ref()
            .map_or_else(|s| format!("{:?}", s.code()), |()| "OK".to_owned())
    };

    let under_bytes = GRPC_MAX_MESSAGE - 64 * 1024;
    let under = list(under_bytes).await;
    row.check(
        matches!(&under, Err(s) if s.code() == tonic::Code::InvalidArgument),
        || {
            format!(
                "a {} KiB message (under the limit) should be decoded and answered \
                 INVALID_ARGUMENT (too many ids), got {under:?}",
                under_bytes / 1024
            )
        },
    );
    let over_bytes = GRPC_MAX_MESSAGE + 1024 * 1024;
    let peak_before = service.peak_rss_kib().unwrap_or_default();
    let over = list(over_bytes).await;
    let growth = service
        .peak_rss_kib()
        .unwrap_or_default()
        .saturating_sub(peak_before);
    row.check(
        matches!(&over, Err(s) if s.code() == tonic::Code::ResourceExhausted),
        || {
            format!(
                "a {} MiB message: wanted RESOURCE_EXHAUSTED, got {over:?}",
                over_bytes / (1024 * 1024)
            )
        },
    );

    // An error that repeats a long value back must still fit the client's limit for
    // response headers (hyper: 16 KiB); trailers far over it make the client's HTTP/2
    // layer tear the whole connection down (GOAWAY ENHANCE_YOUR_CALM).
    let mut updates = client.clone();
    let echo = updates
        .update_dummy(UpdateDummyRequest {
            dummy: Some(pb::Dummy {
                id: 1,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["x".repeat(ECHOED_PATH)],
            }),
        })
        .await;
    let echo_code = echo
        .as_ref()
        .map_or_else(|s| format!("{:?}", s.code()), |_| "OK".to_owned());
    row.check(
        matches!(&echo, Err(s) if s.code() == tonic::Code::InvalidArgument),
        || {
            let detail = echo.as_ref().err().map(|s| format!("{:.100}", s.message()));
            format!(
                "UpdateDummy with a {} KiB unknown update_mask path: wanted INVALID_ARGUMENT, got \
                 {echo_code} {detail:?} (the server repeats the path in grpc-message and the \
                 BadRequest details)",
                ECHOED_PATH / 1024
            )
        },
    );
    push_note(
        row,
        format!(
            "{} MiB message: {}, peak RSS +{growth} KiB; {} KiB: {}; a {} KiB unknown update_mask path: {echo_code}",
            over_bytes / (1024 * 1024),
            code(&over),
            under_bytes / 1024,
            code(&under),
            ECHOED_PATH / 1024,
        ),
    );
}
