//! Sends a few messages to `/api/ws/echo/` and prints the replies, one of them delayed.
//!
//! ```text
//! cargo run -p protocols -- serve                     # in one terminal
//! cargo run -p ws-svc --example ws_echo_client        # in another
//! cargo run -p ws-svc --example ws_echo_client -- ws://localhost:8003
//! ```

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://localhost:8080".to_owned());
    let url = format!("{base}/api/ws/echo/");
    let (mut ws, response) = tokio_tungstenite::connect_async(url.as_str()).await?;
    println!("connected to {url}: HTTP {}", response.status());
    let outgoing = [
        json!({"message": "hello"}),
        json!({"message": "this one comes back after 1.5 s", "delay": 1.5}),
        json!({"message": "and this one right away"}),
    ];
    for message in &outgoing {
        println!("-> {message}");
        ws.send(Message::text(message.to_string())).await?;
    }
    let mut answered = 0;
    while answered < outgoing.len() {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                println!("<- {text}");
                answered += 1;
            }
            Some(Ok(_)) => {} // pings are answered by the library
            Some(Err(error)) => return Err(error.into()),
            None => break,
        }
    }
    ws.close(None).await?;
    Ok(())
}
