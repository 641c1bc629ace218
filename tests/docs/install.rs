//! `scripts/install-sh-names`: Apache's `.sh` names as links beside the binaries, which behave
//! exactly like the binaries (the tools ignore the name they are called by). `cargo install
//! --path .` itself is exercised by `.ci/run` (a build is too slow for a test).

use std::path::Path;
use std::process::{Command, Output};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/install-sh-names");
const BINARIES: [(&str, &str); 5] = [
    (
        "kafka-server-start",
        env!("CARGO_BIN_EXE_kafka-server-start"),
    ),
    ("kafka-topics", env!("CARGO_BIN_EXE_kafka-topics")),
    (
        "kafka-console-producer",
        env!("CARGO_BIN_EXE_kafka-console-producer"),
    ),
    (
        "kafka-console-consumer",
        env!("CARGO_BIN_EXE_kafka-console-consumer"),
    ),
    (
        "kafka-consumer-groups",
        env!("CARGO_BIN_EXE_kafka-consumer-groups"),
    ),
];

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .expect("run a program")
}

#[test]
fn sh_names_behave_like_the_binaries() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, exe) in BINARIES {
        std::fs::copy(exe, dir.path().join(name)).expect("copy a binary");
    }
    let dir_arg = dir.path().to_str().expect("utf-8 temp path");
    let installed = run(Path::new(SCRIPT), &[dir_arg]);
    assert!(installed.status.success(), "{installed:?}");
    for (name, _) in BINARIES {
        let link = dir.path().join(format!("{name}.sh"));
        let target = std::fs::read_link(&link).expect("a symlink");
        assert_eq!(target, Path::new(name), "a relative link, so DIR can move");
        let via_link = run(&link, &["--version"]);
        let direct = run(&dir.path().join(name), &["--version"]);
        assert!(
            via_link.status.success(),
            "{name}.sh --version: {via_link:?}"
        );
        assert_eq!(via_link.stdout, direct.stdout, "{name}");
    }
    // A usage error reads the same through the link (the name is not part of it).
    let topics = dir.path().join("kafka-topics");
    let via_link = run(&dir.path().join("kafka-topics.sh"), &["--list"]);
    let direct = run(&topics, &["--list"]);
    assert_eq!(via_link.status.code(), direct.status.code());
    assert_eq!(via_link.stderr, direct.stderr);
    // Running it again replaces the links.
    assert!(run(Path::new(SCRIPT), &[dir_arg]).status.success());
}

#[test]
fn sh_names_need_the_binaries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("utf-8 temp path");
    let refused = run(Path::new(SCRIPT), &[dir_arg]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("kafka-server-start not found"));
    assert_eq!(std::fs::read_dir(dir.path()).expect("read dir").count(), 0);
}
