//! Broker log lines in Apache Kafka's log4j layout: `[yyyy-MM-dd HH:mm:ss,SSS] LEVEL message
//! (logger)`, written to stdout (as Apache's default console appender does). Owns formatting only.

use std::io::Write;

const LOGGER: &str = "kafkit.broker";

fn line(level: &str, message: &str) {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
    let mut out = std::io::stdout().lock();
    // A closed stdout must not take the broker down; the line is simply lost.
    let _ = writeln!(out, "[{now}] {level} {message} ({LOGGER})");
}

pub fn info(message: &str) {
    line("INFO", message);
}

pub fn warn(message: &str) {
    line("WARN", message);
}

pub fn error(message: &str) {
    line("ERROR", message);
}
