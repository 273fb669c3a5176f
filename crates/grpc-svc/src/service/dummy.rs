//! `dummy.v1.DummyService`: CRUD and a live watch over the shared store.

use std::pin::Pin;

use futures_util::{Stream, StreamExt, stream};
use model::{DummyData, DummyFields, DummyId, DummyPatch, ListQuery, NewDummy, Store};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::convert;
use crate::pb::dummy as pb;
use crate::pb::dummy::dummy_service_server::DummyService;
use crate::status::{bad_field, to_status};

/// Rows per store query while a list streams.
const PAGE: i64 = 1_000;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// The Dummy service over a shared store.
#[derive(Debug, Clone)]
pub struct Dummies {
    store: Store,
    /// Cancelled on shutdown, so that never-ending watch streams end (with UNAVAILABLE)
    /// and the server can drain.
    shutdown: CancellationToken,
}

impl Dummies {
    /// The service over `store`; watches end when `shutdown` is cancelled.
    pub fn new(store: Store, shutdown: CancellationToken) -> Dummies {
        Dummies { store, shutdown }
    }
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, Status> {
    value.ok_or_else(|| bad_field(field, "This field is required."))
}

#[tonic::async_trait]
impl DummyService for Dummies {
    async fn get_dummy(
        &self,
        request: Request<pb::GetDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        let dummy = self
            .store
            .get(DummyId(request.into_inner().id))
            .await
            .map_err(to_status)?;
        Ok(Response::new(convert::dummy(dummy)))
    }

    type ListDummiesStream = BoxStream<pb::Dummy>;

    async fn list_dummies(
        &self,
        request: Request<pb::ListDummiesRequest>,
    ) -> Result<Response<Self::ListDummiesStream>, Status> {
        let request = request.into_inner();
        if request.limit < 0 {
            return Err(bad_field(
                "limit",
                "Ensure this value is greater than or equal to 0.",
            ));
        }
        if !request.ids.is_empty() {
            let query = ListQuery {
                ids: Some(request.ids.into_iter().map(DummyId).collect()),
                ..ListQuery::default()
            };
            let rows = self.store.list(query).await.map_err(to_status)?;
            return Ok(Response::new(Box::pin(stream::iter(
                rows.into_iter().map(|d| Ok(convert::dummy(d))),
            ))));
        }
        // Page through the table; each page is one keyset query, sent as it arrives.
        let limit = (request.limit > 0).then_some(i64::from(request.limit));
        let pages = self
            .store
            .pages(Some(DummyId(request.after_id)), limit, PAGE)
            .await
            .map_err(to_status)?;
        let items = pages.flat_map(|page| {
            stream::iter(match page {
                Ok(rows) => rows.into_iter().map(|d| Ok(convert::dummy(d))).collect(),
                Err(err) => vec![Err(to_status(err))],
            })
        });
        Ok(Response::new(Box::pin(items)))
    }

    async fn create_dummy(
        &self,
        request: Request<pb::CreateDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        let dummy = required(request.into_inner().dummy, "dummy")?;
        let new = NewDummy::parse(&convert::fields(&dummy)).map_err(to_status)?;
        let created = self.store.create(new).await.map_err(to_status)?;
        Ok(Response::new(convert::dummy(created)))
    }

    async fn update_dummy(
        &self,
        request: Request<pb::UpdateDummyRequest>,
    ) -> Result<Response<pb::Dummy>, Status> {
        let request = request.into_inner();
        let dummy = required(request.dummy, "dummy")?;
        let id = DummyId(dummy.id);
        let mut fields = convert::fields(&dummy);
        fields.pre_seeded = None;
        let paths = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        let updated = if paths.is_empty() {
            // No mask: a full update, every field required.
            let data = DummyData::parse(&fields).map_err(to_status)?;
            self.store.replace(id, data).await
        } else {
            let masked = masked_fields(&fields, &paths)?;
            let patch = DummyPatch::parse(&masked).map_err(to_status)?;
            self.store.patch(id, patch).await
        }
        .map_err(to_status)?;
        Ok(Response::new(convert::dummy(updated)))
    }

    async fn delete_dummy(
        &self,
        request: Request<pb::DeleteDummyRequest>,
    ) -> Result<Response<()>, Status> {
        self.store
            .delete(DummyId(request.into_inner().id))
            .await
            .map_err(to_status)?;
        Ok(Response::new(()))
    }

    async fn count_dummies(
        &self,
        _request: Request<pb::CountDummiesRequest>,
    ) -> Result<Response<pb::CountDummiesResponse>, Status> {
        let count = self.store.count().await.map_err(to_status)?;
        Ok(Response::new(pb::CountDummiesResponse { count }))
    }

    type WatchDummiesStream = BoxStream<pb::DummyEvent>;

    async fn watch_dummies(
        &self,
        request: Request<pb::WatchDummiesRequest>,
    ) -> Result<Response<Self::WatchDummiesStream>, Status> {
        let after = request.into_inner().resume_after;
        let watch = match self.store.watch(after).await {
            Ok(watch) => watch,
            Err(model::Error::Invalid(errors)) => {
                let messages: Vec<&str> = errors.iter().map(|(_, message)| message).collect();
                return Err(bad_field("resume_after", &messages.join(" ")));
            }
            Err(error) => return Err(to_status(error)),
        };
        let shutdown = self.shutdown.clone();
        let events = stream::unfold(Some(watch), move |watch| {
            let shutdown = shutdown.clone();
            async move {
                let mut watch = watch?;
                loop {
                    tokio::select! {
                        // The server is stopping: end the stream so it can drain.
                        () = shutdown.cancelled() => {
                            return Some((Err(Status::unavailable("the server is shutting down")), None));
                        }
                        update = watch.next() => match update? {
                            Ok(model::Update::Changed(event)) => {
                                return Some((Ok(convert::event(event)), Some(watch)));
                            }
                            // The database went away: end the stream; the client watches
                            // again with resume_after = the last seq it got, and loses nothing.
                            Ok(model::Update::Interrupted) => {
                                let lost = "the change feed lost its database connection; watch again with resume_after";
                                return Some((Err(Status::unavailable(lost)), None));
                            }
                            Ok(model::Update::Resumed) => {}
                            Err(error) => return Some((Err(to_status(error)), None)),
                        },
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(events)))
    }
}

/// Only the fields the mask names; a named field that was not sent is an error.
fn masked_fields(fields: &DummyFields, paths: &[String]) -> Result<DummyFields, Status> {
    let mut masked = DummyFields::default();
    let mut errors = model::FieldErrors::default();
    for path in paths {
        let (name, value): (&'static str, &Option<model::Value>) = match path.as_str() {
            "day" => ("day", &fields.day),
            "weekday" => ("weekday", &fields.weekday),
            "month" => ("month", &fields.month),
            "year" => ("year", &fields.year),
            other => {
                // Quote only the start: the message travels in a header (grpc-message),
                // and HTTP/2 peers refuse header blocks over 16 KiB.
                let shown: String = other.chars().take(40).collect();
                let more = if shown.len() < other.len() { "…" } else { "" };
                return Err(bad_field(
                    "update_mask",
                    &format!("unknown field {shown:?}{more}; use day, weekday, month or year"),
                ));
            }
        };
        match value {
            Some(value) => {
                masked.set(name, value.clone());
            }
            None => errors.push(name, model::dummy::REQUIRED),
        }
    }
    if errors.is_empty() {
        Ok(masked)
    } else {
        Err(to_status(model::Error::Invalid(errors)))
    }
}
