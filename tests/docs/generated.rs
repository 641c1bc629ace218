//! `completions/` and `man/` against [`kafkit::cli::docs::generated_files`], byte for byte.
//! `KAFKIT_REGENERATE=1 cargo test generated_docs` rewrites them instead (the README's
//! regeneration command). With `man` on PATH each page must also render without warnings, and
//! bash (always present) and fish must complete every option from the committed scripts, and
//! zsh must accept its scripts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use kafkit::cli::docs::{self, COMPLETIONS_DIR, MAN_DIR, TOOLS};

/// Set to `1` to rewrite the committed files from the clap commands.
const REGENERATE_ENV: &str = "KAFKIT_REGENERATE";
/// Set to `1` (as `.ci/run` does) to make a missing `man` fail instead of skip.
const REQUIRE_ENV: &str = "KAFKIT_REQUIRE_INTEROP";
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The files now in the generated directories (relative paths).
fn committed() -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    for dir in [COMPLETIONS_DIR, MAN_DIR] {
        let Ok(entries) = std::fs::read_dir(Path::new(ROOT).join(dir)) else {
            continue;
        };
        for entry in entries.map_while(Result::ok) {
            found.insert(PathBuf::from(dir).join(entry.file_name()));
        }
    }
    found
}

#[test]
fn generated_docs_match_the_clap_commands() {
    let files = docs::generated_files().expect("render the docs");
    let expected: BTreeSet<PathBuf> = files.iter().map(|(path, _)| path.clone()).collect();
    if std::env::var(REGENERATE_ENV).is_ok_and(|v| v == "1") {
        for stale in committed().difference(&expected) {
            std::fs::remove_file(Path::new(ROOT).join(stale)).expect("remove a stale file");
        }
        for (path, bytes) in &files {
            let path = Path::new(ROOT).join(path);
            std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
            std::fs::write(&path, bytes).expect("write a generated file");
        }
        return;
    }
    let hint = format!("regenerate with `{REGENERATE_ENV}=1 cargo test generated_docs` and commit");
    let mut stale = Vec::new();
    for (path, bytes) in &files {
        match std::fs::read(Path::new(ROOT).join(path)) {
            Ok(committed) if &committed == bytes => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    for extra in committed().difference(&expected) {
        stale.push(format!("{} is not generated any more", extra.display()));
    }
    assert!(stale.is_empty(), "{}; {hint}", stale.join("; "));
}

/// Whether `program` runs; if not, a skip note (or a failure when peers are required).
fn available(program: &str, test: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var(REQUIRE_ENV).as_deref() != Ok("1"),
        "{program} is required ({REQUIRE_ENV}=1) but missing: run scripts/install-peers"
    );
    // One write, straight to stderr: the harness hides eprintln! of passing tests.
    let note = format!("SKIPPED {test}: {program} not found (run scripts/install-peers)\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
    false
}

/// Every long option `tool` documents, as `--name`.
fn long_options(tool: &docs::Tool) -> Vec<String> {
    let mut command = tool.documented_command();
    command.build();
    command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect()
}

#[test]
fn man_pages_render_with_man() {
    if !available("man", "man_pages_render_with_man") {
        return;
    }
    for tool in TOOLS {
        let page =
            Path::new(ROOT)
                .join(MAN_DIR)
                .join(format!("{}.{}", tool.name, docs::man::SECTION));
        let output = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&page)
            .env("MANWIDTH", "80")
            .env_remove("MANPAGER")
            .env("PAGER", "cat")
            .output()
            .expect("run man");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.trim().is_empty(),
            "man -l {}: {stderr}",
            page.display()
        );
        let text = plain(&String::from_utf8_lossy(&output.stdout));
        for section in [
            "NAME",
            "SYNOPSIS",
            "OPTIONS",
            "EXIT STATUS",
            "FILES",
            "DEVIATIONS FROM APACHE KAFKA",
            "SEE ALSO",
        ] {
            assert!(
                text.lines().any(|l| l == section),
                "{}: no {section} section:\n{text}",
                tool.name
            );
        }
        assert!(text.contains("--help"), "{}", tool.name);
    }
}

/// `man`'s output without overstrike (`c\bc` bold, `_\bc` underline), as `col -b` would show it.
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[test]
fn bash_completes_every_option() {
    for tool in TOOLS {
        let longs = long_options(tool);
        assert!(longs.iter().any(|l| l == "--help"), "{}", tool.name);
        let script = Path::new(ROOT)
            .join(COMPLETIONS_DIR)
            .join(docs::completion_file_name(
                tool.name,
                clap_complete::Shell::Bash,
            ));
        // For each option, complete the option without its last letter, as at a prompt after
        // `kafka-topics --bootstrap-serve<TAB>`, and print the candidates on one line.
        let probe = format!(
            r#"source "$1"; shift
function_name=$(complete -p {name} | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
for option in "$@"; do
    COMP_WORDS=({name} "${{option%?}}"); COMP_CWORD=1; COMPREPLY=()
    "$function_name" {name} "${{option%?}}" {name}
    echo "${{COMPREPLY[*]}}"
done"#,
            name = tool.name
        );
        let output = Command::new("bash")
            .arg("-c")
            .arg(probe)
            .arg("bash")
            .arg(&script)
            .args(&longs)
            .output()
            .expect("run bash");
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let answers: Vec<&str> = stdout.lines().collect();
        assert_eq!(answers.len(), longs.len(), "{}: {stdout}", tool.name);
        for (option, answer) in longs.iter().zip(answers) {
            assert!(
                answer.split(' ').any(|candidate| candidate == option),
                "{}: {option} not completed (got {answer:?})",
                tool.name
            );
        }
    }
}

#[test]
fn zsh_and_fish_accept_the_scripts() {
    for shell in ["zsh", "fish"] {
        if !available(shell, "zsh_and_fish_accept_the_scripts") {
            continue;
        }
        let kind = match shell {
            "zsh" => clap_complete::Shell::Zsh,
            _ => clap_complete::Shell::Fish,
        };
        for tool in TOOLS {
            let script = Path::new(ROOT)
                .join(COMPLETIONS_DIR)
                .join(docs::completion_file_name(tool.name, kind));
            let checked = Command::new(shell)
                .arg("-n")
                .arg(&script)
                .output()
                .expect("run the shell");
            assert!(
                checked.status.success(),
                "{shell} -n {script:?}: {checked:?}"
            );
        }
    }
    if Command::new("fish").arg("--version").output().is_err() {
        return;
    }
    // fish lists every option for `tool --<TAB>`.
    for tool in TOOLS {
        let script = Path::new(ROOT)
            .join(COMPLETIONS_DIR)
            .join(docs::completion_file_name(
                tool.name,
                clap_complete::Shell::Fish,
            ));
        let output = Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg(format!("source $argv[1]; complete -C '{} --'", tool.name))
            .arg(&script)
            .output()
            .expect("run fish");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let offered: BTreeSet<&str> = stdout
            .lines()
            .filter_map(|l| l.split('\t').next())
            .collect();
        for option in long_options(tool) {
            assert!(
                offered.contains(option.as_str()),
                "fish does not offer {option} for {}: {stdout}",
                tool.name
            );
        }
    }
}
