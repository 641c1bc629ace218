//! jopt-simple 5.0.4's help table (`BuiltinHelpFormatter` with `Rows(80, 2)` and `Columns`),
//! byte for byte: rows sorted by option name, both columns word-wrapped where Java's line
//! `BreakIterator` allows a break, continuation lines indented by two spaces, every cell padded
//! to its column's width (so lines end in spaces, as Apache's do). Owns the layout only; which
//! options exist and their texts come from the clap definitions.

use clap::Command;

/// The `help_heading` of options that are kafkit extensions: they are left out of the jopt
/// table (which stays Apache's, byte for byte) and documented in the README and man pages.
pub const EXTENSION_HEADING: &str = "kafkit extensions";

/// The help table's text for `--help` (Kafka's `CommandDefaultOptions`).
pub const HELP_DESCRIPTION: &str = "Print usage information.";
/// The help table's text for `--version` (Kafka's `CommandDefaultOptions`).
pub const VERSION_DESCRIPTION: &str = "Display Kafka version.";

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
    rows.push(("help".into(), "--help".into(), HELP_DESCRIPTION.into()));
    rows.push((
        "version".into(),
        "--version".into(),
        VERSION_DESCRIPTION.into(),
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

/// The segments between the break opportunities of Java's line `BreakIterator`: the JDK's
/// rule-based `LineBreakRules` (`sun.text.resources.BreakIteratorRules`), whose one rule is
/// `<word>(((<space>*<glue><glue>*{<space>})|<hack3>)<word>)*<space>*{<hack1><hack2><post-word>*}{\r}{<break>}`
/// with `<word> = <pre-word>* (<char>* | <number>) (<dash><dash>* | <post-word>*)`; the
/// longest match from each break is the next segment. Differential runs against OpenJDK 17 on
/// thousands of random strings of ASCII letters, digits, spaces, tabs and punctuation agree;
/// known differences, all absent from help texts: a glue character (no-break space or hyphen)
/// right after a `$`/`'` joiner, and non-spacing marks, kanji and ignorable controls, which
/// count as `<char>` here.
fn line_break_words(line: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut words = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let end = segment_end(&chars, start).max(start + 1);
        let from = chars[start].0;
        let to = chars.get(end).map_or(line.len(), |c| c.0);
        words.push(&line[from..to]);
        start = end;
    }
    words
}

/// `<break>`: ETX, TAB, LF, FF, LINE/PARAGRAPH SEPARATOR.
fn is_break(c: char) -> bool {
    matches!(c, '\u{3}' | '\t' | '\n' | '\u{C}' | '\u{2028}' | '\u{2029}')
}

/// `<glue>`: characters that never allow a break (no-break spaces and hyphen).
fn is_glue(c: char) -> bool {
    matches!(
        c,
        '\u{A0}' | '\u{F0C}' | '\u{2007}' | '\u{2011}' | '\u{202F}' | '\u{FEFF}'
    )
}

/// `<space>`: space separators and control characters other than the above and CR.
fn is_space(c: char) -> bool {
    !is_glue(c) && !is_break(c) && c != '\r' && (c.is_whitespace() || c.is_control())
}

/// `<dash>`: dash punctuation and the soft hyphen.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{AD}' | '\u{2010}' | '\u{2012}'..='\u{2015}' | '\u{2E3A}' | '\u{2E3B}'
    )
}

/// `<pre-word>`: currency signs (not the cent), opening punctuation, initial quotes, `"` and `'`.
fn is_pre_word(c: char) -> bool {
    matches!(
        c,
        '$' | '(' | '[' | '{' | '"' | '\'' | '\u{A3}'..='\u{A5}' | '\u{20A0}'..='\u{20C0}'
            | '\u{AB}' | '\u{2018}' | '\u{201B}' | '\u{201C}' | '\u{201F}' | '\u{2039}'
    )
}

/// `<post-word>`: `"`, closing punctuation, final quotes and `! % . , : ; ?` and a few signs.
fn is_post_word(c: char) -> bool {
    matches!(
        c,
        '"' | ')'
            | ']'
            | '}'
            | '!'
            | '%'
            | '.'
            | ','
            | ':'
            | ';'
            | '?'
            | '\u{A2}'
            | '\u{B0}'
            | '\u{BB}'
            | '\u{2019}'
            | '\u{201D}'
            | '\u{203A}'
            | '\u{2030}'..='\u{2034}'
    )
}

/// `<char>`: everything the other classes leave (letters, digits, other symbols).
fn is_char(c: char) -> bool {
    !(is_break(c)
        || is_space(c)
        || is_dash(c)
        || is_glue(c)
        || is_pre_word(c)
        || is_post_word(c)
        || is_mid_num(c)
        || c == '\r')
}

/// `<mid-num>`.
fn is_mid_num(c: char) -> bool {
    matches!(c, '.' | ',')
}

/// `<digit>`.
fn is_digit(c: char) -> bool {
    c.is_numeric()
}

/// `<hack3>`: characters that join two words.
fn is_joiner(c: char) -> bool {
    matches!(c, '$' | '\'')
}

/// Where a run of `pred` characters starting at `from` ends.
fn run_end(chars: &[(usize, char)], from: usize, pred: impl Fn(char) -> bool) -> usize {
    let mut i = from;
    while chars.get(i).is_some_and(|c| pred(c.1)) {
        i += 1;
    }
    i
}

/// Every position a `<word>` starting at `start` can end at.
fn word_ends(chars: &[(usize, char)], start: usize) -> std::collections::BTreeSet<usize> {
    let at = |i: usize| chars.get(i).map(|c| c.1);
    let mut cores = std::collections::BTreeSet::new();
    for p in start..=run_end(chars, start, is_pre_word) {
        // <char>*
        cores.extend(p..=run_end(chars, p, is_char));
        // <number> = [<pre-word><dash>]* <digit>+ (<mid-num> <digit>+)*
        for b in p..=run_end(chars, p, |c| is_pre_word(c) || is_dash(c)) {
            let mut end = run_end(chars, b, is_digit);
            if end == b {
                continue;
            }
            cores.insert(end);
            while at(end).is_some_and(is_mid_num) {
                let next = run_end(chars, end + 1, is_digit);
                if next == end + 1 {
                    break;
                }
                end = next;
                cores.insert(end);
            }
        }
    }
    let mut ends = std::collections::BTreeSet::new();
    for core in cores {
        // <dash><dash>* | <post-word>*
        ends.extend(core + 1..=run_end(chars, core, is_dash));
        ends.extend(core..=run_end(chars, core, is_post_word));
    }
    ends
}

/// The end (char index) of the longest match of the line rule starting at `start`.
fn segment_end(chars: &[(usize, char)], start: usize) -> usize {
    let at = |i: usize| chars.get(i).map(|c| c.1);
    // <word> ((<space>* <glue>+ {<space>} | <hack3>) <word>)*
    let mut words = word_ends(chars, start);
    let mut frontier: Vec<usize> = words.iter().copied().collect();
    while let Some(end) = frontier.pop() {
        let mut next_starts = Vec::new();
        if at(end).is_some_and(is_joiner) {
            next_starts.push(end + 1);
        }
        let spaced = run_end(chars, end, is_space);
        let glued = run_end(chars, spaced, is_glue);
        if glued > spaced {
            next_starts.push(glued);
            if at(glued).is_some_and(is_space) {
                next_starts.push(glued + 1);
            }
        }
        for next in next_starts {
            for e in word_ends(chars, next) {
                if words.insert(e) {
                    frontier.push(e);
                }
            }
        }
    }
    let mut best = start;
    for end in words {
        // <space>* {<hack1><hack2><post-word>*} {\r} {<break>}
        let mut end = run_end(chars, end, is_space);
        if at(end) == Some('(') && at(end + 1) == Some(')') {
            end = run_end(chars, end + 2, is_post_word);
        }
        if at(end) == Some('\r') {
            end += 1;
        }
        if at(end).is_some_and(is_break) {
            end += 1;
        }
        best = best.max(end);
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
    fn quotes_open_and_close_words() {
        // Recorded from OpenJDK 17's BreakIterator.getLineInstance().
        assert_eq!(
            words("'value.deserializer.' and"),
            ["'value.", "deserializer.' ", "and"]
        );
        assert_eq!(
            words("say \"hi there\" now"),
            ["say ", "\"hi ", "there\" ", "now"]
        );
        assert_eq!(words("it's [x] {y} <z>"), ["it's ", "[x] ", "{y} ", "<z>"]);
        assert_eq!(words("a--b -c --d"), ["a--", "b ", "-", "c ", "--", "d"]);
        assert_eq!(
            words("x/y a_b #1 $5 4.0.1 1,000 a.b,c:d;e"),
            ["x/y ", "a_b ", "#1 ", "$5 ", "4.0.1 ", "1,000 ", "a.", "b,", "c:", "d;", "e"]
        );
        assert_eq!(words("foo!bar?baz%q"), ["foo!", "bar?", "baz%", "q"]);
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
