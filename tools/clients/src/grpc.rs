//! gRPC: the typed clients are the ones `grpc-pb` generates (`DummyServiceClient`, …);
//! this adds what reading a server stream needs in every test.

use std::time::Duration;

use futures_util::StreamExt;
use grpc_pb::dummy::DummyEvent;
use grpc_pb::dummy::dummy_event::Kind;
use tonic::Streaming;

/// How long [`watch_events`] waits for each event.
pub const WAIT: Duration = Duration::from_secs(10);

/// The next `n` events of a `WatchDummies` stream, each as its kind and the year of
/// the record it carries, waiting at most [`WAIT`] for each.
///
/// # Errors
/// When an event does not come in time, the stream ends or fails, or an event has an
/// unknown kind or no record.
pub async fn watch_events(
    watch: &mut Streaming<DummyEvent>,
    n: usize,
) -> Result<Vec<(Kind, Option<i32>)>, String> {
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        let event = tokio::time::timeout(WAIT, watch.next())
            .await
            .map_err(|_| format!("no watch event within {WAIT:?} (after {seen:?})"))?
            .ok_or("the watch ended")?
            .map_err(|status| format!("the watch failed: {status}"))?;
        let kind = Kind::try_from(event.kind).map_err(|e| format!("an event of no kind: {e}"))?;
        let dummy = event.dummy.ok_or("an event without its record")?;
        seen.push((kind, dummy.year));
    }
    Ok(seen)
}
