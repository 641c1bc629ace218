//! Usage errors in Apache's order with Apache's texts, `--help` / `--version`, deprecated
//! spellings, consumer property errors, and the group option.

use super::*;

const USAGE_HEADER: &str = "Option";

/// Asserts a usage error: exit 1, nothing on stdout, `message` then the help table on stderr.
#[track_caller]
fn assert_usage(output: &Output, message: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&output.stdout), "");
    assert!(
        stderr.starts_with(&format!("{message}\n{USAGE_HEADER}")),
        "expected {message:?}, got {stderr}"
    );
}

async fn with(args: &[&str]) -> Output {
    run(args.iter().map(|s| s.to_string()).collect()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_in_apaches_order() {
    let b = ["--bootstrap-server", "127.0.0.1:1"];
    let cases: &[(&[&str], &str)] = &[
        (&["--topic", "t", "--bogus"], "bogus is not a recognized option"),
        (&["--topic"], "Option topic requires an argument"),
        (&b, "Exactly one of the following arguments is required: [topic], [include]"),
        (&["--topic", "t", "--include", "x"], "Exactly one of the following arguments is required: [topic], [include]"),
        (&["--topic", "t", "--whitelist", "x"], "Exactly one of the following arguments is required: [topic], [include]"),
        (&["--include", "x", "--partition", "0"], "The topic is required when partition is specified."),
        (&["--topic", "t", "--partition", "0", "--from-beginning", "--offset", "1"], "Options from-beginning and offset cannot be specified together."),
        (&["--topic", "t", "--offset", "1"], "The partition is required when offset is specified."),
        (&["--topic", "t"], "Missing required argument \"[bootstrap-server]\""),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--consumer-property", "a=b", "--command-property", "c=d"], "Options --consumer-property and --command-property cannot be specified together."),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--consumer.config", "a", "--command-config", "b"], "Options --consumer.config and --command-config cannot be specified together."),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--group", "a", "--command-property", "group.id=b"], "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'a', 'b'"),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--partition", "0", "--group", "g"], "Options group and partition cannot be specified together."),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--partition", "0", "--offset", "-1"], "The provided offset value '-1' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--partition", "0", "--offset", "soon"], "The provided offset value 'soon' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--formatter", "com.example.Formatter"], "com.example.Formatter"),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--property", "a=b", "--formatter-property", "c=d"], "Options --property and --formatter-property cannot be specified together."),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--formatter-config", "/nonexistent/f.properties"], "/nonexistent/f.properties"),
        (&["--topic", "t", "--bootstrap-server", "h:1", "--output", "xml"], "Invalid value xml for option output: must be text or json"),
    ];
    for (args, message) in cases {
        assert_usage(&with(args).await, message);
    }
    // Wrong types and repeated options fail later in Apache, as uncaught exceptions.
    let out = with(&["--topic", "t", "--partition", "x"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Exception in thread \"main\" joptsimple.OptionArgumentConversionException: Cannot parse argument 'x' of option partition\n"
    );
    let out = with(&["--topic", "a", "--topic", "b"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Exception in thread \"main\" joptsimple.MultipleArgumentsForOptionException: Found multiple arguments for option topic, but you asked for only one\n"
    );
    // The group-id mismatch lists the ids in Java HashSet order.
    let out = with(&[
        "--topic",
        "t",
        "--bootstrap-server",
        "h:1",
        "--group",
        "zeta",
        "--command-property",
        "group.id=alpha",
    ])
    .await;
    assert!(text(&out.stderr).starts_with("The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'zeta', 'alpha'\n"));

    // The from-beginning / auto.offset.reset conflict is not a usage error (no help table).
    let out = with(&[
        "--topic",
        "t",
        "--bootstrap-server",
        "h:1",
        "--from-beginning",
        "--command-property",
        "auto.offset.reset=latest",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn help_version_and_no_arguments() {
    let out = with(&[]).await;
    assert_usage(
        &out,
        "This tool helps to read data from Kafka topics and outputs it to standard output.",
    );
    let out = with(&["--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stderr);
    assert!(help.starts_with(
        "This tool helps to read data from Kafka topics and outputs it to standard output.\nOption"
    ));
    for option in [
        // jopt wraps this one in its option column, as Apache's help does.
        "--bootstrap-server <String: server to    REQUIRED",
        "--from-beginning",
        "--formatter-property <String: prop>",
        "--isolation-level <String>",
        "--timeout-ms <Long: timeout_ms>",
    ] {
        assert!(help.contains(option), "{option} missing from\n{help}");
    }
    assert!(!help.contains("--whitelist"));
    let out = with(&["--version"]).await;
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), format!("{}\n", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn consumer_property_errors_and_deprecated_spellings() {
    let broker = TestBroker::start().await;
    let out = consume(&broker, &["--topic", "t", "--isolation-level", "committed"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("ERROR Unknown error when running consumer:  (org.apache.kafka.tools.consumer.ConsoleConsumer)\norg.apache.kafka.common.config.ConfigException: Invalid value committed for configuration isolation.level: String must be one of: read_committed, read_uncommitted\n"), "{stderr}");
    assert!(!stderr.contains("Processed a total"));

    let out = consume(
        &broker,
        &["--topic", "t", "--consumer-property", "fetch.min.bytes=x"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("Option --consumer-property is deprecated and will be removed in a future version. Use --command-property instead.\n"), "{stderr}");
    assert!(stderr
        .contains("Invalid value x for configuration fetch.min.bytes: Not a number of type INT"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("consumer.properties");
    std::fs::write(&file, "auto.offset.reset=bogus\n").unwrap();
    let out = consume(
        &broker,
        &["--topic", "t", "--consumer.config", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("Option --consumer.config is deprecated and will be removed in a future version. Use --command-config instead.\n"));
    assert!(stderr.contains("Invalid value bogus for configuration auto.offset.reset: Invalid value `bogus` for configuration auto.offset.reset. The value must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'."));
    // Deprecation notices never go to stdout.
    assert_eq!(text(&out.stdout), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn both_spellings_of_the_group_id_join_a_group() {
    let broker = TestBroker::start().await;
    for args in [
        &["--topic", "t", "--group", "g", "--timeout-ms", "2000"][..],
        &[
            "--topic",
            "t",
            "--command-property",
            "group.id=g",
            "--timeout-ms",
            "2000",
        ][..],
    ] {
        let out = consume(&broker, args).await;
        // The idle timeout ends the run normally: the member joined, consumed nothing, left.
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).ends_with("Processed a total of 0 messages\n"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_broker_fails_naming_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let out = with(&["--bootstrap-server", &addr, "--topic", "t"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ERROR Error processing message, terminating consumer process:"),
        "{stderr}"
    );
    assert!(stderr.contains(&addr), "{stderr}");
    assert!(
        stderr.ends_with("Processed a total of 0 messages\n"),
        "{stderr}"
    );
}
