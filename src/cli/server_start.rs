//! `kafka-server-start`: Apache's calling convention (`[-daemon] [server.properties]
//! [--override property=value]...`), start-up of the bundled broker on every configured listener,
//! clean shutdown on SIGINT/SIGTERM, and `-daemon` detaching like Apache's script. Owns process
//! concerns (arguments, sockets, signals, the daemon log file); the broker itself lives in
//! [`crate::broker`] and this module must not reach into its state beyond the public entry points.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;

use clap::{FromArgMatches, Parser};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::broker::config::{BrokerConfig, Listener};
use crate::broker::security::ListenerSecurity;
use crate::broker::server::BoundListener;
use crate::broker::{self, logging, server};
use crate::protocol::properties;
use crate::{Error, Result};

/// Apache's single-dash spelling, rewritten to `--daemon` before clap sees the arguments.
const APACHE_DAEMON_FLAG: &str = "-daemon";
/// Where `-daemon` writes output when `LOG_DIR` is not set (Apache: `$base_dir/logs`).
const DEFAULT_DAEMON_LOG_DIR: &str = "logs";
/// The daemon's output file, named as Apache's script names it.
const DAEMON_OUT_FILE: &str = "kafkaServer.out";
/// Environment variable that moves the daemon's output directory, as in Apache's scripts.
const LOG_DIR_ENV: &str = "LOG_DIR";

/// Start the bundled single-node Kafka broker.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kafka-server-start",
    version,
    about = "Start the bundled single-node Kafka broker (no format step, no ZooKeeper).",
    override_usage = "kafka-server-start [-daemon] [server.properties] [--override property=value]..."
)]
pub struct Args {
    /// Run in the background (new process group, stdin from /dev/null), appending output to
    /// $LOG_DIR/kafkaServer.out (default ./logs/kafkaServer.out). Apache spells it -daemon.
    #[arg(long)]
    pub daemon: bool,

    /// The server.properties file; without one, Kafka's defaults are used.
    #[arg(value_name = "server.properties")]
    pub config: Option<PathBuf>,

    /// Set a property over the file's value (repeatable).
    #[arg(long = "override", value_name = "property=value", value_parser = parse_override)]
    pub overrides: Vec<(String, String)>,

    /// Set by `--daemon` on the process it starts: SIGHUP is then ignored (as under nohup).
    #[arg(long, hide = true)]
    pub detached: bool,
}

/// The clap command: what [`parse_args`] parses, and what the completions and man page are
/// generated from.
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

/// Parses the command line, accepting Apache's `-daemon`; exits on `--help`, `--version` and
/// usage errors as clap does.
pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Args {
    let args = args.into_iter().map(|arg| {
        if arg == APACHE_DAEMON_FLAG {
            OsString::from("--daemon")
        } else {
            arg
        }
    });
    command()
        .try_get_matches_from(args)
        .and_then(|matches| Args::from_arg_matches(&matches))
        .unwrap_or_else(|e| e.exit())
}

/// `property=value`; a bare `property` (or `property=`) sets an empty value, as Kafka's
/// `--override` parsing allows.
fn parse_override(arg: &str) -> std::result::Result<(String, String), String> {
    let (key, value) = arg.split_once('=').unwrap_or((arg, ""));
    if key.trim().is_empty() {
        return Err(format!("expected property=value, got '{arg}'"));
    }
    Ok((key.trim().to_string(), value.to_string()))
}

/// Maps the outcome of [`run`] or [`daemonize`] to an exit code, printing a fatal error on stderr.
pub fn finish(outcome: Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(error) => {
            let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
            // Nothing sensible is left to do if stderr is closed.
            let _ = writeln!(
                std::io::stderr(),
                "[{now}] ERROR Exiting Kafka due to fatal exception: {error} (kafkit.broker)"
            );
            ExitCode::FAILURE
        }
    }
}

/// Re-starts this program without `-daemon` in a new process group, with stdin from /dev/null
/// and stdout/stderr appended to `$LOG_DIR/kafkaServer.out`, prints where, and returns at once.
pub fn daemonize(args: &Args) -> Result<ExitCode> {
    let log_dir = std::env::var_os(LOG_DIR_ENV).map(PathBuf::from);
    let out_path = std::path::absolute(daemon_out_path(log_dir.as_deref()))
        .map_err(|e| Error::io("cannot resolve the daemon log path", e))?;
    if let Some(dir) = out_path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .map_err(|e| Error::io(format!("cannot open {}", out_path.display()), e))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::io(format!("cannot open {}", out_path.display()), e))?;
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find this program's executable", e))?;

    let mut command = Command::new(exe);
    command.arg("--detached");
    if let Some(config) = &args.config {
        command.arg(config);
    }
    for (key, value) in &args.overrides {
        command.arg(format!("--override={key}={value}"));
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io("cannot start the broker in the background", e))?;
    println!(
        "kafka-server-start is running in the background (pid {}); output is appended to {}",
        child.id(),
        out_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Loads the configuration, binds every broker listener, opens the log directory and serves
/// until SIGINT or SIGTERM, then shuts down cleanly.
pub async fn run(args: Args) -> Result<ExitCode> {
    // Listen for signals before anything else, so an early SIGTERM still shuts down cleanly.
    let (stop_tx, stop_rx) = watch::channel(false);
    let signals = watch_signals(stop_tx, args.detached)?;

    let mut config = load_config(&args)?;
    // TLS and SASL settings are checked before anything is bound or opened.
    let mut security = broker::security::for_listeners(&config)?;
    let bound = bind_listeners(&config).await?;
    for (name, listener) in &bound {
        let port = local_addr(listener)?.port();
        config.set_bound_port(name, port);
    }
    let node_id = config.node_id;
    let data_dir = config.log_dir.clone();
    logging::info(&format!("Loading logs from log dir {}", data_dir.display()));
    let advertised = config.advertised_listeners.clone();
    let (broker, log_dir) = server::open(config)?;
    logging::info(&format!(
        "[KafkaServer id={node_id}] Data directory {}, node id {node_id}, cluster id {}",
        data_dir.display(),
        broker.cluster_id
    ));

    let mut listeners = Vec::with_capacity(bound.len());
    for (name, listener) in bound {
        let addr = local_addr(&listener)?;
        let advertised_as = advertised
            .iter()
            .find(|l| l.name == name)
            .map(|l| format!("advertised as {l}"))
            .unwrap_or_else(|| "not advertised".to_string());
        let security = security
            .remove(&name)
            .unwrap_or_else(|| Arc::new(ListenerSecurity::plaintext()));
        logging::info(&format!(
            "Awaiting socket connections on {addr}. (listener {name}, {}, {advertised_as})",
            security.protocol.name()
        ));
        listeners.push(BoundListener {
            socket: listener,
            security,
        });
    }
    logging::info(&format!("[KafkaServer id={node_id}] started"));
    let mut stop = stop_rx.clone();
    server::serve(listeners, broker.clone(), async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    })
    .await;
    signals.abort();
    server::close(&broker, &log_dir)?;
    Ok(ExitCode::SUCCESS)
}

/// The properties file (if any) with `--override`s applied, interpreted; warnings are logged.
fn load_config(args: &Args) -> Result<BrokerConfig> {
    let mut props = match &args.config {
        Some(path) => {
            logging::info(&format!("Loading configuration from {}", path.display()));
            properties::load(path).map_err(|e| Error::Config(e.to_string()))?
        }
        None => {
            logging::info("No server.properties given: using Kafka's defaults");
            BTreeMap::new()
        }
    };
    for (key, value) in &args.overrides {
        props.insert(key.clone(), value.clone());
    }
    let (config, warnings) = BrokerConfig::from_properties(&props)?;
    for warning in &warnings {
        logging::warn(warning);
    }
    Ok(config)
}

/// Stops the broker on SIGINT, SIGTERM and (unless detached, where it is ignored as under nohup)
/// SIGHUP.
fn watch_signals(stop: watch::Sender<bool>, detached: bool) -> Result<tokio::task::JoinHandle<()>> {
    let install = |kind: SignalKind| {
        signal(kind).map_err(|e| Error::io("cannot install a signal handler", e))
    };
    let mut interrupt = install(SignalKind::interrupt())?;
    let mut terminate = install(SignalKind::terminate())?;
    let mut hangup = install(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
                _ = hangup.recv() => {
                    if detached {
                        logging::info("Ignoring SIGHUP: running detached (-daemon)");
                        continue;
                    }
                    "SIGHUP"
                }
            };
            logging::info(&format!("Received {name}: shutting down"));
            let _ = stop.send(true);
        }
    }))
}

/// Binds every listener, failing on the first address that cannot be bound.
async fn bind_listeners(config: &BrokerConfig) -> Result<Vec<(String, TcpListener)>> {
    let mut bound = Vec::new();
    for listener in &config.listeners {
        let addr = resolve(listener).await?;
        let socket = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io(format!("Socket server failed to bind to {addr}"), e))?;
        bound.push((listener.name.clone(), socket));
    }
    Ok(bound)
}

/// The address to bind: an empty host is every IPv4 interface; a name resolves to its first IPv4
/// address if it has one (as the JVM prefers), else its first address.
async fn resolve(listener: &Listener) -> Result<SocketAddr> {
    if listener.host.is_empty() {
        return Ok(SocketAddr::from((Ipv4Addr::UNSPECIFIED, listener.port)));
    }
    if let Ok(ip) = listener.host.parse::<IpAddr>() {
        return Ok(SocketAddr::from((ip, listener.port)));
    }
    let unresolvable =
        |e: std::io::Error| Error::io(format!("cannot resolve the host of listener {listener}"), e);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((listener.host.as_str(), listener.port))
        .await
        .map_err(unresolvable)?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| {
            unresolvable(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no addresses",
            ))
        })
}

fn local_addr(listener: &TcpListener) -> Result<SocketAddr> {
    listener
        .local_addr()
        .map_err(|e| Error::io("cannot read a bound listener's address", e))
}

/// The daemon output file for a given `LOG_DIR` value (`./logs` when unset).
pub fn daemon_out_path(log_dir: Option<&Path>) -> PathBuf {
    log_dir
        .unwrap_or(Path::new(DEFAULT_DAEMON_LOG_DIR))
        .join(DAEMON_OUT_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(
            std::iter::once("kafka-server-start")
                .chain(args.iter().copied())
                .map(|a| if a == "-daemon" { "--daemon" } else { a }),
        )
        .unwrap()
    }

    #[test]
    fn apache_calling_convention() {
        let args = parse(&[
            "-daemon",
            "config/server.properties",
            "--override",
            "num.partitions=3",
            "--override=log.dirs=/tmp/a=b",
            "--override",
            "empty",
        ]);
        assert!(args.daemon);
        assert_eq!(args.config, Some(PathBuf::from("config/server.properties")));
        assert_eq!(
            args.overrides,
            vec![
                ("num.partitions".to_string(), "3".to_string()),
                ("log.dirs".to_string(), "/tmp/a=b".to_string()),
                ("empty".to_string(), String::new()),
            ]
        );
        let bare = parse(&[]);
        assert!(!bare.daemon && bare.config.is_none() && bare.overrides.is_empty());
        assert!(Args::try_parse_from(["kafka-server-start", "--override", "=v"]).is_err());
        assert!(Args::try_parse_from(["kafka-server-start", "a.properties", "extra"]).is_err());
    }

    #[test]
    fn parse_args_rewrites_the_single_dash_daemon_flag() {
        let args =
            parse_args(["kafka-server-start", "-daemon", "x.properties"].map(OsString::from));
        assert!(args.daemon);
        assert_eq!(args.config, Some(PathBuf::from("x.properties")));
    }

    #[test]
    fn daemon_output_honours_log_dir() {
        assert_eq!(daemon_out_path(None), PathBuf::from("logs/kafkaServer.out"));
        assert_eq!(
            daemon_out_path(Some(Path::new("/var/log/kafka"))),
            PathBuf::from("/var/log/kafka/kafkaServer.out")
        );
    }
}
