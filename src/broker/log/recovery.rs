//! Opening a partition directory: finding the segments, loading each one (trusting its indexes
//! after a clean shutdown, scanning and truncating after an unclean one or when the indexes do
//! not hold up), dropping everything after a corrupt batch, and rebuilding the producer state
//! from batch headers. It never appends or deletes data other than a torn or corrupt tail.

use std::path::Path;

use super::partition::RecoveryReport;
use super::producer_state::{ProducerStates, PRODUCER_ID_EXPIRATION_MS};
use super::segment::{segment_file, Segment, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};
use super::{LogConfig, LogLocation};
use crate::broker::logging;
use crate::error::Error;

/// Digits of a segment file's base offset.
const BASE_OFFSET_DIGITS: usize = 20;

/// A partition's segments and producer state, as found on disk.
#[derive(Debug)]
pub struct LoadedLog {
    /// Sorted by base offset, never empty; the last one is active.
    pub segments: Vec<Segment>,
    pub producers: ProducerStates,
    pub report: RecoveryReport,
}

fn io_error(location: &LogLocation, what: &str, e: std::io::Error) -> Error {
    Error::io(format!("cannot {what} the log of {}", location.name), e)
}

/// The base offset named by a segment file name, if it is `<20 digits><suffix>`.
fn base_offset_of(name: &str, suffix: &str) -> Option<i64> {
    let digits = name.strip_suffix(suffix)?;
    if digits.len() != BASE_OFFSET_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Base offsets of the `.log` files in `dir`, sorted; index files without a log are removed.
fn list_segments(dir: &Path) -> std::io::Result<Vec<i64>> {
    let mut logs = Vec::new();
    let mut indexes = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(base) = base_offset_of(&name, LOG_SUFFIX) {
            logs.push(base);
        } else if base_offset_of(&name, INDEX_SUFFIX)
            .or_else(|| base_offset_of(&name, TIME_INDEX_SUFFIX))
            .is_some()
        {
            indexes.push((name, entry.path()));
        }
    }
    logs.sort_unstable();
    for (name, path) in indexes {
        let base = base_offset_of(&name, INDEX_SUFFIX)
            .or_else(|| base_offset_of(&name, TIME_INDEX_SUFFIX));
        if base.is_some_and(|b| logs.binary_search(&b).is_err()) {
            // Left by a crash while a segment was being deleted.
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(logs)
}

/// Opens (creating if needed) the log in `location.dir`.
pub fn load(
    location: &LogLocation,
    config: &LogConfig,
    clean_shutdown: bool,
    now_ms: i64,
) -> crate::Result<LoadedLog> {
    let dir = &location.dir;
    // Listing first and creating only when missing saves a stat per partition at start-up.
    let bases = match list_segments(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| io_error(location, "create", e))?;
            Vec::new()
        }
        listed => listed.map_err(|e| io_error(location, "list", e))?,
    };
    let mut report = RecoveryReport::default();
    let mut producers = ProducerStates::default();
    let mut segments = Vec::with_capacity(bases.len().max(1));
    for (i, &base) in bases.iter().enumerate() {
        let upper_bound = bases.get(i + 1).copied();
        let active = i + 1 == bases.len();
        let trusted = if clean_shutdown {
            Segment::open_trusted(dir, base, active, upper_bound, config)
                .map_err(|e| io_error(location, "open", e))?
        } else {
            None
        };
        if let Some(segment) = trusted {
            segments.push(segment);
            continue;
        }
        if clean_shutdown {
            logging::warn(&format!(
                "Indexes of segment {base} of {} are inconsistent; recovering the segment",
                location.name
            ));
        }
        report.segments_scanned += 1;
        // After a clean shutdown the producer state is replayed below, in offset order.
        let mut replay = |header: &_| {
            if !clean_shutdown {
                producers.replay(header);
            }
        };
        let (segment, outcome) = Segment::recover(dir, base, upper_bound, config, &mut replay)
            .map_err(|e| io_error(location, "recover", e))?;
        report.truncated_bytes += outcome.truncated_bytes;
        report.indexes_rebuilt += outcome.indexes_rebuilt;
        if outcome.indexes_rebuilt > 0 && outcome.truncated_bytes == 0 {
            logging::info(&format!(
                "Rebuilt {} index file(s) of {} ({}): they were missing, short or inconsistent",
                outcome.indexes_rebuilt,
                segment_file(dir, base, LOG_SUFFIX).display(),
                location.name
            ));
        }
        if outcome.truncated_bytes > 0 {
            let kept_end = segment.size();
            logging::warn(&format!(
                "Dropped {} byte(s) of torn or corrupt data at position {kept_end} of {} ({}): \
                 offsets from {} on are gone; {} valid byte(s) kept",
                outcome.truncated_bytes,
                segment_file(dir, base, LOG_SUFFIX).display(),
                location.name,
                segment.next_offset(),
                kept_end
            ));
            segments.push(segment);
            // Nothing after a corrupt batch can be trusted to follow it: Kafka drops it too.
            for &later in &bases[i + 1..] {
                let dropped = remove_segment_files(dir, later)
                    .map_err(|e| io_error(location, "truncate", e))?;
                logging::warn(&format!(
                    "Dropped {dropped} byte(s) in {} ({}): it follows corrupt data",
                    segment_file(dir, later, LOG_SUFFIX).display(),
                    location.name
                ));
                report.truncated_bytes += dropped;
            }
            break;
        }
        segments.push(segment);
    }
    if segments.is_empty() {
        segments
            .push(Segment::create(dir, 0, now_ms).map_err(|e| io_error(location, "create", e))?);
    }
    if clean_shutdown {
        replay_recent(&segments, &mut producers, now_ms)
            .map_err(|e| io_error(location, "read", e))?;
    }
    producers.remove_expired(now_ms);
    Ok(LoadedLog {
        segments,
        producers,
        report,
    })
}

/// Rebuilds producer state from the headers of the segments that can still hold live producers
/// (those whose newest batch is younger than the producer expiry), oldest first.
fn replay_recent(
    segments: &[Segment],
    producers: &mut ProducerStates,
    now_ms: i64,
) -> std::io::Result<()> {
    let horizon = now_ms.saturating_sub(PRODUCER_ID_EXPIRATION_MS);
    let first = segments
        .iter()
        .position(|s| s.size() > 0 && s.largest_timestamp() >= horizon)
        .unwrap_or(segments.len());
    for segment in &segments[first..] {
        segment.walk_headers(0, &mut |_, header| {
            producers.replay(header);
            true
        })?;
    }
    Ok(())
}

/// Removes a segment's three files; returns the size of its log.
fn remove_segment_files(dir: &Path, base: i64) -> std::io::Result<u64> {
    let log = segment_file(dir, base, LOG_SUFFIX);
    let size = std::fs::metadata(&log).map_or(0, |m| m.len());
    for suffix in [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
        match std::fs::remove_file(segment_file(dir, base, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_kafka_segment_names() {
        assert_eq!(
            base_offset_of("00000000000000000042.log", LOG_SUFFIX),
            Some(42)
        );
        assert_eq!(base_offset_of("42.log", LOG_SUFFIX), None);
        assert_eq!(base_offset_of("0000000000000000004x.log", LOG_SUFFIX), None);
        assert_eq!(
            base_offset_of("00000000000000000042.index", INDEX_SUFFIX),
            Some(42)
        );
    }
}
