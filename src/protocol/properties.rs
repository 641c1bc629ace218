//! Java `.properties` parsing with the exact rules of `java.util.Properties.load`: `=`, `:` or
//! whitespace between key and value, `#`/`!` comment lines, backslash escapes including `\uXXXX`
//! (and UTF-16 surrogate pairs written as two escapes), line continuations, and leading
//! whitespace. Used for `server.properties`, `--command-config` and any other client properties
//! file. Owns syntax only: it knows no key names and reads no file except the one it is given.
//!
//! Written by hand rather than with the `java-properties` crate because that crate, tested against
//! Java 17, rejects surrogate pairs (`\uD83D\uDE00`) and drops a last line ending in a backslash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The characters Java treats as whitespace between and around keys and values.
const WHITESPACE: [char; 3] = [' ', '\t', '\u{c}'];
/// How many hex digits follow `\u`.
const UNICODE_ESCAPE_DIGITS: usize = 4;

/// A properties file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    #[error("cannot read properties file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}line {line}: {reason}", location_prefix(path.as_deref()))]
    Syntax {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based number of the line where the offending logical line starts.
        line: usize,
        reason: String,
    },
}

fn location_prefix(path: Option<&Path>) -> String {
    path.map(|p| format!("{}, ", p.display()))
        .unwrap_or_default()
}

/// Parses properties text. Later occurrences of a key replace earlier ones, as in Java.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, PropertiesError> {
    let mut properties = BTreeMap::new();
    for line in logical_lines(text) {
        let (key, value) = split_key_value(&line.text);
        let key = unescape(key).map_err(|reason| syntax(line.number, reason))?;
        let value = unescape(value).map_err(|reason| syntax(line.number, reason))?;
        properties.insert(key, value);
    }
    Ok(properties)
}

/// Reads and parses a properties file. UTF-8 is expected; a file that is not valid UTF-8 is read
/// as ISO-8859-1, which is what Java's `Properties.load(InputStream)` always assumes.
pub fn load(path: &Path) -> Result<BTreeMap<String, String>, PropertiesError> {
    let bytes = std::fs::read(path).map_err(|source| PropertiesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(not_utf8) => not_utf8
            .into_bytes()
            .iter()
            .map(|&b| char::from(b))
            .collect(),
    };
    parse(&text).map_err(|e| match e {
        PropertiesError::Syntax { line, reason, .. } => PropertiesError::Syntax {
            path: Some(path.to_path_buf()),
            line,
            reason,
        },
        other => other,
    })
}

fn syntax(line: usize, reason: String) -> PropertiesError {
    PropertiesError::Syntax {
        path: None,
        line,
        reason,
    }
}

/// One key/value line after joining continuations, escapes still in place.
struct LogicalLine {
    /// The natural line it starts on (1-based).
    number: usize,
    text: String,
}

/// Java's `LineReader`: skips blank and comment lines and leading whitespace, joins lines ending in
/// an odd number of backslashes with the next line (whose leading whitespace is dropped). Comment
/// lines are never continued; a continuation line starting with `#` is not a comment.
fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut lines = Vec::new();
    let mut chars = text.chars().peekable();
    let mut number = 1;
    loop {
        // Start of a logical line: skip whitespace and empty lines.
        let mut start = number;
        while let Some(&c) = chars.peek() {
            if WHITESPACE.contains(&c) {
                chars.next();
            } else if c == '\n' || c == '\r' {
                consume_line_end(&mut chars);
                number += 1;
                start = number;
            } else {
                break;
            }
        }
        let Some(&first) = chars.peek() else {
            return lines;
        };
        if first == '#' || first == '!' {
            while chars.next_if(|&c| c != '\n' && c != '\r').is_some() {}
            continue;
        }
        let mut line = String::new();
        let mut preceding_backslash = false;
        loop {
            match chars.peek().copied() {
                None => {
                    // A backslash right before the end of the text continues into nothing.
                    if preceding_backslash {
                        line.pop();
                    }
                    break;
                }
                Some('\n' | '\r') => {
                    consume_line_end(&mut chars);
                    number += 1;
                    if !preceding_backslash {
                        break;
                    }
                    line.pop();
                    preceding_backslash = false;
                    while chars.next_if(|c| WHITESPACE.contains(c)).is_some() {}
                }
                Some(c) => {
                    chars.next();
                    preceding_backslash = c == '\\' && !preceding_backslash;
                    line.push(c);
                }
            }
        }
        lines.push(LogicalLine {
            number: start,
            text: line,
        });
    }
}

/// Consumes one line terminator: `\n`, `\r` or `\r\n`.
fn consume_line_end(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    if chars.next() == Some('\r') {
        chars.next_if_eq(&'\n');
    }
}

/// Splits at the first unescaped `=`, `:` or whitespace; whitespace around the separator and one
/// `=`/`:` after whitespace belong to neither side.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    for (i, c) in line.char_indices() {
        if !preceding_backslash && (c == '=' || c == ':') {
            key_end = i;
            value_start = i + c.len_utf8();
            has_separator = true;
            break;
        }
        if !preceding_backslash && WHITESPACE.contains(&c) {
            key_end = i;
            value_start = i + c.len_utf8();
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
    }
    let mut rest = &line[value_start..];
    while let Some(c) = rest.chars().next() {
        if !WHITESPACE.contains(&c) {
            if has_separator || (c != '=' && c != ':') {
                break;
            }
            has_separator = true;
        }
        rest = &rest[c.len_utf8()..];
    }
    (&line[..key_end], rest)
}

/// Java's `loadConvert`: resolves `\t \n \r \f`, `\uXXXX` (pairs of surrogate escapes combine into
/// one character), and `\x` → `x` for any other `x`.
fn unescape(escaped: &str) -> Result<String, String> {
    let mut units: Vec<u16> = Vec::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        let resolved = if c == '\\' {
            match chars.next() {
                Some('u') => {
                    let digits: String = chars.by_ref().take(UNICODE_ESCAPE_DIGITS).collect();
                    let valid = digits.chars().count() == UNICODE_ESCAPE_DIGITS
                        && digits.chars().all(|d| d.is_ascii_hexdigit());
                    let unit = u16::from_str_radix(&digits, 16)
                        .ok()
                        .filter(|_| valid)
                        .ok_or_else(|| format!("Malformed \\uxxxx encoding: \\u{digits}"))?;
                    units.push(unit);
                    continue;
                }
                Some('t') => '\t',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('f') => '\u{c}',
                Some(other) => other,
                // `logical_lines` never leaves an odd trailing backslash; drop one as Java would.
                None => break,
            }
        } else {
            c
        };
        let mut buf = [0u16; 2];
        units.extend_from_slice(resolved.encode_utf16(&mut buf));
    }
    String::from_utf16(&units)
        .map_err(|_| format!("\\uxxxx escapes of {escaped} form an unpaired UTF-16 surrogate"))
}

/// A property map from literal pairs, for the tests of every module that reads properties.
#[cfg(test)]
pub fn from_pairs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap().into_iter().collect()
    }

    fn pair(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    // Expected values below were produced by java.util.Properties.load on OpenJDK 17.

    #[test]
    fn separators_and_surrounding_whitespace() {
        assert_eq!(one("key=value\n"), pair("key", "value"));
        assert_eq!(one("key = value\n"), pair("key", "value"));
        assert_eq!(one("key:value\n"), pair("key", "value"));
        assert_eq!(one("key value\n"), pair("key", "value"));
        assert_eq!(one("k   :   v\n"), pair("k", "v"));
        assert_eq!(one("k\t\u{c}=\tv\n"), pair("k", "v"));
        assert_eq!(one("   leading = ws\n"), pair("leading", "ws"));
        assert_eq!(one("k:=v\n"), pair("k", "=v"));
        assert_eq!(one("k = = v\n"), pair("k", "= v"));
        assert_eq!(one("=v\n"), pair("", "v"));
    }

    #[test]
    fn values_keep_trailing_whitespace_and_may_be_empty() {
        assert_eq!(one("k=  v  \n"), pair("k", "v  "));
        assert_eq!(one("k\n"), pair("k", ""));
        assert_eq!(one("k=\n"), pair("k", ""));
        assert_eq!(one("k=v"), pair("k", "v"));
    }

    #[test]
    fn comments_and_blank_lines() {
        assert_eq!(one("# c=1\n! c2=2\n  # c3=3\nk=v\n"), pair("k", "v"));
        assert_eq!(one("  \n\t\nk=v\n"), pair("k", "v"));
        // A comment line ending in a backslash does not continue.
        assert_eq!(one("# comment \\\nk=v\n"), pair("k", "v"));
        assert_eq!(one("\\#notcomment=1\n"), pair("#notcomment", "1"));
    }

    #[test]
    fn escapes() {
        assert_eq!(one("key\\ with\\ space = v\n"), pair("key with space", "v"));
        assert_eq!(one("k\\=x=y\n"), pair("k=x", "y"));
        assert_eq!(one("key\\:x:y\n"), pair("key:x", "y"));
        assert_eq!(one("k=a\\tb\\nc\\rd\\fe\n"), pair("k", "a\tb\nc\rd\u{c}e"));
        assert_eq!(one("k=\\q\\z\n"), pair("k", "qz"));
        assert_eq!(one("k=\\u0041bc\n"), pair("k", "Abc"));
        assert_eq!(one("k=\\u00e9\n"), pair("k", "é"));
        assert_eq!(one("k=\\uD83D\\uDE00\n"), pair("k", "😀"));
        assert_eq!(one("k=\\\\u0041\n"), pair("k", "\\u0041"));
        assert_eq!(one("k=a\\\\\nj=b\n")[1], ("k".into(), "a\\".into()));
    }

    #[test]
    fn continuations() {
        assert_eq!(one("k=a\\\n   b\n"), pair("k", "ab"));
        assert_eq!(one("k=a \\\n  b\n"), pair("k", "a b"));
        assert_eq!(one("k=a\\\r\n b\n"), pair("k", "ab"));
        assert_eq!(one("k=a\\\n  \\\n  b\n"), pair("k", "ab"));
        assert_eq!(one("k=a\\\\\\\nb\n"), pair("k", "a\\b"));
        assert_eq!(one("k\\\n ey=v\n"), pair("key", "v"));
        // A continuation line starting with `#` is part of the value.
        assert_eq!(one("k=a\\\n#b\n"), pair("k", "a#b"));
        // An empty line after a continuation ends the logical line.
        assert_eq!(
            one("k=a\\\n\nj=b\n"),
            vec![("j".into(), "b".into()), ("k".into(), "a".into())]
        );
        // A backslash at the very end of the text is dropped.
        assert_eq!(one("k=a\\"), pair("k", "a"));
    }

    #[test]
    fn line_terminators_and_duplicates() {
        assert_eq!(
            one("a=1\r\nb=2\rc=3\n"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "3".into())
            ]
        );
        assert_eq!(one("k=1\nk=2\n"), pair("k", "2"));
    }

    #[test]
    fn malformed_unicode_escapes_name_the_line() {
        for text in ["a=1\n\nk=\\uZZZZ\n", "a=1\n\nk=\\u00\n"] {
            let err = parse(text).unwrap_err().to_string();
            assert!(
                err.starts_with("line 3: Malformed \\uxxxx encoding"),
                "{err}"
            );
        }
        let err = parse("k=\\uD83D\n").unwrap_err().to_string();
        assert!(err.contains("unpaired UTF-16 surrogate"), "{err}");
    }

    #[test]
    fn load_names_the_file_and_falls_back_to_latin1() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.properties");
        std::fs::write(&path, "ok=1\nk=\\u12\n").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}, line 2: Malformed", path.display())),
            "{err}"
        );

        std::fs::write(&path, b"k=caf\xe9\n").unwrap();
        assert_eq!(load(&path).unwrap()["k"], "café");
        std::fs::write(&path, "k=café\n").unwrap();
        assert_eq!(load(&path).unwrap()["k"], "café");

        let missing = dir.path().join("missing.properties");
        let err = load(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.properties"), "{err}");
    }
}
