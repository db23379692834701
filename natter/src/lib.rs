//! The `natter` command: one binary, a subcommand per service.
//!
//! - `natter dev`: the whole system on one machine: a nats-server child process
//!   (JetStream, data under `<data>/nats`), and an edge, a store worker, a presence
//!   watcher, a push worker and a media worker in this process on the embedded store
//!   (`<data>/store`; attachments in `<data>/media`).
//! - `natter edge`, `natter store-worker`, `natter presence`, `natter push-worker`,
//!   `natter media-worker`: one service each, for deployments.
//! - `natter chat`: a small terminal chat client built on `natter-client`.
//!
//! # Layout
//! - [`main_entry`]: argument parsing and the runtime (shared with the test binary).
//! - [`config`]: the TOML config file under the flags and environment.
//! - `services`: starting each service from its flags; `chat`: the CLI client;
//!   `admin`: `natter admin`, the operators' CLI.
//! - [`bench`]: `natter bench`, the load generator.
#![deny(missing_docs)]

mod admin;
pub mod bench;
mod chat;
pub mod config;
mod services;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "natter", version, about = "Natter chat backend")]
struct Cli {
    /// Config file (TOML) under the flags and environment variables (see
    /// `natter print-sample-config`).
    #[arg(long, global = true, env = "NATTER_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Print the settings the service would run with, and where each came from
    /// (flag, env, file, default), instead of running it.
    #[arg(long, global = true)]
    print_config: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run everything locally: nats-server, an edge and a store worker on the embedded store.
    Dev(services::DevArgs),
    /// Run an edge (HTTP + WebSocket front door).
    Edge(services::EdgeArgs),
    /// Run a store worker (owns partitions: applies their logs to the store, fans out).
    StoreWorker(services::StoreWorkerArgs),
    /// Run a presence watcher (online/offline from the presence buckets).
    Presence(services::PresenceArgs),
    /// Run a push worker (notifications for offline members).
    PushWorker(services::PushWorkerArgs),
    /// Run a media worker (thumbnails and metadata of uploaded images and audio).
    MediaWorker(services::MediaWorkerArgs),
    /// Chat from the terminal.
    Chat(chat::ChatArgs),
    /// Copy a whole store into another (embedded <-> TiKV), then verify the copy.
    MigrateStore(services::MigrateStoreArgs),
    /// Load-generate against running servers and report throughput and latency.
    Bench(bench::BenchArgs),
    /// Inspect a running system: streams, leases, edges, presence, channels, users.
    Admin(admin::AdminArgs),
    /// Print a commented sample config file with every setting and its default.
    PrintSampleConfig,
    /// Check a config file: every key a setting, every value one its flag takes.
    CheckConfig {
        /// The file.
        file: std::path::PathBuf,
    },
}

/// Parses the command line over the config file (`--config` or `NATTER_CONFIG`),
/// whose settings become the defaults of the chosen service's flags.
fn parse_cli() -> Result<Cli, ExitCode> {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = Cli::command();
    let (path, service) = config::scan(&args);
    let mut file = config::ConfigFile::default();
    if let Some(path) = path {
        // The whole file is checked, not just the chosen service's part: a typo
        // anywhere is refused before anything starts.
        let applied = config::ConfigFile::load(&path).and_then(|loaded| {
            loaded.check(&cmd)?;
            let cmd = match &service {
                Some(service) => config::apply(cmd.clone(), &loaded, service)?,
                None => cmd.clone(),
            };
            Ok((loaded, cmd))
        });
        match applied {
            Ok((loaded, applied)) => (file, cmd) = (loaded, applied),
            Err(e) => {
                eprintln!("natter: {e:#}");
                return Err(ExitCode::from(2));
            }
        }
    }
    let matches = cmd.get_matches_from(&args);
    if matches.get_flag("print_config")
        && let Some((name, sub)) = matches.subcommand()
    {
        print!("{}", config::effective(&Cli::command(), &file, name, sub));
        return Err(ExitCode::SUCCESS);
    }
    Cli::from_arg_matches(&matches).map_err(|e| {
        let _ = e.print();
        ExitCode::from(2)
    })
}

/// Parses arguments and runs the chosen subcommand; the process's exit code.
pub fn main_entry() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match &cli.command {
        Command::PrintSampleConfig => {
            use clap::CommandFactory;
            print!("{}", config::sample(&Cli::command()));
            return ExitCode::SUCCESS;
        }
        Command::CheckConfig { file } => {
            use clap::CommandFactory;
            let checked = config::ConfigFile::load(file).and_then(|f| f.check(&Cli::command()));
            return match checked {
                Ok(services) => {
                    println!("{}: ok (settings for: {})", file.display(), {
                        if services.is_empty() {
                            "none".to_string()
                        } else {
                            services.join(", ")
                        }
                    });
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("natter: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
        _ => {}
    }
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
            Command::MediaWorker(a) => services::media_worker(a).await,
            Command::Chat(a) => chat::run(a).await,
            Command::MigrateStore(a) => services::migrate_store(a).await,
            Command::Bench(a) => bench::run(a).await.map(|_| ()),
            Command::Admin(a) => admin::run(a).await,
            Command::PrintSampleConfig | Command::CheckConfig { .. } => Ok(()),
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
