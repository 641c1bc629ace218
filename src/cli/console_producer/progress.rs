//! The progress line on stderr (records, bytes, rate), shown only when stderr is a terminal (so
//! pipes and logs never see it) and the input is not typed at a terminal (where it would mix
//! with the `>` prompts).

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Counters;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(200);
const MIB: f64 = 1024.0 * 1024.0;

/// A running progress line (or nothing, when stderr is not a terminal).
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    updater: Option<tokio::task::JoinHandle<()>>,
    counters: Option<(Arc<Counters>, Instant)>,
}

fn message(counters: &Counters, started: Instant) -> String {
    let records = counters.sent_records.load(Ordering::Relaxed);
    let bytes = counters.sent_bytes.load(Ordering::Relaxed) as f64;
    let failed = counters.failed_records.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64().max(f64::EPSILON);
    let mut text = format!(
        "{records} records, {:.1} MiB sent, {:.0} records/s, {:.1} MiB/s",
        bytes / MIB,
        records as f64 / seconds,
        bytes / MIB / seconds
    );
    if failed > 0 {
        text.push_str(&format!(", {failed} failed"));
    }
    text
}

impl Progress {
    /// Starts the line if stderr is a terminal.
    pub fn start(counters: Arc<Counters>) -> Progress {
        if !std::io::stderr().is_terminal() || std::io::stdin().is_terminal() {
            return Progress {
                bar: None,
                updater: None,
                counters: None,
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let started = Instant::now();
        let shown = bar.clone();
        let final_counters = counters.clone();
        let updater = tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            loop {
                interval.tick().await;
                shown.set_message(message(&counters, started));
                shown.tick();
            }
        });
        Progress {
            bar: Some(bar),
            updater: Some(updater),
            counters: Some((final_counters, started)),
        }
    }

    /// Stops the line, leaving the final numbers on screen.
    pub fn finish(self) {
        if let Some(updater) = self.updater {
            updater.abort();
        }
        if let Some(bar) = self.bar {
            if let Some((counters, started)) = &self.counters {
                bar.set_message(message(counters, *started));
            }
            bar.finish();
        }
    }
}
