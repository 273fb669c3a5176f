//! The stack's ceilings: the thinnest handlers actix-web, actix-ws and tonic can run,
//! served by `bench ceilings` in a process of its own (as the services are), so each
//! protocol's figure can be read as a share of what its framework can do at all.
//!
//! - `GET /dummy`: a fixed Dummy as JSON (actix-web and serde only);
//! - `GET /dummy/{id}`: the same handler doing the same indexed read through `model::Store`;
//! - `GET /ws`: an actix-ws echo of each text frame, nothing else;
//! - `dummy.v1.DummyService/GetDummy`: a tonic handler answering a fixed Dummy for id 0,
//!   and doing the same indexed read through `model::Store` for any other id.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use grpc_pb::dummy::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_pb::dummy::{self as pb};
use model::{DummyId, Store};
use runtime::http::{HttpApp, ServerSettings};
use serde_json::json;
use tonic::{Request, Response, Status};

const FIXED: &str = r#"{"id":1,"day":1,"weekday":"Monday","month":"January","year":1984,"pre_seeded":true,"created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}"#;

async fn fixed() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(FIXED)
}

async fn read(store: web::Data<Store>, id: web::Path<i64>) -> HttpResponse {
    match store.get(DummyId(*id)).await {
        Ok(d) => HttpResponse::Ok().json(json!({
            "id": d.id.0, "day": d.day.get(), "weekday": d.weekday.as_str(), "month": d.month.as_str(),
            "year": d.year, "pre_seeded": d.pre_seeded,
            "created_at": d.created_at.to_rfc3339(), "updated_at": d.updated_at.to_rfc3339(),
        })),
        Err(_) => HttpResponse::NotFound().finish(),
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

/// The bare tonic service: GetDummy answers a fixed Dummy for id 0, else reads the store.
#[derive(Debug)]
struct Bare {
    store: Store,
}

type Nothing<T> = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl DummyService for Bare {
    async fn get_dummy(
        &self,
        request: Request<pb::GetDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        let id = request.into_inner().id;
        if id != 0 {
            let d = self
                .store
                .get(DummyId(id))
                .await
                .map_err(|e| Status::not_found(e.to_string()))?;
            return Ok(Response::new(pb::Dummy {
                id: d.id.0,
                day: Some(i32::from(d.day.get())),
                weekday: pb::Weekday::Monday as i32,
                month: pb::Month::January as i32,
                year: Some(d.year),
                pre_seeded: d.pre_seeded,
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
    store: Store,
    workers: usize,
) -> anyhow::Result<()> {
    let shutdown = runtime::shutdown_on_signal();
    let settings = ServerSettings {
        addr: http,
        workers,
        shutdown_grace: Duration::from_secs(1),
    };
    let bare = Bare {
        store: store.clone(),
    };
    let app = HttpApp::build(&settings, move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(store.clone()))
            .route("/dummy", web::get().to(fixed))
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
