//! A local HTTP server that records requests, for tests of push delivery (enabled by
//! the `testing` feature): HTTP/1.1 and h2c (HTTP/2 with prior knowledge, as APNs
//! tests need) on one port.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One request as it arrived.
#[derive(Debug)]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// HTTP version.
    pub version: Version,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Recorded {
    /// A header's value; panics if it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

type Reply = Arc<dyn Fn(&Recorded) -> (u16, String) + Send + Sync>;

/// A running recording server; stops when dropped.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    requests: mpsc::UnboundedReceiver<Recorded>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// The next recorded request, which must already be here. The server records
    /// before it answers, so a request whose response the client has seen is.
    pub fn take(&mut self) -> Recorded {
        self.requests.try_recv().expect("a recorded request")
    }

    /// The next request, waiting at most `timeout`.
    pub async fn wait(&mut self, timeout: Duration) -> Option<Recorded> {
        tokio::time::timeout(timeout, self.requests.recv())
            .await
            .ok()
            .flatten()
    }

    /// Panics if a request is waiting.
    pub fn assert_idle(&mut self) {
        assert!(
            self.requests.try_recv().is_err(),
            "unexpected extra request"
        );
    }
}

/// Starts a server that answers each request with `reply(request)` (status, JSON body).
///
/// # Panics
/// If no local port can be bound.
pub async fn serve(reply: impl Fn(&Recorded) -> (u16, String) + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, requests) = mpsc::unbounded_channel();
    let reply: Reply = Arc::new(reply);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            let reply = reply.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let tx = tx.clone();
                    let reply = reply.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let recorded = Recorded {
                            method: parts.method,
                            path: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            version: parts.version,
                            headers: parts.headers,
                            body,
                        };
                        let (status, text) = reply(&recorded);
                        let _ = tx.send(recorded);
                        let resp = Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(text)))
                            .unwrap();
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Server {
        base,
        requests,
        task,
    }
}
