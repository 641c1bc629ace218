//! Reading what a third-party producer wrote: kcat (librdkafka) with keys, headers and every
//! codec (confluent-kafka's half is `confluent.rs`). Skipped with a note when kcat is missing,
//! unless `KAFKIT_REQUIRE_INTEROP=1`.

use std::io::Write;
use std::process::{Command, Stdio};

use super::*;

const KCAT: &str = "/usr/bin/kcat";

fn kcat_available() -> bool {
    let present = std::path::Path::new(KCAT).exists();
    if !present {
        assert!(
            std::env::var("KAFKIT_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "kcat is required (KAFKIT_REQUIRE_INTEROP=1) but {KCAT} is missing"
        );
        eprintln!("note: {KCAT} not installed; skipping the kcat interop test");
    }
    present
}

/// Produces `lines` (`key:value`) with kcat using `codec` and one header per record.
async fn kcat_produce(broker: &TestBroker, topic: &str, codec: &str, lines: &str) {
    let addr = broker.addr.to_string();
    let (topic, codec, lines) = (topic.to_string(), codec.to_string(), lines.to_string());
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(KCAT)
            .args([
                "-P",
                "-b",
                &addr,
                "-t",
                &topic,
                "-K",
                ":",
                "-H",
                "origin=kcat",
                "-z",
                &codec,
                "-X",
                "linger.ms=5",
            ])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "kcat: {}", text(&out.stderr));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_what_kcat_produced() {
    if !kcat_available() {
        return;
    }
    let broker = TestBroker::start().await;
    let mut client = broker.connect().await;
    create_topic(&mut client, "fromkcat", 1).await;
    let mut expected = String::new();
    let mut count = 0;
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let mut lines = String::new();
        for i in 0..100 {
            lines.push_str(&format!("{codec}-k{i}:{codec} value {i}\n"));
            expected.push_str(&format!("origin:kcat\t{codec}-k{i}\t{codec} value {i}\n"));
            count += 1;
        }
        kcat_produce(&broker, "fromkcat", codec, &lines).await;
    }
    let out = consume(
        &broker,
        &[
            "--topic",
            "fromkcat",
            "--from-beginning",
            "--max-messages",
            &count.to_string(),
            "--formatter-property",
            "print.key=true",
            "--formatter-property",
            "print.headers=true",
        ],
    )
    .await;
    assert_consumed(&out, &expected, count);
}
