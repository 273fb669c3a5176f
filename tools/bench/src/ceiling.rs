//! The stack's ceilings: the thinnest handlers actix-web, actix-ws and tonic can run,
//! served by `bench ceilings` in a process of its own (as the services are), so each
//! protocol's figure can be read as a share of what its framework can do at all.
//!
//! - `GET /dummy`: a fixed Dummy as JSON (actix-web and serde only);
//! - `GET /dummy/{id}`: the same handler doing the same indexed read with the driver
//!   alone ([`crate::driver`]: the thread's own connection, a prepared statement);
//! - `GET /ws`: an actix-ws echo of each text frame, nothing else;
//! - `dummy.v1.DummyService/GetDummy`: a tonic handler answering a fixed Dummy for id 0,
//!   and doing the same indexed read with the driver alone for any other id.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use grpc_pb::dummy::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_pb::dummy::{self as pb};
use model::DatabaseUrl;
use runtime::http::{HttpApp, ServerSettings};
use tonic::{Request, Response, Status};

use crate::driver;

const FIXED: &str = r#"{"id":1,"day":1,"weekday":"Monday","month":"January","year":1984,"pre_seeded":true,"created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}"#;

async fn fixed() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(FIXED)
}

async fn read(id: web::Path<i64>) -> HttpResponse {
    match driver::read(*id).await {
        Ok(Some(row)) => HttpResponse::Ok()
            .content_type("application/json")
            .body(driver::to_json(&row)),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(error) => HttpResponse::InternalServerError().body(error),
    }
}

async fn echo(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut stream) = actix_ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        // Every text frame straight back; anything else ends the echo.
        while let Some(Ok(actix_ws::Message::Text(text))) = stream.next().await {
            if session.text(text).await.is_err() {
                break;
            }
        }
    });
    Ok(response)
}

/// The bare tonic service: GetDummy answers a fixed Dummy for id 0, else reads with
/// the driver alone.
#[derive(Debug)]
struct Bare;

type Nothing<T> = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl DummyService for Bare {
    async fn get_dummy(
        &self,
        request: Request<pb::GetDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        let id = request.into_inner().id;
        if id != 0 {
            let (id, day, _, _, year, pre_seeded, _, _) = driver::read(id)
                .await
                .map_err(Status::internal)?
                .ok_or_else(|| Status::not_found("no such dummy"))?;
            return Ok(Response::new(pb::Dummy {
                id,
                day: Some(day),
                weekday: pb::Weekday::Monday as i32,
                month: pb::Month::January as i32,
                year: Some(year),
                pre_seeded,
                created_at: Some(prost_types_timestamp()),
                updated_at: Some(prost_types_timestamp()),
            }));
        }
        Ok(Response::new(pb::Dummy {
            id,
            day: Some(1),
            weekday: pb::Weekday::Monday as i32,
            month: pb::Month::January as i32,
            year: Some(1984),
            pre_seeded: true,
            created_at: Some(prost_types_timestamp()),
            updated_at: Some(prost_types_timestamp()),
        }))
    }
    type ListDummiesStream = Nothing<pb::Dummy>;
    async fn list_dummies(
        &self,
        _: Request<pb::ListDummiesRequest>,
    ) -> Result<Response<Self::ListDummiesStream>, Status> {
        Err(Status::unimplemented("bare"))
    }
    async fn create_dummy(
        &self,
        _: Request<pb::CreateDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        Err(Status::unimplemented("bare"))
    }
    async fn update_dummy(
        &self,
        _: Request<pb::UpdateDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        Err(Status::unimplemented("bare"))
    }
    async fn delete_dummy(
        &self,
        _: Request<pb::DeleteDummyRequest>,
    ) -> Result<Response<()>, Status> {
        Err(Status::unimplemented("bare"))
    }
    async fn count_dummies(
        &self,
        _: Request<pb::CountDummiesRequest>,
    ) -> Result<Response<pb::CountDummiesResponse>, Status> {
        Err(Status::unimplemented("bare"))
    }
    type WatchDummiesStream = Nothing<pb::DummyEvent>;
    async fn watch_dummies(
        &self,
        _: Request<pb::WatchDummiesRequest>,
    ) -> Result<Response<Self::WatchDummiesStream>, Status> {
        Err(Status::unimplemented("bare"))
    }
}

fn prost_types_timestamp() -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: 1_795_950_000,
        nanos: 123_456_000,
    }
}

/// Runs the ceilings until Ctrl-C or SIGTERM.
pub async fn serve(
    http: SocketAddr,
    grpc: SocketAddr,
    url: DatabaseUrl,
    workers: usize,
) -> anyhow::Result<()> {
    driver::init(url);
    let shutdown = runtime::shutdown_on_signal();
    let settings = ServerSettings {
        addr: http,
        workers,
        shutdown_grace: Duration::from_secs(1),
        tls: None,
    };
    let bare = Bare;
    let app = HttpApp::build(&settings, move |cfg: &mut web::ServiceConfig| {
        cfg.route("/dummy", web::get().to(fixed))
            .route("/dummy/{id}", web::get().to(read))
            .route("/ws", web::get().to(echo));
    })?;
    let listener = tokio::net::TcpListener::bind(grpc).await?;
    let token = shutdown.clone();
    let tonic = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(DummyServiceServer::new(bare))
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                token.cancelled_owned(),
            )
            .await
    });
    println!("ceilings ready");
    let result = app
        .run_until_stopped(shutdown.clone())
        .await
        .map_err(anyhow::Error::from);
    shutdown.cancel();
    let _ = tonic.await;
    result
}
