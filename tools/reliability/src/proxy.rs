//! A TCP proxy between the services and the machine's PostgreSQL, which the suite
//! can cut and restore: the database "goes away" for the services while the shared
//! server itself keeps running for everyone else.
//!
//! Cutting closes every proxied connection (both sides see the socket end, as when a
//! database server stops) and stops listening, so new connections are refused.
//! Restoring listens again on the same port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken as CancelGroup;

/// A controllable TCP proxy to one upstream address.
pub struct Proxy {
    /// Where the proxy listens.
    pub addr: SocketAddr,
    upstream: SocketAddr,
    running: Mutex<Option<CancelGroup>>,
    connections: Arc<AtomicU64>,
}

impl Proxy {
    /// Starts a proxy on a free local port.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = Proxy {
            addr: listener.local_addr()?,
            upstream,
            running: Mutex::new(None),
            connections: Arc::new(AtomicU64::new(0)),
        };
        proxy.serve(listener).await;
        Ok(proxy)
    }

    /// How many connections the proxy has accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    async fn serve(&self, listener: TcpListener) {
        let group = CancelGroup::default();
        let upstream = self.upstream;
        let count = self.connections.clone();
        let stop = group.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((client, _)) = accepted else { continue };
                        count.fetch_add(1, Ordering::Relaxed);
                        let stop = stop.clone();
                        tokio::spawn(async move {
                            let Ok(server) = TcpStream::connect(upstream).await else { return };
                            let (mut client, mut server) = (client, server);
                            tokio::select! {
                                () = stop.cancelled() => {}
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            }
                            // Dropping both sockets closes them.
                        });
                    }
                }
            }
        });
        *self.running.lock().await = Some(group);
    }

    /// Cuts the database off: closes every connection and refuses new ones.
    pub async fn cut(&self) {
        if let Some(group) = self.running.lock().await.take() {
            group.cancel();
        }
        // Let the accept loop drop its listener before anyone tries to connect.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    /// Brings the database back on the same port.
    ///
    /// # Errors
    /// When the port can't be bound again.
    pub async fn restore(&self) -> std::io::Result<()> {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(error) => return Err(error),
            }
        };
        self.serve(listener).await;
        Ok(())
    }
}
