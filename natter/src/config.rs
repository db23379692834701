//! Configuration files: one TOML file for every service, under the flags and the
//! environment.
//!
//! Precedence, highest first: a command-line flag, its `NATTER_*` environment
//! variable, the config file, the built-in default. The file's keys are the long
//! flag names (`nats-url = "nats://…"`); keys outside a table apply to every
//! service that has that flag, and a table named after a service (`[edge]`,
//! `[store-worker]`, …) applies to that service and wins over the top level.
//!
//! The flags stay the single definition of every setting (name, type, default,
//! help, environment variable): a file only supplies defaults for them, so the file,
//! [`sample`] and `--help` cannot drift apart. A key no flag takes is an error, as
//! is a value the flag would refuse. Secrets are never flags, so they cannot be in
//! the file either: token keys and provider credentials are read from the files the
//! flags name.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The flag naming the config file, and its environment variable.
pub const CONFIG_FLAG: &str = "config";
/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "NATTER_CONFIG";

/// Services whose settings a config file may hold (its table names).
pub const SERVICES: &[&str] = &[
    "dev",
    "edge",
    "store-worker",
    "presence",
    "push-worker",
    "media-worker",
    "admin",
];

/// Flags that are not settings (never read from a file).
const NOT_SETTINGS: &[&str] = &["help", "version", CONFIG_FLAG, "print-config"];

/// A parsed config file.
#[derive(Debug, Default)]
pub struct ConfigFile {
    /// Where it came from (for messages).
    path: PathBuf,
    table: toml::Table,
}

impl ConfigFile {
    /// Reads and parses `path` (syntax only; see [`ConfigFile::check`]).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .with_context(|| format!("parsing {}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            table,
        })
    }

    /// The settings this file gives service `name`: top-level keys the service
    /// has, then its own table's, as (flag name, value as the flag would take it).
    fn settings_for(&self, name: &str, service: &Command) -> anyhow::Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for (key, value) in &self.table {
            if SERVICES.contains(&key.as_str()) {
                continue;
            }
            if setting(service, key).is_some() {
                out.push((key.clone(), flag_value(&self.path, key, value)?));
            }
        }
        if let Some(section) = self.table.get(name) {
            let section = section.as_table().with_context(|| {
                format!(
                    "{}: `{name}` must be a table ([{name}])",
                    self.path.display()
                )
            })?;
            for (key, value) in section {
                if setting(service, key).is_none() {
                    anyhow::bail!(
                        "{}: [{name}] {key}: `natter {name}` has no such setting (see `natter print-sample-config`)",
                        self.path.display()
                    );
                }
                out.retain(|(k, _)| k != key);
                out.push((key.clone(), flag_value(&self.path, key, value)?));
            }
        }
        Ok(out)
    }

    /// Checks every key against the flags of `cli` and every value by parsing it as
    /// that flag would; returns the services the file configures.
    pub fn check(&self, cli: &Command) -> anyhow::Result<Vec<String>> {
        for (key, value) in &self.table {
            if SERVICES.contains(&key.as_str()) {
                continue;
            }
            if value.is_table() {
                anyhow::bail!(
                    "{}: [{key}] is not a service (one of: {})",
                    self.path.display(),
                    SERVICES.join(", ")
                );
            }
            if !SERVICES
                .iter()
                .filter_map(|s| cli.find_subcommand(s))
                .any(|s| setting(s, key).is_some())
            {
                anyhow::bail!(
                    "{}: {key}: no service has such a setting (see `natter print-sample-config`)",
                    self.path.display()
                );
            }
        }
        let mut configured = Vec::new();
        for name in SERVICES {
            let Some(service) = cli.find_subcommand(name) else {
                continue;
            };
            let settings = self.settings_for(name, service)?;
            if settings.is_empty() {
                continue;
            }
            // Parse the values as the flags would (types, ranges, choices), with
            // the file's values given as flags so the environment cannot mask them.
            let mut args: Vec<String> = vec!["natter".into(), name.to_string()];
            for (k, v) in &settings {
                let arg = setting(service, k).expect("checked above");
                if matches!(arg.get_action(), ArgAction::SetTrue) {
                    if v == "true" {
                        args.push(format!("--{k}"));
                    }
                } else {
                    args.push(format!("--{k}={v}"));
                }
            }
            // Only the settings are checked here, not a command line.
            let mut service = service
                .clone()
                .subcommand_required(false)
                .arg_required_else_help(false);
            service
                .try_get_matches_from_mut(&args[1..])
                .map_err(|e| anyhow::anyhow!("{}: [{name}]: {e}", self.path.display()))?;
            configured.push(name.to_string());
        }
        Ok(configured)
    }
}

/// What the command line names before clap parses it: the config file (`--config
/// FILE`, `--config=FILE`, else `NATTER_CONFIG`) and the subcommand (the first word
/// that is neither a flag nor the value of `--config`).
pub fn scan(args: &[OsString]) -> (Option<PathBuf>, Option<String>) {
    let (mut config, mut service) = (None, None);
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        } else if let Some(v) = a.strip_prefix("--config=") {
            config = Some(PathBuf::from(v));
        } else if a == "--config" {
            config = it.next().map(|v| PathBuf::from(v.as_ref()));
        } else if service.is_none() && !a.starts_with('-') {
            service = Some(a.into_owned());
        }
    }
    (
        config.or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from)),
        service,
    )
}

/// `cli` with the file's settings as the defaults of the flags of `service` (the
/// subcommand about to run), so flags and environment variables still win.
pub fn apply(cli: Command, file: &ConfigFile, service: &str) -> anyhow::Result<Command> {
    let Some(sub) = cli.find_subcommand(service) else {
        return Ok(cli);
    };
    if !SERVICES.contains(&service) {
        return Ok(cli);
    }
    let settings = file.settings_for(service, sub)?;
    Ok(cli.mut_subcommand(service, |mut sub| {
        for (key, value) in settings {
            let id = setting(&sub, &key)
                .map(|a| a.get_id().clone())
                .expect("settings_for checked it");
            sub = sub.mut_arg(id, |a| a.default_value(value));
        }
        sub
    }))
}

/// The flag of `service` whose long name is `key`, if it is a setting.
fn setting<'a>(service: &'a Command, key: &str) -> Option<&'a Arg> {
    service
        .get_arguments()
        .find(|a| a.get_long() == Some(key) && !NOT_SETTINGS.contains(&key) && !a.is_positional())
}

/// The settings service `name` resolved to (`matches`), as TOML lines, each
/// commented with where its value came from: `flag`, `env`, `file` or `default`.
pub fn effective(cli: &Command, file: &ConfigFile, name: &str, matches: &ArgMatches) -> String {
    let Some(service) = cli.find_subcommand(name) else {
        return String::new();
    };
    let from_file: Vec<String> = file
        .settings_for(name, service)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut s = format!("[{name}]\n");
    for arg in service.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if NOT_SETTINGS.contains(&long) {
            continue;
        }
        let id = arg.get_id().as_str();
        let values: Vec<String> = matches
            .get_raw(id)
            .map(|v| v.map(|x| x.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag",
            Some(ValueSource::EnvVariable) => "env",
            Some(ValueSource::DefaultValue) if from_file.iter().any(|k| k == long) => "file",
            Some(ValueSource::DefaultValue) => "default",
            _ => "unset",
        };
        let value = if values.is_empty() {
            "\"\"".to_string()
        } else {
            format!("{:?}", redact(&values.join(",")))
        };
        let _ = writeln!(s, "{long} = {value}  # {source}");
    }
    s
}

/// `value` with the passwords of any `scheme://user:password@host` URLs in it
/// replaced by `***`.
fn redact(value: &str) -> String {
    value
        .split(',')
        .map(|part| match (part.find("://"), part.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let userinfo = &part[scheme + 3..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &part[..scheme + 3], &part[at..]),
                    None => part.to_string(),
                }
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A TOML value as the text its flag takes (lists comma-separated).
fn flag_value(path: &Path, key: &str, value: &toml::Value) -> anyhow::Result<String> {
    Ok(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(|v| flag_value(path, key, v))
            .collect::<anyhow::Result<Vec<_>>>()?
            .join(","),
        other => anyhow::bail!(
            "{}: {key}: expected a string, number, boolean or list, found {}",
            path.display(),
            other.type_str()
        ),
    })
}

/// A commented sample config with every setting of every service, its help text,
/// environment variable and default, generated from the flags.
pub fn sample(cli: &Command) -> String {
    let mut s = String::from(
        "# Natter configuration (TOML). Every key is optional; shown commented out with\n\
         # its default. Precedence: command-line flag > NATTER_* environment variable >\n\
         # this file > built-in default. Use with `natter --config FILE <service>` or\n\
         # NATTER_CONFIG=FILE; check with `natter check-config FILE`.\n\
         #\n\
         # Keys outside a table apply to every service that has them, e.g.\n\
         # nats-url = \"nats://edge:PASSWORD@nats-1:4222,nats://edge:PASSWORD@nats-2:4222\"\n\
         # A table applies to one service and wins over the top level.\n\
         # Secrets never go here: token keys and push credentials are files named by\n\
         # token-keys-file and push-config; NATS passwords belong in NATTER_NATS_URL.\n",
    );
    for name in SERVICES {
        let Some(service) = cli.find_subcommand(name) else {
            continue;
        };
        let _ = writeln!(s, "\n[{name}]");
        if let Some(about) = service.get_about() {
            let _ = writeln!(s, "# {about}");
        }
        for arg in service.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if NOT_SETTINGS.contains(&long) {
                continue;
            }
            let _ = writeln!(s);
            if let Some(help) = arg.get_long_help().or(arg.get_help()) {
                for line in help.to_string().lines() {
                    let _ = writeln!(s, "# {line}");
                }
            }
            if let Some(env) = arg.get_env() {
                let _ = writeln!(s, "# env: {}", env.to_string_lossy());
            }
            let default: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let value = match (default.first(), arg.get_action()) {
                (_, ArgAction::SetTrue) => "false".to_string(),
                (Some(d), _) if d.parse::<i64>().is_ok() => d.clone(),
                (Some(_), _) => format!("{:?}", default.join(",")),
                (None, _) => "\"\"  # no default".to_string(),
            };
            let _ = writeln!(s, "# {long} = {value}");
        }
    }
    s
}
