//! Starting services from command-line flags (and the environment).
//!
//! - `flags`: every command's flags (clap `Args`) and what they mean for the
//!   libraries' settings.
//! - `run`: `natter edge`, `store-worker`, `presence`, `push-worker` and
//!   `migrate-store`, wired from their flags.
//! - `dev`: `natter dev`, everything in one process.
//! - here: what every service shares: the shutdown signal and `/metrics`,
//!   `/healthz`, `/readyz`.

mod dev;
mod flags;
mod run;

use std::sync::Arc;

use anyhow::Context;

pub use dev::dev;
pub use flags::{
    DevArgs, EdgeArgs, MediaWorkerArgs, MigrateStoreArgs, PresenceArgs, PushWorkerArgs,
    StoreWorkerArgs,
};
pub(crate) use run::load_token_keys;
pub use run::{edge, media_worker, migrate_store, presence, push_worker, store_worker};

/// Renders the process's metrics in Prometheus text format.
type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

fn install_metrics() -> Option<MetricsRender> {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok()?;
    Some(Arc::new(move || handle.render()))
}

/// Serves `/metrics`, `/healthz` (the process is up) and `/readyz` (NATS connected
/// and `health`'s checks passing: 200, else 503; JSON either way) on `addr`, for
/// services without an HTTP API.
async fn serve_metrics(
    addr: Option<&str>,
    nats: async_nats::Client,
    health: natter_nats::health::Health,
) -> anyhow::Result<()> {
    let (Some(addr), Some(render)) = (addr, install_metrics()) else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let r = render.clone();
                async move { r() }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route(
            "/readyz",
            axum::routing::get(move || {
                let (health, nats) = (health.clone(), nats.clone());
                async move { natter_edge::health::response(health.readiness(&nats).await) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(())
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
