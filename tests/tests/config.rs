//! Config files through the real binary: the printed sample is valid with every
//! default filled in; flag > environment > file > default; bad files are refused
//! with the key named; `--print-config` hides NATS passwords.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn natter(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("NATTER_CONFIG");
    for var in [
        "NATTER_SEND_RATE",
        "NATTER_NATS_URL",
        "NATTER_IDLE_SECS",
        "NATTER_LISTEN",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run natter")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_sample_config_is_valid_with_every_default_filled_in() {
    let out = natter(&["print-sample-config"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let sample = String::from_utf8(out.stdout).expect("utf-8");
    for service in [
        "[edge]",
        "[store-worker]",
        "[presence]",
        "[push-worker]",
        "[dev]",
    ] {
        assert!(sample.contains(service), "{service} missing");
    }
    assert!(sample.contains("# nats-url = \"nats://127.0.0.1:4222\""));
    // Uncomment every `# key = default` line that has a default.
    let is_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let filled: String = sample
        .lines()
        .map(
            |l| match l.strip_prefix("# ").and_then(|kv| kv.split_once(" = ")) {
                Some((k, v)) if is_key(k) && !v.contains("no default") => format!("{k} = {v}"),
                _ => l.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        filled
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains(" = "))
            .count()
            > 40
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("natter.toml");
    std::fs::write(&path, filled).expect("write");
    let out = natter(&["check-config", path.to_str().expect("path")], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("edge, store-worker"), "{}", text(&out));
}

#[test]
fn flags_beat_the_environment_which_beats_the_file_which_beats_defaults() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("natter.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:9\"\nsend-rate = \"1,2\"\nidle-secs = 5\n[edge]\nidle-secs = 11\n",
    )
    .expect("write");
    let out = natter(
        &[
            "--config",
            path.to_str().expect("path"),
            "edge",
            "--idle-secs",
            "12",
            "--print-config",
        ],
        &[("NATTER_SEND_RATE", "7,8")],
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    for line in [
        "idle-secs = \"12\"  # flag",
        "send-rate = \"7,8\"  # env",
        "listen = \"127.0.0.1:9\"  # file",
        "frame-rate = \"200,400\"  # default",
    ] {
        assert!(printed.contains(line), "{line} in\n{printed}");
    }
    // Without the flag, the service's table wins over the top level.
    let out = natter(
        &["edge", "--print-config"],
        &[("NATTER_CONFIG", path.to_str().expect("path"))],
    );
    assert!(
        text(&out).contains("idle-secs = \"11\"  # file"),
        "{}",
        text(&out)
    );
}

#[test]
fn bad_config_files_are_refused_naming_the_problem() {
    let dir = tempfile::tempdir().expect("dir");
    for (body, expected) in [
        ("[edge]\nbogus = 1\n", "[edge] bogus"),
        ("[edge]\nsend-rate = \"fast\"\n", "invalid value 'fast'"),
        ("[edgy]\nx = 1\n", "[edgy] is not a service"),
        (
            "no-such-key = 1\n",
            "no-such-key: no service has such a setting",
        ),
        ("listen = [\n", "parsing"),
        (
            "[store-worker]\nlease-ttl-secs = \"ten\"\n",
            "invalid value 'ten'",
        ),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, body).expect("write");
        let out = natter(&["check-config", path.to_str().expect("path")], &[]);
        assert_eq!(out.status.code(), Some(2), "{body}: {}", text(&out));
        assert!(text(&out).contains(expected), "{body}: {}", text(&out));
        // A service refuses to start on it too.
        let out = natter(
            &[
                "--config",
                path.to_str().expect("path"),
                "presence",
                "--print-config",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{body}: {}", text(&out));
    }
}

#[test]
fn printed_settings_hide_nats_passwords() {
    let out = natter(
        &["store-worker", "--print-config"],
        &[(
            "NATTER_NATS_URL",
            "nats://store:s3cret@n1:4222,nats://store:s3cret@n2:4222",
        )],
    );
    let printed = text(&out);
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(printed.contains("nats://store:***@n1:4222"), "{printed}");
}
