//! CPU time and memory of running processes, from `/proc` (Linux).

use serde::Serialize;

/// One reading of a process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// User + system CPU time so far, in seconds.
    pub cpu_secs: f64,
    /// Resident set size, KiB.
    pub rss_kib: u64,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: u64,
    at: std::time::Instant,
}

/// The pseudo-pid of the CPU time the host took from this machine (steal, from
/// `/proc/stat`): on a shared VM it explains runs that differ for no reason of
/// their own.
pub const STEAL: u32 = 0;

/// Reads `pid`'s CPU time and memory ([`STEAL`]: the machine's stolen time); `None`
/// if it is gone (or not Linux).
pub fn sample(pid: u32) -> Option<Sample> {
    if pid == STEAL {
        return steal();
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields resume after its ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let per_sec = clock_ticks();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some(Sample {
        cpu_secs: ticks as f64 / per_sec,
        rss_kib: kib("VmRSS:"),
        peak_rss_kib: kib("VmHWM:"),
        at: std::time::Instant::now(),
    })
}

/// CPU time stolen by the host from every core so far.
fn steal() -> Option<Sample> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    // cpu user nice system idle iowait irq softirq steal …
    let ticks: u64 = cpu.split_whitespace().nth(8)?.parse().ok()?;
    Some(Sample {
        cpu_secs: ticks as f64 / clock_ticks(),
        rss_kib: 0,
        peak_rss_kib: 0,
        at: std::time::Instant::now(),
    })
}

/// Clock ticks per second (the unit of `/proc`'s CPU times).
fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no memory effects.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64
}

/// What a process used between two samples.
#[derive(Debug, Clone, Serialize)]
pub struct ProcUsage {
    /// The name given on the command line (`edge`, `store`, …).
    pub name: String,
    /// Its pid.
    pub pid: u32,
    /// CPU cores used on average (1.0 = one core busy).
    pub cpu_cores: f64,
    /// CPU seconds used in all.
    pub cpu_secs: f64,
    /// CPU microseconds per acked message (traffic runs).
    pub cpu_us_per_message: Option<f64>,
    /// Resident memory at the end, MiB.
    pub rss_mib: f64,
    /// Peak resident memory, MiB.
    pub peak_rss_mib: f64,
}

impl ProcUsage {
    /// Usage from `before` to `after`.
    pub fn between(name: &str, pid: u32, before: Sample, after: Sample) -> Self {
        let wall = after.at.duration_since(before.at).as_secs_f64().max(1e-9);
        Self {
            name: name.to_string(),
            pid,
            cpu_cores: (after.cpu_secs - before.cpu_secs) / wall,
            cpu_secs: after.cpu_secs - before.cpu_secs,
            cpu_us_per_message: None,
            rss_mib: after.rss_kib as f64 / 1024.0,
            peak_rss_mib: after.peak_rss_kib as f64 / 1024.0,
        }
    }
}

/// Parses `name=pid` pairs.
pub fn parse_pids(specs: &[String]) -> anyhow::Result<Vec<(String, u32)>> {
    specs
        .iter()
        .map(|s| {
            let (name, pid) = s
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--pids wants name=pid, got {s}"))?;
            Ok((name.to_string(), pid.parse()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id()).expect("own /proc entry");
        assert!(s.rss_kib > 0);
        assert!(s.peak_rss_kib >= s.rss_kib);
        assert!(parse_pids(&["edge=12".into()]).is_ok());
        assert!(parse_pids(&["edge".into()]).is_err());
    }
}
