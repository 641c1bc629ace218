//! What every tool shares: jopt-simple-compatible argument handling on top of clap (single-dash
//! long options, no abbreviations, next-token-verbatim values, stray words ignored, jopt's error
//! texts), jopt's help table, `--command-config` loading, client settings from properties, and
//! the exit-code conventions.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Command;

use crate::client::ClientConfig;

pub use super::jopt_help::EXTENSION_HEADING;

/// Exit code for every failure (usage errors, broker errors, I/O errors).
pub const EXIT_FAILURE: u8 = 1;

/// A failure before the tool's action started: message for stderr, whether to print usage.
#[derive(Debug)]
pub struct UsageError {
    pub message: String,
    pub show_usage: bool,
}

impl UsageError {
    pub fn with_usage(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            show_usage: true,
        }
    }

    pub fn plain(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            show_usage: false,
        }
    }
}

/// The outcome of parsing: arguments to run with, or a terminal answer (help, version, error).
#[derive(Debug)]
pub enum Parsed<T> {
    Run(T),
    Help,
    Version,
    Error(UsageError),
}

/// Parses `argv` (without the program name) the way jopt-simple would, with the tool's
/// `command()` (the one the docs are generated from), into clap's `T`.
pub fn parse<T: clap::FromArgMatches>(command: Command, argv: Vec<OsString>) -> Parsed<T> {
    let argv = normalize(&command, argv);
    if argv.iter().any(|a| a == "--help") {
        return Parsed::Help;
    }
    if argv.iter().any(|a| a == "--version") {
        return Parsed::Version;
    }
    let mut full = vec![OsString::from(command.get_name().to_string())];
    full.extend(argv);
    let matches = command
        .clone()
        .disable_help_flag(true)
        .disable_version_flag(true)
        .try_get_matches_from(full);
    match matches.and_then(|m| T::from_arg_matches(&m)) {
        Ok(args) => Parsed::Run(args),
        Err(e) => Parsed::Error(UsageError::plain(jopt_message(&e))),
    }
}

/// Rewrites `-name` to `--name` for known long options (jopt accepts a single dash), leaving
/// values (the token after an option that takes one) untouched.
fn normalize(command: &Command, argv: Vec<OsString>) -> Vec<OsString> {
    let takes_value = |name: &str| {
        command
            .get_arguments()
            .find(|a| a.get_long() == Some(name))
            .map(|a| a.get_action().takes_values())
    };
    let mut out = Vec::with_capacity(argv.len());
    let mut value_next = false;
    let mut options_done = false;
    for arg in argv {
        if value_next || options_done {
            value_next = false;
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            options_done = true;
            out.push(arg);
            continue;
        }
        let long = if let Some(rest) = text.strip_prefix("--") {
            Some(rest.to_string())
        } else if text.len() > 2 && text.starts_with('-') {
            Some(text[1..].to_string())
        } else {
            None
        };
        match long {
            Some(long) => {
                let (name, inline_value) = match long.split_once('=') {
                    Some((n, _)) => (n.to_string(), true),
                    None => (long.clone(), false),
                };
                match takes_value(&name) {
                    Some(takes) => {
                        value_next = takes && !inline_value;
                        out.push(OsString::from(format!("--{long}")));
                    }
                    None => out.push(arg),
                }
            }
            None => out.push(arg),
        }
    }
    out
}

/// jopt-simple's text for a clap parse error.
fn jopt_message(error: &clap::Error) -> String {
    let arg_name = || {
        error
            .get(ContextKind::InvalidArg)
            .and_then(|v| match v {
                ContextValue::String(s) => Some(s.clone()),
                _ => None,
            })
            .map(|s| {
                let s = s.split(' ').next().unwrap_or(&s).to_string();
                s.trim_start_matches('-')
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .unwrap_or_default()
    };
    let value = || {
        error
            .get(ContextKind::InvalidValue)
            .and_then(|v| match v {
                ContextValue::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    match error.kind() {
        ErrorKind::UnknownArgument => format!("{} is not a recognized option", arg_name()),
        ErrorKind::InvalidValue if value().is_empty() => {
            format!("Option {} requires an argument", arg_name())
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            format!(
                "Cannot parse argument '{}' of option {}",
                value(),
                arg_name()
            )
        }
        ErrorKind::ArgumentConflict => format!(
            "Found multiple arguments for option {}, but you asked for only one",
            arg_name()
        ),
        _ => error
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string(),
    }
}

/// jopt-simple's help table for `command` (see [`super::jopt_help`]), byte for byte as Apache's
/// tools print it.
pub fn jopt_help(command: &Command) -> String {
    super::jopt_help::help(command)
}

/// Prints a usage error the jopt way (message, then the help table of the tool's `command()`, on
/// stderr) and returns the failure exit code.
pub fn usage_failure_of(command: &Command, error: &UsageError) -> ExitCode {
    eprintln!("{}", error.message);
    if error.show_usage {
        eprint!("{}", jopt_help(command));
    }
    ExitCode::from(EXIT_FAILURE)
}

/// Splits `key=value` on the first `=` (no escapes); `key` alone gives an empty value.
pub fn split_property(entry: &str) -> (String, String) {
    match entry.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => (entry.to_string(), String::new()),
    }
}

/// Reads a `--command-config` file (Java properties syntax).
/// A file that cannot be read is reported as Java reports it (`NoSuchFileException` and
/// `AccessDeniedException` carry just the path).
pub fn load_properties(path: &str) -> Result<BTreeMap<String, String>, String> {
    use crate::protocol::properties::PropertiesError;
    use std::io::ErrorKind;
    crate::protocol::properties::load(Path::new(path)).map_err(|e| match &e {
        PropertiesError::Read { source, .. } => match source.kind() {
            ErrorKind::NotFound | ErrorKind::PermissionDenied => path.to_string(),
            ErrorKind::IsADirectory => "Is a directory".to_string(),
            _ => e.to_string(),
        },
        PropertiesError::Syntax { .. } => e.to_string(),
    })
}

/// Client settings from `--bootstrap-server` and client properties (`--command-config` plus
/// inline overrides). The option's bootstrap servers win over the file's.
pub fn client_config(
    bootstrap: Option<&str>,
    properties: &BTreeMap<String, String>,
) -> Result<ClientConfig, String> {
    let bootstrap = bootstrap
        .map(str::to_string)
        .or_else(|| properties.get("bootstrap.servers").cloned())
        .unwrap_or_default();
    let mut config = ClientConfig::new(&bootstrap);
    let millis = |key: &str| -> Result<Option<Duration>, String> {
        match properties.get(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(|ms| Some(Duration::from_millis(ms)))
                .map_err(|_| {
                    format!("Invalid value {v} for configuration {key}: Not a number of type LONG")
                }),
        }
    };
    if let Some(d) = millis("request.timeout.ms")? {
        config.timeouts.request = d;
    }
    if let Some(d) = millis("socket.connection.setup.timeout.ms")? {
        config.timeouts.connect = d;
    }
    if let Some(d) = millis("default.api.timeout.ms")? {
        config.api_timeout = d;
    }
    if let Some(d) = millis("retry.backoff.ms")? {
        config.retry_backoff = d;
    }
    if let Some(d) = millis("retry.backoff.max.ms")? {
        config.retry_backoff_max = d;
    }
    if let Some(id) = properties.get("client.id") {
        config.client_id = id.clone();
    }
    config.security = crate::client::Security::from_properties(properties)?;
    Ok(config)
}

/// A current-thread runtime: the tools are I/O-bound and start faster without worker threads.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
