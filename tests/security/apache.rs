//! Apache's own tools (Java client 4.4) against the broker's secured listeners: kafka-configs
//! creates a SCRAM user through AlterUserScramCredentials (authenticated with PLAIN), our tools
//! then log in as that user, and Apache's kafka-topics lists topics over SASL_SSL with SCRAM.

use super::fixture::{
    client_properties, write_properties, SecureBroker, PLAIN_PASSWORD, SCRAM_PASSWORD,
};
use crate::common::apache::{apache, ApacheTool};
use crate::common::golden::run_captured;

const CONFIG_COMMAND: &str = "org.apache.kafka.tools.ConfigCommand";
const TOPICS: &str = env!("CARGO_BIN_EXE_kafka-topics");

#[tokio::test(flavor = "multi_thread")]
async fn apache_tools_manage_scram_users_and_log_in_over_sasl_ssl() {
    let Some(apache) = apache().await else {
        return;
    };
    let broker = SecureBroker::start().await;
    let certs = &broker.certs;
    let admin = write_properties(
        certs.path(),
        "admin.properties",
        &client_properties(certs, "SASL_PLAINTEXT", "PLAIN", PLAIN_PASSWORD),
    );
    let mut command = apache.java(CONFIG_COMMAND);
    command
        .args(["--bootstrap-server", &broker.bootstrap("SASL_PLAINTEXT")])
        .arg("--command-config")
        .arg(&admin)
        .args([
            "--alter",
            "--add-config",
            "SCRAM-SHA-256=[iterations=8192,password=dave-secret]",
            "--entity-type",
            "users",
            "--entity-name",
            "dave",
        ]);
    let out = run_captured(command, None).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.raw_stderr);
    assert_eq!(out.stdout, "Completed updating config for user dave.\n");

    // Our kafka-topics logs in as the new user over SASL_SSL.
    let mut dave = client_properties(certs, "SASL_SSL", "SCRAM-SHA-256", "dave-secret");
    for (key, value) in &mut dave {
        if key == "sasl.jaas.config" {
            *value = value.replace("scram-user", "dave");
        }
    }
    let dave = write_properties(certs.path(), "dave.properties", &dave);
    let created = tokio::process::Command::new(TOPICS)
        .args(["--bootstrap-server", &broker.bootstrap("SASL_SSL")])
        .arg("--command-config")
        .arg(&dave)
        .args(["--create", "--topic", "by-dave"])
        .output()
        .await
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stdout)
    );

    // Apache's kafka-topics: Java's TLS (PEM trust store, host-name check) and SCRAM-SHA-512.
    let scram = write_properties(
        certs.path(),
        "scram.properties",
        &client_properties(certs, "SASL_SSL", "SCRAM-SHA-512", SCRAM_PASSWORD),
    );
    let out = apache
        .run_tool(
            ApacheTool::Topics,
            &[
                "--bootstrap-server",
                &broker.bootstrap("SASL_SSL"),
                "--command-config",
                scram.to_str().unwrap(),
                "--list",
            ],
        )
        .await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.raw_stderr);
    assert_eq!(out.stdout, "by-dave\n");
}
