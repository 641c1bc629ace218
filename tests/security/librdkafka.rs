//! librdkafka clients (confluent-kafka from PyPI, Debian's kcat) on the broker's SSL,
//! SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and SASL_SSL listeners: round trips,
//! wrong passwords and untrusted certificates, and SCRAM users managed through
//! AlterUserScramCredentials / DescribeUserScramCredentials.

use serde_json::{json, Value};
use tokio::process::Command;

use super::fixture::{SecureBroker, PLAIN_PASSWORD, PLAIN_USER, SCRAM_PASSWORD, SCRAM_USER};
use crate::interop::peers;

const KCAT_RECORDS: usize = 200;

/// librdkafka settings for `listener` (its names differ from Java's: `sasl.username`, ...).
fn rdkafka_config(
    broker: &SecureBroker,
    listener: &str,
    mechanism: &str,
    user: &str,
    password: &str,
) -> Value {
    let mut config = json!({
        "bootstrap.servers": broker.bootstrap(listener),
        "security.protocol": listener,
    });
    if listener.ends_with("SSL") {
        config["ssl.ca.location"] = json!(broker.certs.ca.display().to_string());
    }
    if listener.starts_with("SASL") {
        config["sasl.mechanism"] = json!(mechanism);
        config["sasl.username"] = json!(user);
        config["sasl.password"] = json!(password);
    }
    config
}

fn scenario(name: &str, config: Value, expect: &str) -> Value {
    json!({"name": name, "topic": format!("rd-{name}"), "config": config, "expect": expect})
}

#[tokio::test(flavor = "multi_thread")]
async fn confluent_kafka_on_tls_and_sasl_listeners() {
    let test = "confluent_kafka_on_tls_and_sasl_listeners";
    let Some(python) = peers::python_with("confluent_kafka", test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = SecureBroker::start().await;
    let b = &broker;
    let mut untrusted = rdkafka_config(b, "SSL", "", "", "");
    untrusted["ssl.ca.location"] = json!(b.certs.other_ca.display().to_string());
    let scenarios = json!([
        scenario("ssl", rdkafka_config(b, "SSL", "", "", ""), "ok"),
        scenario(
            "plain",
            rdkafka_config(b, "SASL_PLAINTEXT", "PLAIN", PLAIN_USER, PLAIN_PASSWORD),
            "ok"
        ),
        scenario(
            "scram256",
            rdkafka_config(
                b,
                "SASL_PLAINTEXT",
                "SCRAM-SHA-256",
                SCRAM_USER,
                SCRAM_PASSWORD
            ),
            "ok"
        ),
        scenario(
            "scram512",
            rdkafka_config(
                b,
                "SASL_PLAINTEXT",
                "SCRAM-SHA-512",
                SCRAM_USER,
                SCRAM_PASSWORD
            ),
            "ok"
        ),
        scenario(
            "sasl-ssl",
            rdkafka_config(b, "SASL_SSL", "SCRAM-SHA-256", SCRAM_USER, SCRAM_PASSWORD),
            "ok"
        ),
        scenario(
            "plain-wrong",
            rdkafka_config(b, "SASL_PLAINTEXT", "PLAIN", PLAIN_USER, "wrong"),
            "fail"
        ),
        scenario(
            "scram-wrong",
            rdkafka_config(b, "SASL_SSL", "SCRAM-SHA-512", SCRAM_USER, "wrong"),
            "fail"
        ),
        scenario("untrusted", untrusted, "fail"),
    ]);
    let admin = json!({
        "config": rdkafka_config(b, "SASL_PLAINTEXT", "PLAIN", PLAIN_USER, PLAIN_PASSWORD),
        "user": "carol",
        "password": "carol-secret",
        "mechanism": "SCRAM-SHA-256",
        "topic": "rd-carol",
        "user_config": rdkafka_config(b, "SASL_SSL", "SCRAM-SHA-256", "carol", "carol-secret"),
    });
    let result = peers::run_script(
        &python,
        "security.py",
        [
            "--scenarios",
            &scenarios.to_string(),
            "--admin",
            &admin.to_string(),
        ],
    )
    .await;
    for name in ["ssl", "plain", "scram256", "scram512", "sasl-ssl"] {
        assert_eq!(
            result["scenarios"][name]["consumed"], 50,
            "{name}: {result}"
        );
    }
    for name in ["plain-wrong", "scram-wrong"] {
        assert!(
            result["scenarios"][name]["errors"]
                .as_array()
                .is_some_and(|e| e.contains(&json!("_AUTHENTICATION"))),
            "{name}: {result}"
        );
    }
    assert!(
        result["scenarios"]["untrusted"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{result}"
    );
    // Nothing the rejected clients sent reached a log.
    for topic in ["rd-plain-wrong", "rd-scram-wrong", "rd-untrusted"] {
        assert!(
            broker.state.topic(topic).is_none(),
            "{topic} exists: {result}"
        );
    }
    assert_eq!(
        result["admin"]["described"],
        json!([["SCRAM_SHA_256", 8192]]),
        "{result}"
    );
    assert_eq!(result["admin"]["delivered"], 5, "{result}");
    assert!(
        result["admin"]["after_delete"]
            .as_array()
            .is_some_and(|e| e.contains(&json!("_AUTHENTICATION"))),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kcat_produces_and_consumes_over_sasl_ssl_and_ssl() {
    let test = "kcat_produces_and_consumes_over_sasl_ssl_and_ssl";
    let Some(kcat) = peers::kcat(test) else {
        return;
    };
    let _watchdog = peers::Watchdog::arm(test);
    let broker = SecureBroker::start().await;
    let input: String = (0..KCAT_RECORDS).map(|i| format!("record-{i}\n")).collect();
    let input_file = broker.certs.path().join("records.txt");
    std::fs::write(&input_file, &input).unwrap();
    for (listener, mechanism) in [
        ("SASL_SSL", "SCRAM-SHA-512"),
        ("SSL", ""),
        ("SASL_PLAINTEXT", "PLAIN"),
    ] {
        let topic = format!("kcat-{}", listener.to_ascii_lowercase());
        let mut options = vec![
            "-b".to_string(),
            broker.bootstrap(listener),
            "-X".into(),
            format!("security.protocol={listener}"),
        ];
        if listener.ends_with("SSL") {
            options.extend([
                "-X".into(),
                format!("ssl.ca.location={}", broker.certs.ca.display()),
            ]);
        }
        if !mechanism.is_empty() {
            let (user, password) = if mechanism == "PLAIN" {
                (PLAIN_USER, PLAIN_PASSWORD)
            } else {
                (SCRAM_USER, SCRAM_PASSWORD)
            };
            options.extend([
                "-X".into(),
                format!("sasl.mechanisms={mechanism}"),
                "-X".into(),
                format!("sasl.username={user}"),
                "-X".into(),
                format!("sasl.password={password}"),
            ]);
        }
        peers::run(
            Command::new(&kcat)
                .args(&options)
                .args(["-P", "-t", &topic, "-l"])
                .arg(&input_file),
            "kcat -P",
        )
        .await
        .expect_success(&format!("kcat -P on {listener}"));
        let consumed = peers::run(
            Command::new(&kcat).args(&options).args([
                "-C",
                "-t",
                &topic,
                "-o",
                "beginning",
                "-e",
                "-c",
                &KCAT_RECORDS.to_string(),
            ]),
            "kcat -C",
        )
        .await
        .expect_success(&format!("kcat -C on {listener}"));
        assert_eq!(consumed.stdout, input, "{listener}");
    }

    // A wrong password: kcat fails and no topic is created.
    let failed = peers::run(
        Command::new(&kcat).args([
            "-b",
            &broker.bootstrap("SASL_PLAINTEXT"),
            "-X",
            "security.protocol=SASL_PLAINTEXT",
            "-X",
            "sasl.mechanisms=SCRAM-SHA-256",
            "-X",
            &format!("sasl.username={SCRAM_USER}"),
            "-X",
            "sasl.password=wrong",
            "-m",
            "5",
            "-L",
        ]),
        "kcat -L with a wrong password",
    )
    .await;
    assert!(!failed.status.success(), "{}", failed.stdout);
    assert!(
        failed.stderr.contains("Authentication failed") || failed.stderr.contains("SASL"),
        "{}",
        failed.stderr
    );
}
