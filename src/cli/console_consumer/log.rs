//! The console consumer's log lines on stderr, in Apache's tools layout (`[%d] %p %m (%c)%n`,
//! then the exception's class and message on the next line, where Java would print a stack
//! trace). Owns formatting only.

use std::io::Write;

/// The logger names Apache's lines carry.
pub const CONSOLE_CONSUMER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";
pub const FORMATTER: &str = "org.apache.kafka.tools.consumer.DefaultMessageFormatter";

/// Writes an ERROR line for `message` from `logger`, followed by `exception` (a Java exception's
/// `toString()`: class name, then `: message` if it has one).
pub fn error(logger: &str, message: &str, exception: Option<&str>) {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "[{now}] ERROR {message} ({logger})");
    if let Some(exception) = exception {
        let _ = writeln!(err, "{exception}");
    }
}
