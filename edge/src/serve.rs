//! The HTTP accept loop: axum's router on hyper, with a header-read timeout so a
//! client that opens a connection and never finishes its request headers
//! (slow-loris) is dropped, and a graceful stop that lets open requests finish.
//! (axum's own `serve` has no header-read timeout setting.)

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

/// One connection's place among `--max-connections`, held by its HTTP task and, after
/// an upgrade, by its socket's task: freed when both are done.
#[derive(Clone)]
pub(crate) struct ConnectionSlot {
    _permit: std::sync::Arc<tokio::sync::OwnedSemaphorePermit>,
}

/// Serves `app` on `listener` until `stop` resolves, then lets open requests
/// finish (upgraded WebSockets are not among them: the drain closes those). At most
/// `max_connections` are open at once (WebSockets included); a connection beyond is
/// closed as soon as it is accepted.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    max_connections: usize,
    stop: impl Future<Output = ()>,
) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(max_connections.max(1)));
    // HTTP/1.1 only: browsers speak WebSocket over it, and HTTP/2 without TLS
    // (which an edge behind a TLS terminator would see) is not used by them.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // Connections watch `closing`; each holds a clone of `alive`, so once they have
    // all ended, `all_done` yields None.
    let (closing, _) = tokio::sync::watch::channel(false);
    let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Full: closing at once costs nothing more than the accept.
            metrics::counter!("natter_edge_connections_refused_total").increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let slot = ConnectionSlot {
            _permit: std::sync::Arc::new(slot),
        };
        let held = slot.clone();
        let service =
            app.clone()
                .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                    // A WebSocket keeps its connection's slot after the upgrade.
                    req.extensions_mut().insert(held.clone());
                    req
                });
        let conn = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut closing = closing.subscribe();
        let alive = alive.clone();
        tokio::spawn(async move {
            let _alive = alive;
            let _slot = slot;
            tokio::pin!(conn);
            let closed = async move {
                let _ = closing.wait_for(|c| *c).await;
            };
            let ended = tokio::select! {
                r = conn.as_mut() => Some(r),
                () = closed => None,
            };
            let result = match ended {
                Some(r) => r,
                None => {
                    // Finish the request in flight, then close.
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    closing.send_replace(true);
    drop(alive);
    let _ = all_done.recv().await;
}
