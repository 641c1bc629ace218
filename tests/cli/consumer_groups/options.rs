//! Option handling that needs no broker (or fails before reaching one): help, version, the
//! validation messages in Apache's order, `--validate-regex`, run-time option conversions.

use super::support::{assert_output, run, text};

const DESCRIPTION: &str =
    "This tool helps to list, describe, delete and manage the offsets of consumer groups.\n";
/// Any address: these runs never connect.
const NOWHERE: &str = "127.0.0.1:1";

async fn run_args(args: &[&str]) -> std::process::Output {
    run(args.iter().map(|s| s.to_string()).collect()).await
}

/// A usage error: the message, then the help table, on stderr; exit 1.
#[track_caller]
fn assert_usage(output: &std::process::Output, message: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&output.stdout), "");
    let (first, rest) = stderr.split_once('\n').unwrap_or((&stderr, ""));
    assert_eq!(first, message);
    assert!(
        rest.starts_with("Option "),
        "no help table after the message:\n{stderr}"
    );
    assert!(rest.contains("--reset-offsets"), "{stderr}");
}

#[tokio::test]
async fn help_version_and_no_arguments() {
    let help = run_args(&["--help"]).await;
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stderr).starts_with(DESCRIPTION));
    assert!(text(&help.stderr).contains("--to-datetime <String: datetime>"));
    assert_eq!(text(&help.stdout), "");

    let none = run_args(&[]).await;
    assert_eq!(none.status.code(), Some(1));
    assert_eq!(text(&none.stderr), text(&help.stderr));

    let version = run_args(&["--version"]).await;
    assert_output(&version, 0, &format!("{}\n", env!("CARGO_PKG_VERSION")), "");
}

#[tokio::test]
async fn validation_messages_in_apache_order() {
    let b = ["--bootstrap-server", NOWHERE];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--list"], "Missing required argument \"[bootstrap-server]\""),
        (b.to_vec(), "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets, --validate-regex"),
        ([&b[..], &["--list", "--delete"]].concat(), "Option [delete] takes one of these options: [group], [all-groups]"),
        ([&b[..], &["--describe"]].concat(), "Option [describe] takes one of these options: [group], [all-groups]"),
        ([&b[..], &["--describe", "--group", "g", "--members", "--state"]].concat(), "Option [describe] takes at most one of these options: [members], [offsets], [state]"),
        ([&b[..], &["--describe", "--group", "g", "--state", "stable"]].concat(), "Option [describe] does not take a value for [state]"),
        ([&b[..], &["--delete", "--group", "g", "--topic", "t"]].concat(), "The consumer does not support topic-specific offset deletion from a consumer group."),
        ([&b[..], &["--delete-offsets", "--group", "g"]].concat(), "Option [delete-offsets] takes the following options: [group], [topic]"),
        ([&b[..], &["--reset-offsets", "--group", "g", "--dry-run", "--execute"]].concat(), "Option [reset-offsets] only accepts one of [execute] and [dry-run]"),
        ([&b[..], &["--reset-offsets", "--dry-run", "--to-earliest"]].concat(), "Option [reset-offsets] takes one of these options: [group], [all-groups]"),
        ([&b[..], &["--reset-offsets", "--group", "g", "--dry-run", "--to-earliest", "--shift-by", "1"]].concat(), "Option \"[to-earliest]\" can't be used with option \"[shift-by]\""),
        ([&b[..], &["--describe", "--group", "g", "--all-groups"]].concat(), "Option \"[group]\" can't be used with option \"[all-groups]\""),
        ([&b[..], &["--list", "--group", "g"]].concat(), "Option \"[group]\" can't be used with option \"[list]\""),
        ([&b[..], &["--describe", "--group", "g", "--topic", "t"]].concat(), "Option \"[topic]\" can't be used with option \"[describe]\""),
    ];
    for (args, message) in cases {
        let out = run_args(&args).await;
        assert_usage(&out, message);
    }
}

#[tokio::test]
async fn parser_errors_are_plain_messages() {
    let out = run_args(&["--bootstrap-server", NOWHERE, "--list", "--members"]).await;
    assert_output(
        &out,
        1,
        "",
        "Option(s) [members] are unavailable given other options on the command line\n",
    );
    let out = run_args(&["--bootstrap-server", NOWHERE, "--list", "--bogus"]).await;
    assert_output(&out, 1, "", "bogus is not a recognized option\n");
}

#[tokio::test]
async fn reset_without_execute_warns_first() {
    let out = run_args(&[
        "--bootstrap-server",
        NOWHERE,
        "--reset-offsets",
        "--to-earliest",
    ])
    .await;
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with(
        "WARN: No action will be performed as the --execute option is missing. In version 5.0, this command will require either --dry-run or --execute to be specified. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n\
         Option [reset-offsets] takes one of these options: [group], [all-groups]\n"
    ), "{stderr}");
}

#[tokio::test]
async fn validate_regex_needs_no_broker() {
    let out = run_args(&["--validate-regex", "orders-.*"]).await;
    assert_output(
        &out,
        0,
        "The regular expression `orders-.*` is valid.\n",
        "",
    );
    let out = run_args(&["--validate-regex", "orders-(.*"]).await;
    assert_output(
        &out,
        1,
        "The regular expression `orders-(.*` is invalid: missing closing ).\n",
        "",
    );
}

#[tokio::test]
async fn numeric_options_fail_when_the_action_starts() {
    let out = run_args(&["--bootstrap-server", NOWHERE, "--list", "--timeout", "soon"]).await;
    assert_output(
        &out,
        1,
        "\nError: Executing consumer group command failed due to Cannot parse argument 'soon' of option timeout\n",
        "",
    );
    let out = run_args(&[
        "--bootstrap-server",
        NOWHERE,
        "--list",
        "--command-config",
        "/nonexistent/kafkit.properties",
    ])
    .await;
    assert_output(
        &out,
        1,
        "\nError: Executing consumer group command failed due to java.nio.file.NoSuchFileException: /nonexistent/kafkit.properties\n",
        "",
    );
}
