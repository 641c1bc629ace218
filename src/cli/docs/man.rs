//! Man pages: clap_mangen's NAME, SYNOPSIS, DESCRIPTION and OPTIONS (kafkit's extensions in their
//! own section) from the tool's clap command, followed by sections clap knows nothing about:
//! EXIT STATUS, FILES, DEVIATIONS FROM APACHE KAFKA and SEE ALSO, written here. Owns those texts;
//! the option texts belong to the tools.

use clap_mangen::roff::{bold, italic, roman, Roff};
use clap_mangen::Man;

use super::{Tool, TOOLS};

/// Man section 1: user commands.
pub const SECTION: &str = "1";
/// The centre footer of every page.
const MANUAL: &str = "kafkit manual";

/// What a tool's page says beyond its options.
struct Extra {
    /// Exit codes and when they happen.
    exit_status: &'static [(&'static str, &'static str)],
    /// Files read or written, and what they hold.
    files: &'static [(&'static str, &'static str)],
    /// Where the tool behaves differently from Apache's on purpose.
    deviations: &'static [&'static str],
}

const CLIENT_PROPERTIES: &str =
    "Client settings in Java properties syntax (key=value, # comments, \
    backslash escapes). kafkit reads bootstrap.servers (the option wins over the file), client.id, \
    request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, \
    retry.backoff.ms, retry.backoff.max.ms and security.protocol; other Kafka client keys are \
    accepted.";

const SERVER_START: Extra = Extra {
    exit_status: &[
        (
            "0",
            "The broker stopped cleanly after SIGINT, SIGTERM or SIGHUP (logs flushed, \
             clean-shutdown marker written); with --daemon (-daemon), the broker was started in \
             the background; --help and --version.",
        ),
        (
            "1",
            "Start-up or the broker failed: a malformed or unreadable server.properties, a \
             listener that cannot bind, a data directory locked by another broker, a fatal I/O \
             error. The message is on stderr in Kafka's words.",
        ),
        (
            "2",
            "A usage error (an unknown option, an --override without a property name).",
        ),
    ],
    files: &[
        (
            "server.properties",
            "The broker configuration in Java properties syntax, given as the argument; Apache's \
             stock config/server.properties works unchanged. Without a file Kafka's defaults are \
             used (PLAINTEXT://localhost:9092, data in /tmp/kafka-logs, node id 1). \
             --override property=value wins over the file.",
        ),
        (
            "log.dirs (default /tmp/kafka-logs)",
            "All data: meta.properties (node id, cluster id), .lock (held while a broker uses the \
             directory), .kafka_cleanshutdown (written at a clean shutdown), \
             kafkit-metadata.json (topics), <topic>-<partition>/ (the partition logs in Kafka's \
             layout), kafkit-groups.journal and kafkit-groups.snapshot (groups and committed \
             offsets).",
        ),
        (
            "$LOG_DIR/kafkaServer.out (default ./logs/kafkaServer.out)",
            "Where a broker started with -daemon appends its stdout and stderr.",
        ),
    ],
    deviations: &[
        "No arguments means Kafka's defaults rather than a usage error.",
        "There is no kafka-storage.sh format step: the first start in an empty directory writes \
         meta.properties with a new cluster id.",
        "--help exits 0.",
        "log.segment.ms is accepted as an alias that ranks between log.roll.ms and log.roll.hours.",
        "One node, no ZooKeeper and no separate controller: Kafka keys that do nothing on a \
         single node are accepted silently, unknown keys with a warning.",
    ],
};

const TOPICS: Extra = Extra {
    exit_status: &[
        ("0", "The action succeeded; --help and --version."),
        (
            "1",
            "Every failure: a usage error (the message and the help table on stderr), an error \
             from the cluster (Error while executing topic command : ... on stdout, as Apache \
             prints it), an unreachable cluster.",
        ),
    ],
    files: &[("--command-config FILE", CLIENT_PROPERTIES)],
    deviations: &[
        "--help exits 0; --version prints kafkit's version.",
        "An unreachable cluster fails within the connection timeout (10 s) naming the addresses \
         tried, where Apache's admin client waits 60 s and then reports a timeout.",
        "kafkit extensions (--output json) are left out of the --help table, which stays \
         Apache's byte for byte.",
    ],
};

const CONSOLE_PRODUCER: Extra = Extra {
    exit_status: &[
        (
            "0",
            "Every record read from stdin was delivered; --help and --version.",
        ),
        (
            "1",
            "A usage or configuration error, or a record that could not be delivered (Apache \
             logs the error and exits 0).",
        ),
    ],
    files: &[
        (
            "standard input",
            "The records, one per line (or JSON lines with --input json).",
        ),
        (
            "--command-config FILE (deprecated: --producer.config)",
            CLIENT_PROPERTIES,
        ),
        (
            "--reader-config FILE",
            "Line reader properties (parse.key, key.separator, parse.headers, ...) in Java \
             properties syntax.",
        ),
    ],
    deviations: &[
        "A record that cannot be delivered makes the exit code 1, with Apache's Error when \
         sending message to topic ... line on stderr.",
        "Deprecation notices (--property, --producer-property, --producer.config, \
         --max-partition-memory-bytes) go to stderr instead of stdout.",
        "--help exits 0; reader and configuration errors print the message without a Java \
         stack trace.",
        "Only the default LineMessageReader is available as --line-reader.",
        "A connection failure counts as a failed attempt (--message-send-max-retries), so a \
         broker that went away fails the records within seconds.",
        "A progress line appears on stderr only when stderr is a terminal and the input is not \
         typed at a terminal.",
    ],
};

const CONSOLE_CONSUMER: Extra = Extra {
    exit_status: &[
        (
            "0",
            "--max-messages reached, --timeout-ms passed without a record, stdout closed (a pipe \
             reader went away); --help and --version.",
        ),
        (
            "1",
            "A usage error or a failure to consume (broker unreachable, an error from a fetch); \
             Apache exits 0.",
        ),
        ("130", "Stopped by SIGINT, as the JVM exits."),
        ("143", "Stopped by SIGTERM, as the JVM exits."),
    ],
    files: &[
        (
            "--command-config FILE (deprecated: --consumer.config)",
            CLIENT_PROPERTIES,
        ),
        (
            "--formatter-config FILE",
            "Formatter properties (print.key, key.separator, ...) in Java properties syntax.",
        ),
    ],
    deviations: &[
        "A failure to consume exits 1, where Apache exits 0.",
        "Deprecation notices go to stderr, not stdout; --help exits 0.",
        "--whitelist (removed in Apache 4.0) is still accepted.",
        "Without --group no group is joined (Apache joins a random console-consumer-N group \
         that commits nothing).",
        "The KIP-848 rebalance protocol notice of Apache 4.3+ is not printed.",
        "The formatters of Kafka's internal topics (OffsetsMessageFormatter and friends) are \
         not available.",
    ],
};

const CONSUMER_GROUPS: Extra = Extra {
    exit_status: &[
        ("0", "The action succeeded; --help and --version."),
        (
            "1",
            "Every failure: a usage error, an unknown group, a refused reset, a partial delete, \
             an invalid --validate-regex pattern, an unreachable cluster. Apache exits 0 after \
             many of these; the message and its stream are Apache's.",
        ),
    ],
    files: &[
        ("--command-config FILE", CLIENT_PROPERTIES),
        (
            "--from-file FILE",
            "A reset plan in CSV, as --export writes it: topic,partition,offset for one group, \
             group,topic,partition,offset for several.",
        ),
    ],
    deviations: &[
        "Every failure exits 1 while the message and its stream stay Apache's.",
        "--help exits 0; jopt parser errors print their message on stderr instead of a Java \
         stack trace.",
        "--validate-regex uses RE2 syntax through Rust's regex crate.",
        "--execute at a terminal (stdin and stderr) shows the plan and asks for confirmation; \
         scripts are never asked.",
        "A --from-file line with no topic is reported naming the line, where Apache fails \
         later with a NullPointerException; other malformed lines get Jackson's texts as \
         Apache prints them.",
    ],
};

/// The extra sections of `tool`'s page.
fn extra(tool: &str) -> Option<&'static Extra> {
    match tool {
        "kafka-server-start" => Some(&SERVER_START),
        "kafka-topics" => Some(&TOPICS),
        "kafka-console-producer" => Some(&CONSOLE_PRODUCER),
        "kafka-console-consumer" => Some(&CONSOLE_CONSUMER),
        "kafka-consumer-groups" => Some(&CONSUMER_GROUPS),
        _ => None,
    }
}

/// `tool`'s man page in roff.
pub fn render(tool: &Tool) -> std::io::Result<Vec<u8>> {
    let version = format!("kafkit {}", env!("CARGO_PKG_VERSION"));
    let man = Man::new(tool.documented_command())
        .section(SECTION)
        .source(version)
        .manual(MANUAL);
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    if let Some(extra) = extra(tool.name) {
        tagged_section(&mut roff, "EXIT STATUS", extra.exit_status);
        tagged_section(&mut roff, "FILES", extra.files);
        roff.control("SH", ["DEVIATIONS FROM APACHE KAFKA"]);
        roff.text([roman(format!(
            "kafkit's tools are drop-in replacements for Apache Kafka's; where Apache is plainly \
             wrong for scripts, {} deviates on purpose:",
            tool.name
        ))]);
        for deviation in extra.deviations {
            roff.control("IP", ["\\(bu", "2"]);
            roff.text([roman(*deviation)]);
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut see_also = Vec::new();
    for other in TOOLS.iter().filter(|t| t.name != tool.name) {
        if !see_also.is_empty() {
            see_also.push(roman(", "));
        }
        see_also.push(bold(other.name));
        see_also.push(roman(format!("({SECTION})")));
    }
    see_also.push(roman(". The kafkit "));
    see_also.push(italic("README.md"));
    see_also.push(roman(
        " has a quickstart, the broker's configuration keys and its Kafka API versions.",
    ));
    roff.text(see_also);
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// A section of `.TP` paragraphs: a bold tag, then its text.
fn tagged_section(roff: &mut Roff, title: &str, entries: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (tag, text) in entries {
        roff.control("TP", []);
        roff.text([bold(*tag)]);
        roff.text([roman(*text)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_its_extra_sections() {
        for tool in TOOLS {
            let extra = extra(tool.name).expect(tool.name);
            assert!(!extra.exit_status.is_empty() && !extra.deviations.is_empty());
            let page = String::from_utf8(render(tool).expect("render")).expect("utf-8");
            for section in [
                ".SH OPTIONS",
                ".SH \"EXIT STATUS\"",
                ".SH FILES",
                ".SH \"DEVIATIONS FROM APACHE KAFKA\"",
                ".SH \"SEE ALSO\"",
            ] {
                assert!(page.contains(section), "{}: {section}\n{page}", tool.name);
            }
        }
    }
}
