//! `/api/ws/echo/`: every message goes back to its sender, as `{"message": …}`.
//!
//! With `"delay": 2.5` the answer comes 2.5 s later, while the connection stays open
//! and other messages are still answered: watch it in the browser's network panel.

use tokio::sync::mpsc;

use crate::connection::{Connection, Next};
use crate::messages::{self, ClientMsg};

/// Runs an echo session until either side ends it.
pub async fn run(mut conn: Connection) {
    // Delayed answers come back through this channel, so reading never waits on them.
    let (delayed_tx, mut delayed) = mpsc::channel::<String>(16);
    loop {
        tokio::select! {
            next = conn.next() => match next {
                Next::Text(text) => match ClientMsg::parse(&text) {
                    Ok(msg) => {
                        conn.valid();
                        let reply = messages::echo(&msg.message);
                        match msg.delay {
                            Some(secs) if secs > 0.0 => {
                                let tx = delayed_tx.clone();
                                tokio::spawn(async move {
                                    tokio::time::sleep(std::time::Duration::from_secs_f64(secs)).await;
                                    // The connection may be gone by then; nothing to do.
                                    let _ = tx.send(reply).await;
                                });
                            }
                            _ => {
                                if !conn.text(reply).await {
                                    break;
                                }
                            }
                        }
                    }
                    Err(problem) => {
                        if !conn.invalid(&problem).await {
                            break;
                        }
                    }
                },
                Next::Gone => break,
            },
            Some(reply) = delayed.recv() => {
                if !conn.text(reply).await {
                    break;
                }
            }
        }
    }
}
