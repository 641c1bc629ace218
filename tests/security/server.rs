//! `kafka-server-start` with an Apache-style `server.properties` for secured listeners: it
//! binds `localhost` listeners to the loopback address only, serves SASL_SSL and SSL, and our
//! tools reach it by the advertised host name (so TLS host-name verification is exercised).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::fixture::{
    client_properties, server_properties, write_properties, Certs, SCRAM_PASSWORD,
};

const SERVER: &str = env!("CARGO_BIN_EXE_kafka-server-start");
const TOPICS: &str = env!("CARGO_BIN_EXE_kafka-topics");
const ADDRESS_LINE: &str = "Awaiting socket connections on ";
const STARTED_LINE: &str = "] started";
/// How long the broker gets to start; a hang is a failure, not a wait.
const START_TIMEOUT: Duration = Duration::from_secs(60);

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn server_start_binds_localhost_listeners_to_loopback_and_serves_tls_and_sasl() {
    let certs = Certs::generate();
    let data = tempfile::tempdir().unwrap();
    let mut props = server_properties(&certs, data.path(), "none");
    for (key, value) in &mut props {
        if key == "listeners" {
            *value = "PLAINTEXT://localhost:0,SSL://localhost:0,SASL_SSL://localhost:0".into();
        }
    }
    props.push(("process.roles".into(), "broker,controller".into()));
    props.push(("node.id".into(), "1".into()));
    let file = write_properties(certs.path(), "server.properties", &props);
    let mut child = Command::new(SERVER)
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let _server = Server(child);
    let mut bound = Vec::new();
    loop {
        let line = lines
            .recv_timeout(START_TIMEOUT)
            .unwrap_or_else(|_| panic!("no '{STARTED_LINE}' line; bound so far: {bound:?}"));
        if let Some(at) = line.find(ADDRESS_LINE) {
            bound.push(line[at + ADDRESS_LINE.len()..].to_string());
        }
        if line.contains(STARTED_LINE) {
            break;
        }
    }
    assert_eq!(bound.len(), 3, "{bound:?}");
    for line in &bound {
        assert!(line.starts_with("127.0.0.1:"), "not loopback only: {line}");
    }
    let port_of = |listener: &str| -> String {
        let line = bound
            .iter()
            .find(|l| l.contains(&format!("(listener {listener},")))
            .unwrap_or_else(|| panic!("{listener} not bound: {bound:?}"));
        let addr = line.split(". ").next().unwrap();
        addr.rsplit(':').next().unwrap().to_string()
    };

    for (listener, mechanism) in [("SASL_SSL", "SCRAM-SHA-256"), ("SSL", "")] {
        let config = write_properties(
            certs.path(),
            &format!("{listener}.properties"),
            &client_properties(&certs, listener, mechanism, SCRAM_PASSWORD),
        );
        let bootstrap = format!("localhost:{}", port_of(listener));
        let topic = format!("via-{}", listener.to_ascii_lowercase().replace('_', "-"));
        let out = Command::new(TOPICS)
            .args(["--bootstrap-server", &bootstrap, "--command-config"])
            .arg(&config)
            .args(["--create", "--topic", &topic])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{listener}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("Created topic {topic}.\n")
        );
    }
}
