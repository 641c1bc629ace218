//! Java's text conventions that `ConsumerGroupCommand`'s output is made of: `printf` padding
//! (widths count UTF-16 units), `TopicPartition.toString`, Java exception class names for Kafka
//! error codes (`Throwable.toString` is `class: message`), `HashMap` iteration order for
//! TopicPartition and String keys, and RE2's syntax-error descriptions. Owns no I/O.

use kafka_protocol::error::ResponseError;

use crate::cli::java_order::string_hash;
use crate::client::errors::default_message;
use crate::client::ClientError;

/// Java `String.length()`.
pub fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `%-Ns`: `s` left-justified in `width` UTF-16 units (never truncated).
pub fn pad(s: &str, width: usize) -> String {
    let len = java_len(s);
    let mut out = String::with_capacity(s.len() + width.saturating_sub(len));
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out
}

/// Lays out one printf line of `%-w1s %-w2s ... %s` style: every cell but those with width
/// `None` padded, cells joined with single spaces.
pub fn row(cells: &[(&str, Option<usize>)]) -> String {
    cells
        .iter()
        .map(|(text, width)| match width {
            Some(w) => pad(text, *w),
            None => (*text).to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `TopicPartition.toString()`.
pub fn topic_partition(topic: &str, partition: i32) -> String {
    format!("{topic}-{partition}")
}

/// `TopicPartition.hashCode()`.
pub fn topic_partition_hash(topic: &str, partition: i32) -> i32 {
    const PRIME: i32 = 31;
    PRIME
        .wrapping_add(partition)
        .wrapping_mul(PRIME)
        .wrapping_add(string_hash(topic))
}

/// The order a `new HashMap<>()` (or `Collectors.toMap`) filled with `items` in this order
/// iterates them: by bucket of `hash`, then insertion order within a bucket; the table starts
/// at 16 buckets and doubles when the size exceeds three quarters of it.
pub fn hash_map_order<T>(items: Vec<T>, hash: impl Fn(&T) -> i32) -> Vec<T> {
    const INITIAL_CAPACITY: usize = 16;
    let mut capacity = INITIAL_CAPACITY;
    while items.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut keyed: Vec<(usize, usize, T)> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let h = hash(&item) as u32;
            (((h ^ (h >> 16)) as usize) & (capacity - 1), i, item)
        })
        .collect();
    keyed.sort_by_key(|(bucket, insertion, _)| (*bucket, *insertion));
    keyed.into_iter().map(|(_, _, item)| item).collect()
}

/// [`hash_map_order`] for String keys.
pub fn string_order(items: Vec<String>) -> Vec<String> {
    hash_map_order(items, |s| string_hash(s))
}

/// The Java exception class Kafka's client raises for `error`.
pub fn exception_class(error: ResponseError) -> String {
    let simple = match error {
        ResponseError::UnknownServerError => "UnknownServerException",
        ResponseError::OffsetOutOfRange => "OffsetOutOfRangeException",
        ResponseError::UnknownTopicOrPartition => "UnknownTopicOrPartitionException",
        ResponseError::LeaderNotAvailable => "LeaderNotAvailableException",
        ResponseError::NotLeaderOrFollower => "NotLeaderOrFollowerException",
        ResponseError::RequestTimedOut => "TimeoutException",
        ResponseError::OffsetMetadataTooLarge => "OffsetMetadataTooLarge",
        ResponseError::CoordinatorLoadInProgress => "CoordinatorLoadInProgressException",
        ResponseError::CoordinatorNotAvailable => "CoordinatorNotAvailableException",
        ResponseError::NotCoordinator => "NotCoordinatorException",
        ResponseError::InvalidTopicException => "InvalidTopicException",
        ResponseError::IllegalGeneration => "IllegalGenerationException",
        ResponseError::InvalidGroupId => "InvalidGroupIdException",
        ResponseError::UnknownMemberId => "UnknownMemberIdException",
        ResponseError::RebalanceInProgress => "RebalanceInProgressException",
        ResponseError::InvalidCommitOffsetSize => "InvalidCommitOffsetSizeException",
        ResponseError::TopicAuthorizationFailed => "TopicAuthorizationException",
        ResponseError::GroupAuthorizationFailed => "GroupAuthorizationException",
        ResponseError::ClusterAuthorizationFailed => "ClusterAuthorizationException",
        ResponseError::UnsupportedVersion => "UnsupportedVersionException",
        ResponseError::InvalidRequest => "InvalidRequestException",
        ResponseError::NonEmptyGroup => "GroupNotEmptyException",
        ResponseError::GroupIdNotFound => "GroupIdNotFoundException",
        ResponseError::GroupSubscribedToTopic => "GroupSubscribedToTopicException",
        ResponseError::FencedInstanceId => "FencedInstanceIdException",
        ResponseError::UnstableOffsetCommit => "UnstableOffsetCommitException",
        ResponseError::StaleMemberEpoch => "StaleMemberEpochException",
        ResponseError::UnknownTopicId => "UnknownTopicIdException",
        _ => "KafkaException",
    };
    if simple == "KafkaException" {
        "org.apache.kafka.common.KafkaException".to_string()
    } else {
        format!("org.apache.kafka.common.errors.{simple}")
    }
}

/// The message of a client error as Java's exception would carry it (no context added).
pub fn java_message(error: &ClientError) -> String {
    match error {
        ClientError::Kafka { error, message, .. } => match message {
            Some(m) if !m.is_empty() => m.clone(),
            _ => default_message(*error).to_string(),
        },
        other => other.to_string(),
    }
}

/// `Throwable.toString()` of a client error: `class: message` for Kafka errors; our own text
/// for failures Java would describe differently (connection and time-outs).
pub fn java_exception(error: &ClientError) -> String {
    match error {
        ClientError::Kafka { error: code, .. } => {
            format!("{}: {}", exception_class(*code), java_message(error))
        }
        other => other.to_string(),
    }
}

/// `ExecutionException.toString()` wrapping a client error, as Apache's `RuntimeException(e)`
/// wrappers print it.
pub fn execution_exception(error: &ClientError) -> String {
    format!(
        "java.util.concurrent.ExecutionException: {}",
        java_exception(error)
    )
}

/// What Apache prints when `--command-config` cannot be read.
pub fn properties_error(path: &str, error: &str) -> String {
    if !std::path::Path::new(path).exists() {
        format!("java.nio.file.NoSuchFileException: {path}")
    } else {
        error.to_string()
    }
}

/// Whether `pattern` compiles, and if not RE2's description of why (what Apache prints after
/// `is invalid: `).
pub fn regex_problem(pattern: &str) -> Option<String> {
    use regex_syntax::ast::ErrorKind;
    let error = regex::Regex::new(pattern).err()?;
    let kind = match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Err(e) => e.kind().clone(),
        // Parsed, yet rejected later (e.g. too large): regex's own words.
        Ok(_) => {
            return Some(
                error
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string(),
            )
        }
    };
    Some(
        match kind {
            ErrorKind::GroupUnclosed => "missing closing )",
            ErrorKind::GroupUnopened => "unexpected )",
            ErrorKind::ClassUnclosed => "missing closing ]",
            ErrorKind::ClassRangeInvalid => "invalid character class range",
            ErrorKind::ClassEscapeInvalid | ErrorKind::EscapeUnrecognized => {
                "invalid escape sequence"
            }
            ErrorKind::EscapeUnexpectedEof => "trailing backslash at end of expression",
            ErrorKind::RepetitionMissing => "missing argument to repetition operator",
            ErrorKind::RepetitionCountInvalid
            | ErrorKind::RepetitionCountUnclosed
            | ErrorKind::RepetitionCountDecimalEmpty => "invalid repeat count",
            ErrorKind::GroupNameInvalid
            | ErrorKind::GroupNameEmpty
            | ErrorKind::GroupNameUnexpectedEof
            | ErrorKind::GroupNameDuplicate { .. } => "invalid named capture",
            _ => "invalid or unsupported Perl syntax",
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_like_printf() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abcdef");
        assert_eq!(
            row(&[("a", Some(3)), ("b", Some(2)), ("c", None)]),
            "a   b  c"
        );
    }

    #[test]
    fn re2_descriptions() {
        assert_eq!(regex_problem("a.*"), None);
        assert_eq!(regex_problem("(").as_deref(), Some("missing closing )"));
        assert_eq!(regex_problem("[a").as_deref(), Some("missing closing ]"));
        assert_eq!(
            regex_problem("*").as_deref(),
            Some("missing argument to repetition operator")
        );
    }

    #[test]
    fn topic_partition_hash_order_matches_java() {
        // Apache printed t1-2, t1-1, t1-0 for a 3-partition reset plan.
        let order = hash_map_order(vec![0, 1, 2], |p| topic_partition_hash("t1", *p));
        assert_eq!(order, vec![2, 1, 0]);
    }
}
