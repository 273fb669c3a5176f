//! Joins a chat room, prints what arrives, and sends every line typed on stdin.
//!
//! ```text
//! cargo run -p ws-svc --example chat_client -- lobby
//! cargo run -p ws-svc --example chat_client -- lobby ws://localhost:8003
//! ```
//! Open the same room in a browser (http://localhost:8080/api/ws/chat/lobby/) to chat with it.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let room = args.next().unwrap_or_else(|| "lobby".to_owned());
    let base = args
        .next()
        .unwrap_or_else(|| "ws://localhost:8080".to_owned());
    let url = format!("{base}/api/ws/chat/{room}/");
    let ws = clients::ws::connect(&url).await?;
    println!("joined {room} at {url}; type a line to send it, Ctrl-D to leave");
    let (mut outgoing, mut incoming) = ws.split();
    // Stdin is read on a plain thread and handed over line by line.
    let (line_tx, mut lines) = tokio::sync::mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if line_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    loop {
        tokio::select! {
            line = lines.recv() => match line {
                Some(line) if !line.trim().is_empty() => {
                    outgoing.send(Message::text(json!({"message": line}).to_string())).await?;
                }
                Some(_) => {}
                None => break,
            },
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text)?;
                    match (message.get("message"), message.get("sender")) {
                        (Some(text), Some(sender)) => println!("[{}] {sender}: {text}", message["timestamp"].as_str().unwrap_or("")),
                        _ => println!("{message}"),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    println!("closed by the server: {frame:?}");
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
        }
    }
    outgoing.send(Message::Close(None)).await.ok();
    Ok(())
}
