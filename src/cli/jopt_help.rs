//! jopt-simple 5.0.4's help table (`BuiltinHelpFormatter` with `Rows(80, 2)` and `Columns`),
//! byte for byte: rows sorted by option name, both columns word-wrapped where Java's line
//! `BreakIterator` allows a break, continuation lines indented by two spaces, every cell padded
//! to its column's width (so lines end in spaces, as Apache's do). Owns the layout only; which
//! options exist and their texts come from the clap definitions.

use clap::Command;

/// The `help_heading` of options that are kafkit extensions: they are left out of the jopt
/// table (which stays Apache's, byte for byte) and documented in the README and man pages.
pub const EXTENSION_HEADING: &str = "kafkit extensions";

/// `BuiltinHelpFormatter`'s overall row width.
const OVERALL_WIDTH: usize = 80;
/// Spaces between the option column and the description column.
const COLUMN_SEPARATOR: usize = 2;
/// Indent of a wrapped continuation line (`Columns.INDENT_WIDTH`).
const INDENT: &str = "  ";

/// jopt-simple's help for `command`'s options plus `--help` and `--version` (Kafka's
/// `CommandDefaultOptions`), without the tool's description line.
pub fn help(command: &Command) -> String {
    let mut rows: Vec<(String, String, String)> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter(|a| a.get_help_heading() != Some(EXTENSION_HEADING))
        .filter_map(|a| {
            let long = a.get_long()?;
            let mut left = format!("--{long}");
            if a.get_action().takes_values() {
                let name = a
                    .get_value_names()
                    .and_then(|n| n.first())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "String".to_string());
                let optional = a.get_num_args().is_some_and(|n| n.min_values() == 0);
                let (open, close) = if optional { ('[', ']') } else { ('<', '>') };
                left.push_str(&format!(" {open}{name}{close}"));
            }
            let mut description = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            if let Some(default) = a.get_default_values().first() {
                description = format!("{description} (default: {})", default.to_string_lossy())
                    .trim()
                    .to_string();
            }
            Some((long.to_string(), left, description))
        })
        .collect();
    rows.push((
        "help".into(),
        "--help".into(),
        "Print usage information.".into(),
    ));
    rows.push((
        "version".into(),
        "--version".into(),
        "Display Kafka version.".into(),
    ));
    // A TreeSet ordered by the first option name (Java String order: UTF-16 units).
    rows.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    let mut table = vec![
        ("Option".to_string(), "Description".to_string()),
        ("------".to_string(), "-----------".to_string()),
    ];
    table.extend(rows.into_iter().map(|(_, left, right)| (left, right)));
    render(&fit(&table))
}

/// Java `String.length()`.
fn width(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `Rows.optionWidth()` / `descriptionWidth()` for the given rows.
fn column_widths(rows: &[(String, String)]) -> (usize, usize) {
    let widest_option = rows.iter().map(|r| width(&r.0)).max().unwrap_or(0);
    let widest_description = rows.iter().map(|r| width(&r.1)).max().unwrap_or(0);
    let option = ((OVERALL_WIDTH - COLUMN_SEPARATOR) / 2).min(widest_option);
    let description = (OVERALL_WIDTH - option - COLUMN_SEPARATOR).min(widest_description);
    (option, description)
}

/// `Rows.fitToWidth()`: every row cut into as many rows as its longer column needs.
fn fit(rows: &[(String, String)]) -> Vec<(String, String)> {
    let (option_width, description_width) = column_widths(rows);
    let mut fitted = Vec::new();
    for (option, description) in rows {
        let options = pieces_of(option, option_width);
        let descriptions = pieces_of(description, description_width);
        for i in 0..options.len().max(descriptions.len()) {
            fitted.push((
                options.get(i).cloned().unwrap_or_default(),
                descriptions.get(i).cloned().unwrap_or_default(),
            ));
        }
    }
    fitted
}

/// `Rows.render()`: each cell padded to its column (never cut), a two-space gutter.
fn render(rows: &[(String, String)]) -> String {
    let (option_width, description_width) = column_widths(rows);
    let pad = |out: &mut String, text: &str, to: usize| {
        out.push_str(text);
        out.push_str(&" ".repeat(to.saturating_sub(width(text))));
    };
    let mut out = String::new();
    for (option, description) in rows {
        pad(&mut out, option, option_width);
        out.push_str(&" ".repeat(COLUMN_SEPARATOR));
        pad(&mut out, description, description_width);
        out.push('\n');
    }
    out
}

/// `Columns.piecesOf`: the trimmed text split at line separators, each line word-wrapped.
fn pieces_of(raw: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<&str> = java_trim(raw).split('\n').collect();
    // Java's String.split drops trailing empty strings.
    while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
        .into_iter()
        .flat_map(|line| pieces_of_line(line, width))
        .collect()
}

/// `Columns.piecesOfEmbeddedLine`: greedy filling with the break iterator's words; a piece
/// that is cut loses its trailing whitespace, the next one starts with the indent.
fn pieces_of_line(line: &str, width_limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut next = String::new();
    for word in line_break_words(line) {
        if width(&next) + width(word) > width_limit {
            pieces.push(next.trim_end_matches(is_java_regex_space).to_string());
            next = format!("{INDENT}{word}");
        } else {
            next.push_str(word);
        }
    }
    if !next.is_empty() {
        pieces.push(next);
    }
    pieces
}

/// Java's `String.trim()`: strips every char up to U+0020 from both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// The `\s` of a Java regex.
fn is_java_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// The segments between the break opportunities of Java's line `BreakIterator` (the JDK's
/// rule-based line rules: a word is `$pre_word* ($char* | $number) ($dash+ | $post_word*)
/// $space*`, optionally followed by one line-break character; the longest match wins).
fn line_break_words(line: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut words = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let end = word_end(&chars, start).max(start + 1);
        let from = chars[start].0;
        let to = chars.get(end).map_or(line.len(), |c| c.0);
        words.push(&line[from..to]);
        start = end;
    }
    words
}

/// Character classes of the JDK's line-break rules (ASCII plus the common cases beyond it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `$break`: ETX, TAB, LF, FF, LINE/PARAGRAPH SEPARATOR.
    Break,
    /// `$space`: spaces and other control characters.
    Space,
    /// `$dash`: dash punctuation.
    Dash,
    /// `$pre_word`: currency, opening punctuation, `"`.
    PreWord,
    /// `$post_word`: closing punctuation and `! % . , : ; ?` (and `"`).
    PostWord,
    /// `\r`.
    CarriageReturn,
    /// `$char`: everything else (letters, digits, other symbols).
    Char,
}

fn class(c: char) -> Class {
    match c {
        '\u{3}' | '\t' | '\n' | '\u{C}' | '\u{2028}' | '\u{2029}' => Class::Break,
        '\r' => Class::CarriageReturn,
        '-' | '\u{2010}' | '\u{2012}'..='\u{2015}' => Class::Dash,
        '$' | '(' | '[' | '{' | '"' | '\u{A3}'..='\u{A5}' | '\u{20AC}' => Class::PreWord,
        ')' | ']' | '}' | '!' | '%' | '.' | ',' | ':' | ';' | '?' | '\u{B0}' => Class::PostWord,
        c if c == ' ' || c.is_control() => Class::Space,
        _ => Class::Char,
    }
}

/// `$mid_num`.
fn is_mid_num(c: char) -> bool {
    matches!(c, '.' | ',')
}

/// The end (char index) of the longest rule match starting at `start`.
fn word_end(chars: &[(usize, char)], start: usize) -> usize {
    let at = |i: usize| chars.get(i).map(|c| c.1);
    let run = |from: usize, pred: &dyn Fn(char) -> bool| {
        let mut i = from;
        while at(i).is_some_and(pred) {
            i += 1;
        }
        i
    };
    // $pre_word*: every prefix length is a candidate.
    let pre_end = run(start, &|c| class(c) == Class::PreWord);
    let mut cores = Vec::new();
    for a in start..=pre_end {
        // $char*
        let char_end = run(a, &|c| class(c) == Class::Char);
        cores.extend(a..=char_end);
        // $number: [$pre_word$dash]* $digit+ ($mid_num $digit+)*
        let lead_end = run(a, &|c| matches!(class(c), Class::PreWord | Class::Dash));
        for b in a..=lead_end {
            let digits_end = run(b, &|c| c.is_ascii_digit());
            if digits_end == b {
                continue;
            }
            let mut end = digits_end;
            cores.push(end);
            while at(end).is_some_and(is_mid_num) {
                let next = run(end + 1, &|c| c.is_ascii_digit());
                if next == end + 1 {
                    break;
                }
                end = next;
                cores.push(end);
            }
        }
    }
    let mut best = start;
    for core in cores {
        // ($dash+ | $post_word*) $space*, then \r? $break?
        let dash_end = run(core, &|c| class(c) == Class::Dash);
        let post_end = run(core, &|c| class(c) == Class::PostWord);
        for suffix in [dash_end, post_end] {
            let mut end = run(suffix, &|c| class(c) == Class::Space);
            if at(end) == Some('\r') {
                end += 1;
            }
            if at(end).is_some_and(|c| class(c) == Class::Break) {
                end += 1;
            }
            best = best.max(end);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        line_break_words(s)
    }

    #[test]
    fn breaks_after_spaces_dashes_and_closing_punctuation() {
        assert_eq!(
            words("only in combination with --create. (To alter"),
            [
                "only ",
                "in ",
                "combination ",
                "with ",
                "--",
                "create. ",
                "(To ",
                "alter"
            ]
        );
        assert_eq!(words("kafka-configs tool"), ["kafka-", "configs ", "tool"]);
        assert_eq!(
            words("follower.replication.throttled.replicas"),
            ["follower.", "replication.", "throttled.", "replicas"]
        );
        assert_eq!(
            words("<String: server to>"),
            ["<String: ", "server ", "to>"]
        );
    }

    #[test]
    fn keeps_numbers_and_takes_a_tab_alone() {
        assert_eq!(words("since 4.0"), ["since ", "4.0"]);
        assert_eq!(words("\tcleanup.policy"), ["\t", "cleanup.", "policy"]);
    }

    #[test]
    fn wraps_like_columns_fit() {
        // From Apache's kafka-topics --help (description width 39).
        assert_eq!(
            pieces_of(
                "The maximum partition size to be included in one DescribeTopicPartitions response.",
                39
            ),
            [
                "The maximum partition size to be",
                "  included in one",
                "  DescribeTopicPartitions response."
            ]
        );
        assert_eq!(
            pieces_of(
                "--partition-size-limit-per-response <Integer: maximum number of partitions per response>",
                39
            ),
            [
                "--partition-size-limit-per-response",
                "  <Integer: maximum number of",
                "  partitions per response>"
            ]
        );
        assert!(pieces_of("", 39).is_empty());
    }
}
