//! Broker log lines in Apache Kafka's log4j layout: `[yyyy-MM-dd HH:mm:ss,SSS] LEVEL message
//! (logger)`, written to stdout (as Apache's default console appender does). Owns formatting only.
//! In-process brokers in tests are silenced (their lines would interleave with test output)
//! unless `KAFKIT_TEST_LOG` is set.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

const LOGGER: &str = "kafkit.broker";

static SILENCED: AtomicBool = AtomicBool::new(false);

/// Stops (or resumes) writing log lines, for brokers embedded in another program's output.
pub fn set_silenced(silenced: bool) {
    SILENCED.store(silenced, Ordering::Relaxed);
}

fn line(level: &str, message: &str) {
    if SILENCED.load(Ordering::Relaxed) {
        return;
    }
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
