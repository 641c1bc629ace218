//! Apache's `LineMessageReader` rules for one line of text: the reader properties (`parse.key`,
//! `key.separator`, `parse.headers`, `headers.delimiter`, `headers.separator` as a regex,
//! `headers.key.separator`, `null.marker`, `ignore.error`) with their configure-time checks, and
//! the split of a line into headers, key and value with Apache's error messages. Text in, slices
//! out: no I/O and no allocation for the key and value.

use std::collections::BTreeMap;

use regex::Regex;

/// The reader settings (Apache's defaults).
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    pub parse_key: bool,
    pub key_separator: String,
    pub parse_headers: bool,
    pub headers_delimiter: String,
    pub headers_separator: Regex,
    pub headers_key_separator: String,
    pub ignore_error: bool,
    pub null_marker: Option<String>,
}

fn flag(properties: &BTreeMap<String, String>, key: &str) -> bool {
    properties
        .get(key)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl ReaderConfig {
    /// Apache's `LineMessageReader.configure`, with its checks in its order.
    pub fn from_properties(properties: &BTreeMap<String, String>) -> Result<Self, String> {
        let text = |key: &str, default: &str| {
            properties
                .get(key)
                .cloned()
                .unwrap_or_else(|| default.to_string())
        };
        let headers_delimiter = text("headers.delimiter", "\t");
        let headers_separator_text = text("headers.separator", ",");
        let headers_key_separator = text("headers.key.separator", ":");
        let key_separator = text("key.separator", "\t");
        if headers_delimiter == headers_separator_text {
            return Err("headers.delimiter and headers.separator may not be equal".to_string());
        }
        if headers_delimiter == headers_key_separator {
            return Err("headers.delimiter and headers.key.separator may not be equal".to_string());
        }
        if headers_separator_text == headers_key_separator {
            return Err("headers.separator and headers.key.separator may not be equal".to_string());
        }
        let null_marker = properties.get("null.marker").cloned();
        if let Some(marker) = &null_marker {
            for (other, name) in [
                (&key_separator, "key.separator"),
                (&headers_separator_text, "headers.separator"),
                (&headers_delimiter, "headers.delimiter"),
                (&headers_key_separator, "headers.key.separator"),
            ] {
                if marker == other {
                    return Err(format!("null.marker and {name} may not be equal"));
                }
            }
        }
        let headers_separator = Regex::new(&headers_separator_text).map_err(|e| {
            format!("Invalid headers.separator regular expression '{headers_separator_text}': {e}")
        })?;
        Ok(ReaderConfig {
            parse_key: flag(properties, "parse.key"),
            key_separator,
            parse_headers: flag(properties, "parse.headers"),
            headers_delimiter,
            headers_separator,
            headers_key_separator,
            ignore_error: flag(properties, "ignore.error"),
            null_marker,
        })
    }
}

impl ReaderConfig {
    fn is_null(&self, text: &str) -> bool {
        self.null_marker.as_deref() == Some(text)
    }

    /// Text before `demarcation` from `start`, Apache's `parse`: `Ok(None)` when not enabled or
    /// (with ignore.error) not found.
    fn section<'a>(
        &self,
        enabled: bool,
        line: &'a str,
        start: usize,
        demarcation: &str,
        name: &str,
        line_number: u64,
    ) -> Result<Option<&'a str>, String> {
        if !enabled {
            return Ok(None);
        }
        match line[start..].find(demarcation) {
            Some(at) => Ok(Some(&line[start..start + at])),
            None if self.ignore_error => Ok(None),
            None => Err(format!(
                "No {name} found on line number {line_number}: '{line}'"
            )),
        }
    }

    /// Splits `line` (number `line_number`, 1-based) as Apache's reader does. `headers` is a
    /// reused buffer for the header pairs.
    pub fn parse<'a>(
        &self,
        line: &'a str,
        line_number: u64,
        headers: &mut Vec<(&'a str, Option<&'a str>)>,
    ) -> Result<(Option<&'a str>, Option<&'a str>), String> {
        headers.clear();
        let header_text = self.section(
            self.parse_headers,
            line,
            0,
            &self.headers_delimiter,
            "headers delimiter",
            line_number,
        )?;
        let header_offset = header_text.map_or(0, |h| h.len() + self.headers_delimiter.len());
        let key = self.section(
            self.parse_key,
            line,
            header_offset,
            &self.key_separator,
            "key separator",
            line_number,
        )?;
        let key_offset = key.map_or(0, |k| k.len() + self.key_separator.len());
        let value = &line[header_offset + key_offset..];
        if let Some(text) = header_text.filter(|h| !self.is_null(h)) {
            for pair in java_split(&self.headers_separator, text) {
                match pair.find(&self.headers_key_separator) {
                    None if self.ignore_error => headers.push((pair, None)),
                    None => {
                        return Err(format!(
                            "No header key separator found in pair '{pair}' on line number {line_number}"
                        ))
                    }
                    Some(at) => {
                        let header_key = &pair[..at];
                        if self.is_null(header_key) {
                            return Err(format!(
                                "Header keys should not be equal to the null marker '{}' as they can't be null",
                                self.null_marker.as_deref().unwrap_or_default()
                            ));
                        }
                        let header_value = &pair[at + self.headers_key_separator.len()..];
                        headers.push((
                            header_key,
                            (!self.is_null(header_value)).then_some(header_value),
                        ));
                    }
                }
            }
        }
        let key = key.filter(|k| !self.is_null(k));
        let value = (!self.is_null(value)).then_some(value);
        Ok((key, value))
    }
}

/// Java's `String.split(regex)` with limit 0: a positive-width match at the start yields a
/// leading empty piece, a zero-width one does not; trailing empty pieces are dropped; no match
/// yields the whole input.
pub fn java_split<'a>(pattern: &Regex, input: &'a str) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for m in pattern.find_iter(input) {
        if m.end() == 0 {
            // Zero-width match at the beginning: no leading empty piece.
            continue;
        }
        if m.start() == m.end() && m.start() >= input.len() {
            break;
        }
        pieces.push(&input[start..m.start()]);
        start = m.end();
    }
    if pieces.is_empty() {
        return vec![input];
    }
    pieces.push(&input[start..]);
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<ReaderConfig, String> {
        ReaderConfig::from_properties(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn split(pattern: &str, input: &str) -> Vec<String> {
        java_split(&Regex::new(pattern).unwrap(), input)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn java_split_semantics() {
        assert_eq!(split(",", "a,b"), ["a", "b"]);
        assert_eq!(split(",", ",a"), ["", "a"]);
        assert_eq!(split(",", "a,,"), ["a"]);
        assert_eq!(split(",", ""), [""]);
        assert!(split(",", ",").is_empty());
        assert_eq!(split(",", "abc"), ["abc"]);
        assert_eq!(split("\\|", "a|b"), ["a", "b"]);
        assert_eq!(split("", "ab"), ["a", "b"]);
    }

    #[test]
    fn configure_checks_in_apaches_order() {
        assert_eq!(
            config(&[("headers.delimiter", ",")]).unwrap_err(),
            "headers.delimiter and headers.separator may not be equal"
        );
        assert_eq!(
            config(&[("headers.delimiter", ":")]).unwrap_err(),
            "headers.delimiter and headers.key.separator may not be equal"
        );
        assert_eq!(
            config(&[("headers.separator", ":")]).unwrap_err(),
            "headers.separator and headers.key.separator may not be equal"
        );
        assert_eq!(
            config(&[("null.marker", "\t")]).unwrap_err(),
            "null.marker and key.separator may not be equal"
        );
        assert_eq!(
            config(&[("null.marker", ","), ("key.separator", "|")]).unwrap_err(),
            "null.marker and headers.separator may not be equal"
        );
        assert_eq!(
            config(&[("null.marker", "\t"), ("key.separator", "|")]).unwrap_err(),
            "null.marker and headers.delimiter may not be equal"
        );
        assert_eq!(
            config(&[("null.marker", ":"), ("key.separator", "|")]).unwrap_err(),
            "null.marker and headers.key.separator may not be equal"
        );
    }

    #[test]
    fn key_headers_value() {
        let c = config(&[("parse.key", "true"), ("parse.headers", " TRUE ")]).unwrap();
        let mut headers = Vec::new();
        let (key, value) = c
            .parse("h1:v1,h2:v2\tkey\tvalue\tmore", 1, &mut headers)
            .unwrap();
        assert_eq!(key, Some("key"));
        assert_eq!(value, Some("value\tmore"));
        assert_eq!(headers, vec![("h1", Some("v1")), ("h2", Some("v2"))]);
        assert_eq!(
            c.parse("novalue", 3, &mut headers).unwrap_err(),
            "No headers delimiter found on line number 3: 'novalue'"
        );
        assert_eq!(
            c.parse("h:v\tnokey", 4, &mut headers).unwrap_err(),
            "No key separator found on line number 4: 'h:v\tnokey'"
        );
        assert_eq!(
            c.parse("\tk\tv", 5, &mut headers).unwrap_err(),
            "No header key separator found in pair '' on line number 5"
        );
    }

    #[test]
    fn ignore_error_and_null_marker() {
        let c = config(&[
            ("parse.key", "true"),
            ("parse.headers", "true"),
            ("ignore.error", "true"),
            ("null.marker", "NULL"),
        ])
        .unwrap();
        let mut headers = Vec::new();
        let (key, value) = c.parse("lonely", 1, &mut headers).unwrap();
        assert_eq!((key, value), (None, Some("lonely")));
        assert!(headers.is_empty());
        let (key, value) = c.parse("a:NULL,b\tNULL\tNULL", 2, &mut headers).unwrap();
        assert_eq!((key, value), (None, None));
        assert_eq!(headers, vec![("a", None), ("b", None)]);
        let (_, _) = c.parse("NULL\tk\tv", 3, &mut headers).unwrap();
        assert!(headers.is_empty());
        assert_eq!(
            c.parse("NULL:x\tk\tv", 4, &mut headers).unwrap_err(),
            "Header keys should not be equal to the null marker 'NULL' as they can't be null"
        );
    }

    #[test]
    fn empty_line_is_an_empty_value() {
        let c = config(&[]).unwrap();
        let mut headers = Vec::new();
        assert_eq!(c.parse("", 1, &mut headers).unwrap(), (None, Some("")));
    }
}
