//! Our tools on every secured listener through `--command-config` / `--producer.config` /
//! `--consumer.config`, and their failures: a wrong password and an untrusted certificate are
//! reported with Kafka's messages, and nothing is written.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::fixture::{
    client_properties, write_properties, SecureBroker, PLAIN_PASSWORD, SCRAM_PASSWORD,
};

/// Bounds one tool run; a hang is a failure, not a wait.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);
const RECORDS: [&str; 3] = ["first", "second", "third"];

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn tool(binary: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(binary)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let output = tokio::time::timeout(TOOL_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{binary} {args:?} still running after {TOOL_TIMEOUT:?}"))
        .unwrap();
    Output {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const TOPICS: &str = env!("CARGO_BIN_EXE_kafka-topics");
const PRODUCER: &str = env!("CARGO_BIN_EXE_kafka-console-producer");
const CONSUMER: &str = env!("CARGO_BIN_EXE_kafka-console-consumer");
const GROUPS: &str = env!("CARGO_BIN_EXE_kafka-consumer-groups");

/// Creates a topic, produces, consumes in a group and lists groups over one listener.
async fn round_trip(broker: &SecureBroker, dir: &Path, listener: &str, mechanism: &str) {
    // Topic names with '-' only: '_' would add kafka-topics' collision warning to the output.
    let case = format!("{listener}-{mechanism}")
        .to_ascii_lowercase()
        .replace('_', "-");
    let password = if mechanism == "PLAIN" {
        PLAIN_PASSWORD
    } else {
        SCRAM_PASSWORD
    };
    let props = client_properties(&broker.certs, listener, mechanism, password);
    let config = write_properties(dir, &format!("{case}.properties"), &props);
    let config = config.to_str().unwrap();
    let bootstrap = broker.bootstrap(listener);
    let topic = format!("t-{case}");
    let group = format!("g-{case}");

    let created = tool(
        TOPICS,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--command-config",
            config,
            "--create",
            "--topic",
            &topic,
            "--partitions",
            "2",
        ],
        None,
    )
    .await;
    assert!(created.ok, "{case}: {}", created.stderr);
    assert_eq!(created.stdout, format!("Created topic {topic}.\n"));

    let input = RECORDS.join("\n") + "\n";
    let produced = tool(
        PRODUCER,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--producer.config",
            config,
            "--topic",
            &topic,
        ],
        Some(&input),
    )
    .await;
    assert!(produced.ok, "{case}: {}", produced.stderr);

    let consumed = tool(
        CONSUMER,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--consumer.config",
            config,
            "--topic",
            &topic,
            "--group",
            &group,
            "--from-beginning",
            "--max-messages",
            "3",
        ],
        None,
    )
    .await;
    assert!(consumed.ok, "{case}: {}", consumed.stderr);
    let mut lines: Vec<&str> = consumed.stdout.lines().collect();
    lines.sort_unstable();
    let mut expected = RECORDS.to_vec();
    expected.sort_unstable();
    assert_eq!(lines, expected, "{case}");

    let groups = tool(
        GROUPS,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--command-config",
            config,
            "--list",
        ],
        None,
    )
    .await;
    assert!(groups.ok, "{case}: {}", groups.stderr);
    assert!(
        groups.stdout.lines().any(|l| l == group),
        "{case}: {}",
        groups.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_work_on_every_secured_listener() {
    let broker = SecureBroker::start().await;
    let dir = tempfile::tempdir().unwrap();
    for (listener, mechanism) in [
        ("SSL", ""),
        ("SASL_PLAINTEXT", "PLAIN"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-256"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
        ("SASL_SSL", "SCRAM-SHA-512"),
    ] {
        round_trip(&broker, dir.path(), listener, mechanism).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_and_untrusted_certificates_fail_with_kafka_messages() {
    let broker = SecureBroker::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("SASL_PLAINTEXT", "PLAIN", "Authentication failed: Invalid username or password"),
        (
            "SASL_PLAINTEXT",
            "SCRAM-SHA-256",
            "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
        ),
        (
            "SASL_SSL",
            "SCRAM-SHA-512",
            "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
        ),
    ];
    for (listener, mechanism, message) in cases {
        let props = client_properties(&broker.certs, listener, mechanism, "wrong-password");
        let config = write_properties(dir.path(), "wrong.properties", &props);
        let bootstrap = broker.bootstrap(listener);
        let out = tool(
            TOPICS,
            &[
                "--bootstrap-server",
                &bootstrap,
                "--command-config",
                config.to_str().unwrap(),
                "--create",
                "--topic",
                "never",
            ],
            None,
        )
        .await;
        // kafka-topics prints its errors on stdout, as Apache's does.
        assert!(!out.ok, "{listener} {mechanism}: {}", out.stdout);
        assert!(
            out.stdout.contains(message),
            "{listener} {mechanism}: {}{}",
            out.stdout,
            out.stderr
        );
        let out = tool(
            PRODUCER,
            &[
                "--bootstrap-server",
                &bootstrap,
                "--producer.config",
                config.to_str().unwrap(),
                "--topic",
                "never",
            ],
            Some("lost\n"),
        )
        .await;
        assert!(
            !out.ok,
            "{listener} {mechanism}: the producer reported success"
        );
    }
    assert!(
        broker.state.topic("never").is_none(),
        "a rejected client created a topic"
    );

    // A trust store with another CA: the handshake fails, for SSL and SASL_SSL alike.
    for listener in ["SSL", "SASL_SSL"] {
        let mut props = client_properties(&broker.certs, listener, "PLAIN", PLAIN_PASSWORD);
        for (k, v) in &mut props {
            if k == "ssl.truststore.location" {
                *v = broker.certs.other_ca.display().to_string();
            }
        }
        let config = write_properties(dir.path(), "other-ca.properties", &props);
        let out = tool(
            TOPICS,
            &[
                "--bootstrap-server",
                &broker.bootstrap(listener),
                "--command-config",
                config.to_str().unwrap(),
                "--list",
            ],
            None,
        )
        .await;
        assert!(!out.ok, "{listener}: {}", out.stdout);
        assert!(
            out.stdout.contains("SSL handshake failed"),
            "{listener}: {}{}",
            out.stdout,
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn client_certificates_are_required_when_configured() {
    let broker = SecureBroker::start_with_client_auth("required").await;
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = broker.bootstrap("SSL");
    let mut props = client_properties(&broker.certs, "SSL", "", "");
    let without = write_properties(dir.path(), "no-cert.properties", &props);
    let out = tool(
        TOPICS,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--command-config",
            without.to_str().unwrap(),
            "--list",
        ],
        None,
    )
    .await;
    assert!(
        !out.ok,
        "listed topics without a client certificate: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("SSL handshake failed"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    props.push(("ssl.keystore.type".into(), "PEM".into()));
    props.push((
        "ssl.keystore.certificate.chain".into(),
        std::fs::read_to_string(&broker.certs.client_cert).unwrap(),
    ));
    props.push((
        "ssl.keystore.key".into(),
        std::fs::read_to_string(&broker.certs.client_key).unwrap(),
    ));
    // Inline PEM values span lines: continue them as Java properties do.
    let props: Vec<(String, String)> = props
        .into_iter()
        .map(|(k, v)| (k, v.trim_end().replace('\n', "\\n\\\n")))
        .collect();
    let with = dir.path().join("cert.properties");
    let text: String = props.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&with, text).unwrap();
    let out = tool(
        TOPICS,
        &[
            "--bootstrap-server",
            &bootstrap,
            "--command-config",
            with.to_str().unwrap(),
            "--list",
        ],
        None,
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
}
