//! The four-way golden runner: every case's command line through Apache's tool (all of a
//! phase in one JVM, `Apache::run_tool_batch`) and through our binary, against Apache's broker
//! and ours; every output normalised and compared with Apache's tool on Apache's broker.
//!
//! Command lines are templates: `{B}` is the broker's bootstrap address, `{run}` this run's
//! topic-name prefix, `{own:KEY}` a topic that belongs to one tool (`<run>-KEY-a` for Apache's,
//! `<run>-KEY-o` for ours, so state-changing commands of the two tools never touch each other's
//! topics), `{id:NAME}` the topic id of NAME on that broker. Normalising maps each back.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;

use crate::common::apache::{Apache, ApacheTool};
use crate::common::golden::{
    normalise_topic_ids, run_captured, strip_java_stack_traces, ToolOutput,
};

/// Which tool runs a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Apache,
    Ours,
}

impl Tool {
    fn own_suffix(self) -> &'static str {
        match self {
            Tool::Apache => "a",
            Tool::Ours => "o",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tool::Apache => "Apache's tool",
            Tool::Ours => "our tool",
        }
    }
}

/// A broker the cases run against.
#[derive(Debug, Clone)]
pub struct Broker {
    pub label: &'static str,
    pub bootstrap: String,
    /// Topic ids by name, for `{id:NAME}`.
    pub topic_ids: HashMap<String, String>,
    /// Whether other tests share it (then outputs listing every topic are cut to this run's).
    pub shared: bool,
}

/// A documented difference between Apache's tool and ours (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deviation {
    None,
    /// `--help`: Apache exits 1, ours 0; the text is the same.
    HelpExitsZero,
    /// `--version`: Apache prints its version (4.4.0), ours prints kafkit's.
    OwnVersion,
}

/// One command line to compare.
#[derive(Debug, Clone)]
pub struct Case {
    pub args: Vec<String>,
    /// Run against Apache's broker too (false: only ours, e.g. output listing every topic of a
    /// broker that other tests share).
    pub on_apache_broker: bool,
    pub deviation: Deviation,
    /// Texts Apache prints in a varying form (e.g. a Java `HashSet` of option specs, in
    /// identity-hash order): each `(variant, canonical)` is rewritten before comparing.
    pub equivalents: Vec<(&'static str, &'static str)>,
}

impl Case {
    pub fn new(args: &[&str]) -> Case {
        Case {
            args: args.iter().map(|a| a.to_string()).collect(),
            on_apache_broker: true,
            deviation: Deviation::None,
            equivalents: Vec::new(),
        }
    }

    /// Treats `variant` as `canonical` in every output of this case.
    pub fn equivalent(mut self, variant: &'static str, canonical: &'static str) -> Case {
        self.equivalents.push((variant, canonical));
        self
    }

    pub fn only_our_broker(mut self) -> Case {
        self.on_apache_broker = false;
        self
    }

    pub fn deviation(mut self, deviation: Deviation) -> Case {
        self.deviation = deviation;
        self
    }
}

/// This run's naming: a random prefix for every topic it creates.
#[derive(Debug, Clone)]
pub struct Run {
    pub prefix: String,
    /// Every `{own:KEY}` key the cases use, longest first (for normalising).
    own_keys: Vec<String>,
}

impl Run {
    pub fn new() -> Run {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Run {
            prefix: format!("g{}", &id[..8]),
            own_keys: Vec::new(),
        }
    }

    /// The name `{own:key}` stands for when `tool` runs.
    pub fn own(&self, key: &str, tool: Tool) -> String {
        format!("{}-{key}-{}", self.prefix, tool.own_suffix())
    }

    /// Registers the `{own:KEY}` keys used in `texts`.
    pub fn learn_own_keys<'a>(&mut self, texts: impl IntoIterator<Item = &'a String>) {
        for text in texts {
            let mut rest = text.as_str();
            while let Some(at) = rest.find("{own:") {
                let after = &rest[at + "{own:".len()..];
                let Some(end) = after.find('}') else { break };
                let key = after[..end].to_string();
                if !self.own_keys.contains(&key) {
                    self.own_keys.push(key);
                }
                rest = &after[end..];
            }
        }
        self.own_keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }

    /// A template with `{run}` and `{own:KEY}` filled in for `tool`.
    pub fn name(&self, template: &str, tool: Tool) -> String {
        let mut text = template.replace("{run}", &self.prefix);
        for key in &self.own_keys {
            text = text.replace(&format!("{{own:{key}}}"), &self.own(key, tool));
        }
        text
    }

    /// A template filled in for `tool` on `broker`.
    fn expand(&self, template: &str, tool: Tool, broker: &Broker) -> String {
        let mut text = self.name(template, tool).replace("{B}", &broker.bootstrap);
        while let Some(at) = text.find("{id:") {
            let Some(len) = text[at..].find('}') else {
                break;
            };
            let name = &text[at + "{id:".len()..at + len];
            let id = broker
                .topic_ids
                .get(name)
                .unwrap_or_else(|| panic!("no topic id for {name} on {}", broker.label))
                .clone();
            text.replace_range(at..at + len + 1, &id);
        }
        text
    }

    /// Maps what is random back to placeholders: addresses, own names, the prefix, topic ids.
    fn normalise(&self, text: &str, brokers: &[Broker]) -> String {
        let mut text = normalise_topic_ids(text);
        for broker in brokers {
            text = text.replace(&broker.bootstrap, "{B}");
        }
        for key in &self.own_keys {
            for tool in [Tool::Apache, Tool::Ours] {
                text = text.replace(&self.own(key, tool), &format!("{{own:{key}}}"));
            }
        }
        text.replace(&self.prefix, "{run}")
    }

    /// On a shared broker, output listing every topic keeps only this run's lines (and the
    /// internal topic the fixtures made sure exists).
    fn scope(&self, stdout: &str, args: &[String], broker: &Broker) -> String {
        let lists_everything = args.iter().any(|a| a == "--list" || a == "--describe")
            && !args.iter().any(|a| a == "--topic" || a == "--topic-id");
        if !broker.shared || !lists_everything {
            return stdout.to_string();
        }
        stdout
            .split_inclusive('\n')
            .filter(|line| line.contains(&self.prefix) || line.trim_end() == internal_topic())
            .collect()
    }
}

/// The internal topic the fixtures create on both brokers.
pub fn internal_topic() -> &'static str {
    kafkit::protocol::topic::GROUP_METADATA_TOPIC
}

/// One run's output, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs every case through both tools on both brokers and returns a description of each
/// disagreement (empty: all agree).
pub async fn run_cases(
    apache: &Apache,
    apache_tool: ApacheTool,
    our_binary: &str,
    run: &Run,
    brokers: &[Broker],
    cases: &[Case],
) -> Vec<String> {
    let targets = |case: &Case| -> Vec<usize> {
        (0..brokers.len())
            .filter(|&b| case.on_apache_broker || !brokers[b].shared)
            .collect()
    };
    let mut batch = Vec::new();
    for case in cases {
        for b in targets(case) {
            batch.push(
                case.args
                    .iter()
                    .map(|a| run.expand(a, Tool::Apache, &brokers[b]))
                    .collect::<Vec<_>>(),
            );
        }
    }
    let mut apache_outputs = apache.run_tool_batch(apache_tool, &batch).await.into_iter();
    let mut failures = Vec::new();
    for case in cases {
        let mut runs: Vec<(Tool, usize, ToolOutput)> = Vec::new();
        for b in targets(case) {
            let output = apache_outputs.next().expect("one output per command");
            runs.push((Tool::Apache, b, output));
        }
        for b in targets(case) {
            let args: Vec<String> = case
                .args
                .iter()
                .map(|a| run.expand(a, Tool::Ours, &brokers[b]))
                .collect();
            let mut command = Command::new(our_binary);
            command.args(&args);
            runs.push((Tool::Ours, b, run_captured(command, None).await));
        }
        runs.sort_by_key(|(tool, b, _)| (*b, *tool == Tool::Ours));
        let canonical = |text: String| {
            case.equivalents
                .iter()
                .fold(text, |t, (variant, canonical)| {
                    t.replace(variant, canonical)
                })
        };
        let seen: Vec<Seen> = runs
            .iter()
            .map(|(_, b, out)| Seen {
                code: out.code,
                stdout: canonical(
                    run.normalise(&run.scope(&out.stdout, &case.args, &brokers[*b]), brokers),
                ),
                stderr: canonical(run.normalise(&strip_java_stack_traces(&out.stderr), brokers)),
            })
            .collect();
        let reference = &seen[0];
        for (i, (tool, b, out)) in runs.iter().enumerate().skip(1) {
            let mut expected = reference.clone();
            if *tool == Tool::Ours {
                match case.deviation {
                    Deviation::None => {}
                    Deviation::HelpExitsZero => {
                        assert_eq!(reference.code, Some(1), "Apache's --help exits 1");
                        expected.code = Some(0);
                    }
                    Deviation::OwnVersion => {
                        expected.stdout = format!("{}\n", env!("CARGO_PKG_VERSION"));
                    }
                }
            }
            if seen[i] != expected {
                failures.push(describe_failure(
                    &case.args,
                    (&runs[0].2, brokers[runs[0].1].label),
                    (out, tool.label(), brokers[*b].label),
                    &expected,
                    &seen[i],
                ));
            }
        }
    }
    failures
}

fn describe_failure(
    template: &[String],
    (reference, reference_broker): (&ToolOutput, &str),
    (output, tool, broker): (&ToolOutput, &str, &str),
    expected: &Seen,
    got: &Seen,
) -> String {
    let mut text = format!(
        "## {}\n{tool} on {broker} differs from Apache's tool on {reference_broker}:\n",
        template.join(" ")
    );
    if expected.code != got.code {
        let _ = writeln!(
            text,
            "exit code: expected {:?}, got {:?}",
            expected.code, got.code
        );
    }
    for (what, want, have) in [
        ("stdout", &expected.stdout, &got.stdout),
        ("stderr", &expected.stderr, &got.stderr),
    ] {
        if want != have {
            let _ = writeln!(text, "{what}:\n{}", line_diff(want, have));
        }
    }
    let _ = writeln!(
        text,
        "--- Apache's tool, as run:\n{reference}\n--- this run:\n{output}"
    );
    text
}

/// The lines of `want` and `have` from the first difference on, tabs visible.
fn line_diff(want: &str, have: &str) -> String {
    let want: Vec<&str> = want.split_inclusive('\n').collect();
    let have: Vec<&str> = have.split_inclusive('\n').collect();
    let first = want
        .iter()
        .zip(&have)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(have.len()));
    let mut text = String::new();
    const SHOWN: usize = 6;
    for line in want.iter().skip(first).take(SHOWN) {
        let _ = writeln!(text, "  - {line:?}");
    }
    for line in have.iter().skip(first).take(SHOWN) {
        let _ = writeln!(text, "  + {line:?}");
    }
    format!("(from line {})\n{text}", first + 1)
}
