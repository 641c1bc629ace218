//! Shell completions (bash, zsh, fish) and man pages for every binary, rendered from the same
//! clap commands the binaries parse with (each tool's `command()`), so the documents cannot
//! describe options the tools do not have. The files are committed under `completions/` and
//! `man/`; a test compares them with [`generated_files`] byte for byte and rewrites them when
//! `KAFKIT_REGENERATE=1` is set. Owns rendering only: options and their texts belong to the
//! tools, the man pages' extra sections to [`man`].
//!
//! - [`man`] — the man pages, with EXIT STATUS, FILES, DEVIATIONS and SEE ALSO sections.

pub mod man;

use std::path::PathBuf;

use clap::{Arg, ArgAction, Command};
use clap_complete::aot::{generate, Shell};

use super::jopt_help::{HELP_DESCRIPTION, VERSION_DESCRIPTION};

/// Directory (relative to the package root) of the committed completion scripts.
pub const COMPLETIONS_DIR: &str = "completions";
/// Directory (relative to the package root) of the committed man pages.
pub const MAN_DIR: &str = "man";
/// The shells completions are generated for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// How a tool reads its command line, which decides how `--help` and `--version` are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsing {
    /// jopt-simple's rules through [`super::common::parse`]: `--help` and `--version` only
    /// (no `-h`/`-V`), handled before clap sees the arguments.
    Jopt,
    /// clap's own parser with its `-h/--help` and `-V/--version` flags.
    Clap,
}

/// One binary of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The binary's name (also the completions' and man page's name).
    pub name: &'static str,
    /// The tool's `command()`: the same function its `main` parses with.
    pub command: fn() -> Command,
    pub parsing: Parsing,
}

/// Every binary, in the order the docs list them.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "kafka-server-start",
        command: super::server_start::command,
        parsing: Parsing::Clap,
    },
    Tool {
        name: "kafka-topics",
        command: super::topics::command,
        parsing: Parsing::Jopt,
    },
    Tool {
        name: "kafka-console-producer",
        command: super::console_producer::args::command,
        parsing: Parsing::Jopt,
    },
    Tool {
        name: "kafka-console-consumer",
        command: super::console_consumer::command,
        parsing: Parsing::Jopt,
    },
    Tool {
        name: "kafka-consumer-groups",
        command: super::consumer_groups::command,
        parsing: Parsing::Jopt,
    },
];

impl Tool {
    /// The command as users should see it: hidden arguments (internal flags, deprecated
    /// spellings, the ignored stray words) left out — clap_complete would offer them otherwise —
    /// and for jopt-style tools clap's `-h`/`-V` flags replaced by the `--help`/`--version`
    /// options [`super::common::parse`] answers (with the texts of Apache's help table).
    pub fn documented_command(&self) -> Command {
        let full = (self.command)();
        let mut command = Command::new(self.name)
            .bin_name(self.name)
            .version(env!("CARGO_PKG_VERSION"));
        if let Some(about) = full.get_about() {
            command = command.about(about.clone());
        }
        if let Some(about) = full.get_long_about() {
            command = command.long_about(about.clone());
        }
        for arg in full.get_arguments().filter(|a| !a.is_hide_set()) {
            let mut arg = arg.clone();
            if let Some(help) = arg.get_help().map(|h| h.to_string()) {
                arg = arg.help(one_paragraph(&help));
            }
            command = command.arg(arg);
        }
        match self.parsing {
            Parsing::Clap => command,
            Parsing::Jopt => command
                .disable_help_flag(true)
                .disable_version_flag(true)
                .arg(
                    Arg::new("help")
                        .long("help")
                        .action(ArgAction::SetTrue)
                        .help(HELP_DESCRIPTION),
                )
                .arg(
                    Arg::new("version")
                        .long("version")
                        .action(ArgAction::SetTrue)
                        .help(VERSION_DESCRIPTION),
                ),
        }
    }

    /// The completion script for `shell`.
    pub fn completion(&self, shell: Shell) -> Vec<u8> {
        let mut command = self.documented_command();
        let mut out = Vec::new();
        generate(shell, &mut command, self.name, &mut out);
        out
    }
}

/// A help text as one paragraph: Apache's texts break lines for its fixed-width table and
/// list items as tab-indented lines, which roff and the shells' completion menus would run
/// together; items become a comma-separated list, other line breaks spaces.
fn one_paragraph(help: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    for line in help.lines() {
        let item = line.strip_prefix('\t');
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if item.is_some() && in_list { ", " } else { " " });
        }
        out.push_str(text);
        in_list = item.is_some();
    }
    out
}

/// The file name of `tool`'s completion script for `shell`, as each shell looks for it
/// (bash-completion: the command's name; zsh: `_name` on `$fpath`; fish: `name.fish`).
pub fn completion_file_name(tool: &str, shell: Shell) -> String {
    match shell {
        Shell::Zsh => format!("_{tool}"),
        Shell::Fish => format!("{tool}.fish"),
        _ => format!("{tool}.bash"),
    }
}

/// Every generated file: its path relative to the package root and its bytes.
pub fn generated_files() -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    for tool in TOOLS {
        for shell in SHELLS {
            let path = PathBuf::from(COMPLETIONS_DIR).join(completion_file_name(tool.name, shell));
            files.push((path, tool.completion(shell)));
        }
        let path = PathBuf::from(MAN_DIR).join(format!("{}.{}", tool.name, man::SECTION));
        files.push((path, man::render(tool)?));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binary_is_documented_once() {
        let mut names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names,
            [
                "kafka-console-consumer",
                "kafka-console-producer",
                "kafka-consumer-groups",
                "kafka-server-start",
                "kafka-topics"
            ]
        );
        for tool in TOOLS {
            assert_eq!((tool.command)().get_name(), tool.name);
        }
    }

    #[test]
    fn jopt_tools_document_only_long_help_and_version() {
        let tool = TOOLS
            .iter()
            .find(|t| t.name == "kafka-topics")
            .expect("kafka-topics");
        let mut command = tool.documented_command();
        command.build();
        let help = command
            .get_arguments()
            .find(|a| a.get_id() == "help")
            .expect("--help");
        assert_eq!(help.get_short(), None);
        let bash = String::from_utf8(tool.completion(Shell::Bash)).expect("utf-8");
        assert!(bash.contains("--bootstrap-server"));
        assert!(bash.contains("--output"), "extensions are completed too");
        assert!(!bash.contains(" -h "), "jopt tools have no -h");
    }

    #[test]
    fn help_texts_become_one_paragraph() {
        assert_eq!(
            one_paragraph("Valid configs: \n\ta\n\tb\nSee the docs.\nMore."),
            "Valid configs: a, b See the docs. More."
        );
    }

    #[test]
    fn hidden_arguments_are_left_out() {
        let tool = TOOLS
            .iter()
            .find(|t| t.name == "kafka-server-start")
            .expect("kafka-server-start");
        let fish = String::from_utf8(tool.completion(Shell::Fish)).expect("utf-8");
        assert!(fish.contains("-l override"));
        assert!(!fish.contains("detached"));
        let consumer = TOOLS
            .iter()
            .find(|t| t.name == "kafka-console-consumer")
            .expect("kafka-console-consumer");
        let zsh = String::from_utf8(consumer.completion(Shell::Zsh)).expect("utf-8");
        assert!(zsh.contains("--include"));
        assert!(!zsh.contains("whitelist") && !zsh.contains("ignored"));
    }
}
