//! The `natter` command: one binary, a subcommand per service.
//!
//! - `natter dev`: the whole system on one machine: a nats-server child process
//!   (JetStream, data under `<data>/nats`), and an edge, a store worker, a presence
//!   watcher and a push worker in this process on the embedded store (`<data>/store`).
//! - `natter edge`, `natter store-worker`, `natter presence`, `natter push-worker`:
//!   one service each, for deployments.
//! - `natter chat`: a small terminal chat client built on `natter-client`.
//!
//! # Layout
//! - [`main_entry`]: argument parsing and the runtime (shared with the test binary).
//! - `services`: starting each service from its flags; `chat`: the CLI client.
#![deny(missing_docs)]

mod admin;
pub mod bench;
mod chat;
mod services;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "natter", version, about = "Natter chat backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything locally: nats-server, an edge and a store worker on the embedded store.
    Dev(services::DevArgs),
    /// Run an edge (HTTP + WebSocket front door).
    Edge(services::EdgeArgs),
    /// Run a store worker (consumes the message stream, owns the store).
    StoreWorker(services::StoreWorkerArgs),
    /// Run a presence watcher (online/offline from the presence buckets).
    Presence(services::PresenceArgs),
    /// Run a push worker (notifications for offline members).
    PushWorker(services::PushWorkerArgs),
    /// Chat from the terminal.
    Chat(chat::ChatArgs),
    /// Copy a whole store into another (embedded <-> TiKV), then verify the copy.
    MigrateStore(services::MigrateStoreArgs),
    /// Load-generate against running servers and report throughput and latency.
    Bench(bench::BenchArgs),
    /// Inspect a running system: streams, leases, edges, presence, channels, users.
    Admin(admin::AdminArgs),
}

/// Parses arguments and runs the chosen subcommand; the process's exit code.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("NATTER_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,async_nats=warn,fjall=warn,lsm_tree=warn")
    });
    let json = std::env::var("NATTER_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("natter: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Dev(a) => services::dev(a).await,
            Command::Edge(a) => services::edge(a).await,
            Command::StoreWorker(a) => services::store_worker(a).await,
            Command::Presence(a) => services::presence(a).await,
            Command::PushWorker(a) => services::push_worker(a).await,
            Command::Chat(a) => chat::run(a).await,
            Command::MigrateStore(a) => services::migrate_store(a).await,
            Command::Bench(a) => bench::run(a).await.map(|_| ()),
            Command::Admin(a) => admin::run(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("natter: {e:#}");
            ExitCode::FAILURE
        }
    }
}
