//! What a benchmark run measured: counters, latency percentiles (HDR histograms)
//! and process usage, as a printed table and as JSON.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::procstat::ProcUsage;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

/// A histogram of microseconds, 1 µs to 10 min, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    // Bounds and precision are constants that `new_with_bounds` accepts.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

impl Percentiles {
    /// Percentiles of a histogram of microseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// One run's results.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// `dm`, `group`, `idle` or `sync`.
    pub workload: String,
    /// Users (= connections: one device each).
    pub users: usize,
    /// Members per channel (2 for `dm`).
    pub channel_size: usize,
    /// Seconds of sending.
    pub duration_secs: f64,
    /// Target messages/s (0 = closed loop).
    pub target_rate: u64,
    /// Sends written to sockets.
    pub sent: u64,
    /// Sends acked (durable).
    pub acked: u64,
    /// Deliveries to devices (each message once per member device).
    pub delivered: u64,
    /// Error events (rate limits, refusals).
    pub errors: u64,
    /// Error events by code (and `closed:<reason>` for sockets the edge closed).
    pub errors_by_code: std::collections::BTreeMap<String, u64>,
    /// Acked deliveries that never arrived by the end.
    pub lost: u64,
    /// Deliveries that arrived twice.
    pub duplicates: u64,
    /// Acked messages per second of sending.
    pub acked_per_sec: f64,
    /// Deliveries per second of sending.
    pub delivered_per_sec: f64,
    /// Send → ack.
    pub ack_latency_ms: Percentiles,
    /// Send → the last member device has it.
    pub end_to_end_latency_ms: Percentiles,
    /// The servers' (and the generator's) CPU and memory.
    pub processes: Vec<ProcUsage>,
    /// CPU of the servers (edge, store worker, nats-server) per acked message, µs.
    pub server_cpu_us_per_message: Option<f64>,
    /// `idle`: edge RSS added per open connection, KiB.
    pub rss_per_connection_kib: Option<f64>,
    /// `sync`: seconds from reconnecting to every device caught up.
    pub catch_up_secs: Option<f64>,
    /// `log`: appends (JetStream writes) per second; `acked` counts entries.
    pub log_appends_per_sec: Option<f64>,
    /// `upload`: megabytes of files stored per second (sent/acked/delivered count
    /// uploads tried, stored and processed; CPU is per upload).
    pub upload_mb_per_sec: Option<f64>,
    /// `mixed`: ops written, by kind (send, reply, react, edit, read); CPU is then
    /// per operation.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub ops: std::collections::BTreeMap<String, u64>,
}

/// Processes that are the system under test (the rest, the generator, is not).
const SERVERS: [&str; 4] = ["edge", "store", "nats", "media"];

impl Report {
    /// Divides each process's CPU by the acked messages (traffic runs).
    pub fn cpu_per_message(&mut self) {
        // A mixed run counts every operation; the others, acked messages.
        let n = if self.ops.is_empty() {
            self.acked
        } else {
            self.ops.values().sum()
        };
        if n == 0 {
            return;
        }
        let per = |secs: f64| secs * 1e6 / n as f64;
        let mut servers = 0.0;
        for p in &mut self.processes {
            p.cpu_us_per_message = Some(per(p.cpu_secs));
            if SERVERS.contains(&p.name.as_str()) {
                servers += p.cpu_secs;
            }
        }
        self.server_cpu_us_per_message = Some(per(servers));
    }

    /// Prints the report as a table.
    pub fn print(&self) {
        println!();
        println!(
            "natter bench — {} — {} users, channels of {}, {:.1} s, {}",
            self.workload,
            self.users,
            self.channel_size,
            self.duration_secs,
            if self.target_rate == 0 {
                "closed loop".to_string()
            } else {
                let unit = if self.upload_mb_per_sec.is_some() {
                    "uploads"
                } else {
                    "msg"
                };
                format!("target {} {unit}/s", self.target_rate)
            }
        );
        println!(
            "| sent | acked | delivered | errors | lost | duplicates | acked/s | delivered/s |"
        );
        println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.0} |",
            self.sent,
            self.acked,
            self.delivered,
            self.errors,
            self.lost,
            self.duplicates,
            self.acked_per_sec,
            self.delivered_per_sec
        );
        if !self.ops.is_empty() {
            let by: Vec<String> = self.ops.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!(
                "\noperations: {} (CPU below is per operation; latency is of sends and replies)",
                by.join(", ")
            );
        }
        if !self.errors_by_code.is_empty() {
            let by: Vec<String> = self
                .errors_by_code
                .iter()
                .map(|(code, n)| format!("{code} {n}"))
                .collect();
            println!("\nerrors: {}", by.join(", "));
        }
        println!();
        println!("| latency (ms) | samples | p50 | p90 | p99 | p99.9 | max |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        let names = if self.upload_mb_per_sec.is_some() {
            ["upload → stored", "stored → thumbnail in the channel"]
        } else if self.workload == "revoke" {
            ["logout → every edge's list", "logout → its socket closed"]
        } else {
            ["send → ack", "send → every member"]
        };
        for (name, p) in names
            .into_iter()
            .zip([&self.ack_latency_ms, &self.end_to_end_latency_ms])
        {
            println!(
                "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                p.count, p.p50, p.p90, p.p99, p.p999, p.max
            );
        }
        if !self.processes.is_empty() {
            println!();
            println!(
                "| process | pid | CPU (cores) | CPU per message (µs) | RSS (MiB) | peak RSS (MiB) |"
            );
            println!("| --- | ---: | ---: | ---: | ---: | ---: |");
            for p in &self.processes {
                let per = p
                    .cpu_us_per_message
                    .map_or_else(|| "-".to_string(), |us| format!("{us:.0}"));
                println!(
                    "| {} | {} | {:.2} | {per} | {:.1} | {:.1} |",
                    p.name, p.pid, p.cpu_cores, p.rss_mib, p.peak_rss_mib
                );
            }
            if let Some(us) = self.server_cpu_us_per_message {
                println!();
                println!("server CPU per message (edge + store + nats + media worker): {us:.0} µs");
            }
        }
        if let Some(kib) = self.rss_per_connection_kib {
            println!();
            println!("edge RSS per idle connection: {kib:.2} KiB");
        }
        if let Some(w) = self.log_appends_per_sec {
            println!();
            println!(
                "log floor: {w:.0} appends/s, {:.1} entries per append (send → ack is entry arrival → its append's ack)",
                self.acked_per_sec / w.max(1e-9)
            );
        }
        if let Some(mb) = self.upload_mb_per_sec {
            println!();
            println!(
                "uploads: {:.1}/s stored, {mb:.1} MB/s; {:.1}/s processed (thumbnails)",
                self.acked_per_sec, self.delivered_per_sec
            );
        }
        if let Some(secs) = self.catch_up_secs {
            println!();
            println!("catch-up of every device: {secs:.2} s");
        }
    }
}
