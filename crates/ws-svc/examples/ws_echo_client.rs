//! Sends a few messages to `/api/ws/echo/` and prints the replies, one of them delayed.
//!
//! ```text
//! cargo run -p protocols -- serve                     # in one terminal
//! cargo run -p ws-svc --example ws_echo_client        # in another
//! cargo run -p ws-svc --example ws_echo_client -- ws://localhost:8003
//! ```

use clients::ws;
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://localhost:8080".to_owned());
    let url = format!("{base}/api/ws/echo/");
    let mut socket = ws::connect(&url).await?;
    println!("connected to {url}");
    let outgoing = [
        json!({"message": "hello"}),
        json!({"message": "this one comes back after 1.5 s", "delay": 1.5}),
        json!({"message": "and this one right away"}),
    ];
    for message in &outgoing {
        println!("-> {message}");
        ws::send_json(&mut socket, message).await?;
    }
    // Pings in between are answered by the library and skipped here.
    for _ in &outgoing {
        println!("<- {}", ws::next_json(&mut socket).await?);
    }
    socket.close(None).await?;
    Ok(())
}
