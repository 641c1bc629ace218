//! The CSV of `--export` and `--from-file` as Apache writes and reads it with Jackson: no
//! header, fields quoted only when they must be (`"` doubled inside), `topic,partition,offset`
//! for one `--group`, `group,topic,partition,offset` otherwise. Owns the text format only.

use std::collections::HashMap;

use crate::client::group::TopicPartition;

/// One reset-plan line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLine {
    /// `None` in the three-column format.
    pub group: Option<String>,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// A field as Jackson's CSV generator writes it.
pub fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Jackson's location suffix for an error at a 1-based `column` of a plan line (each line is
/// read on its own, so the line is always 1).
fn at(column: usize) -> String {
    format!("\n at [Source: (StringReader); line: 1, column: {column}]")
}

/// A field of one plan line and the 1-based column where it starts.
struct Field {
    text: String,
    column: usize,
}

/// Splits one CSV line as Jackson's CSV parser does: a field that starts with `"` is quoted
/// (`""` inside is a quote); a quote anywhere else is an ordinary character. Errors are
/// Jackson's message for the line.
fn split_line(line: &str) -> Result<Vec<Field>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut fields = Vec::new();
    let mut at_char = 0;
    loop {
        let column = at_char + 1;
        let mut text = String::new();
        if chars.get(at_char) == Some(&'"') {
            at_char += 1;
            loop {
                match (chars.get(at_char), chars.get(at_char + 1)) {
                    (None, _) => {
                        return Err(format!(
                            "com.fasterxml.jackson.core.JsonParseException: Missing closing quote for value{}",
                            at(chars.len() + 1)
                        ))
                    }
                    (Some('"'), Some('"')) => {
                        text.push('"');
                        at_char += 2;
                    }
                    (Some('"'), _) => {
                        at_char += 1;
                        break;
                    }
                    (Some(c), _) => {
                        text.push(*c);
                        at_char += 1;
                    }
                }
            }
        }
        while let Some(c) = chars.get(at_char).filter(|c| **c != ',') {
            text.push(*c);
            at_char += 1;
        }
        fields.push(Field { text, column });
        if at_char >= chars.len() {
            return Ok(fields);
        }
        at_char += 1; // the separator
    }
}

/// A number field as Jackson coerces a CSV string into a Java `int` or `long`: trimmed, empty
/// is 0, digits out of range and other text are Jackson's two different errors.
fn number(
    field: Option<&Field>,
    line: &str,
    property: &str,
    record_class: &str,
    java_type: &str,
    range: Option<(i64, i64)>,
) -> Result<i64, String> {
    let Some(field) = field else { return Ok(0) };
    let text = field.text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let chain = format!(
        " (through reference chain: org.apache.kafka.tools.consumer.group.CsvUtils${record_class}[\"{property}\"])"
    );
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "com.fasterxml.jackson.databind.exc.InvalidFormatException: Cannot deserialize value of type `{java_type}` from String \"{}\": not a valid `{java_type}` value{}{chain}",
            field.text,
            at(field.column)
        ));
    }
    let (min, max) = range.unwrap_or((i64::MIN, i64::MAX));
    match text.parse::<i64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => {
            let end = field.column + field.text.chars().count();
            // Jackson reports the column after the separator, or a doubled one at line end.
            let column = if end > line.chars().count() {
                2 * line.chars().count() + 1
            } else {
                end + 1
            };
            let range_text = if range.is_none() {
                format!(" ({min} - {max})")
            } else {
                String::new()
            };
            Err(format!(
                "com.fasterxml.jackson.databind.JsonMappingException: Numeric value ({text}) out of range of {java_type}{range_text}{}{chain}",
                at(column)
            ))
        }
    }
}

/// Reads one line into Apache's `CsvRecordWithGroup` (`with_group`) or `CsvRecordNoGroup`, as
/// Jackson maps it: missing trailing fields keep their defaults, extra fields are an error.
fn parse_line(line: &str, with_group: bool) -> Result<PlanLine, String> {
    let line = line.trim_end_matches('\r');
    if line.is_empty() {
        return Err("com.fasterxml.jackson.databind.exc.MismatchedInputException: No content to map due to end-of-input\n at [Source: (StringReader); line: UNKNOWN, column: UNKNOWN]".to_string());
    }
    let fields = split_line(line)?;
    let columns = if with_group { 4 } else { 3 };
    if let Some(extra) = fields.get(columns) {
        return Err(format!(
            "com.fasterxml.jackson.dataformat.csv.CsvReadException: Too many entries: expected at most {columns} (value #{columns} ({} chars) \"{}\"){}",
            extra.text.chars().count(),
            extra.text,
            at(extra.column)
        ));
    }
    let (group, rest) = if with_group {
        (
            fields.first().map(|f| f.text.clone()),
            fields.get(1..).unwrap_or_default(),
        )
    } else {
        (None, fields.as_slice())
    };
    let record_class = if with_group {
        "CsvRecordWithGroup"
    } else {
        "CsvRecordNoGroup"
    };
    let partition_range = Some((i64::from(i32::MIN), i64::from(i32::MAX)));
    let partition = number(
        rest.get(1),
        line,
        "partition",
        record_class,
        "int",
        partition_range,
    )?;
    let offset = number(rest.get(2), line, "offset", record_class, "long", None)?;
    // Apache carries a missing topic on as null and fails later with a NullPointerException;
    // naming the line is clearer.
    let topic = rest.first().map(|f| f.text.clone()).ok_or_else(|| {
        format!("java.lang.IllegalArgumentException: reset plan line '{line}' names no topic")
    })?;
    Ok(PlanLine {
        group,
        topic,
        partition: i32::try_from(partition).unwrap_or_default(),
        offset,
    })
}

/// Apache's `parseResetPlan`: with exactly one `--group` and a first line in the three-column
/// format, every line is read that way for that group; otherwise every line must have four
/// columns. Lines are split on `\n` (trailing empty lines ignored). Returns per group the
/// partitions in file order (later lines win), or Jackson's error for the first bad line.
pub fn parse_plan(
    text: &str,
    single_group: Option<&str>,
) -> Result<HashMap<String, Vec<(TopicPartition, i64)>>, String> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let three_columns = lines.first().is_some_and(|l| parse_line(l, false).is_ok());
    let mut plans: HashMap<String, Vec<(TopicPartition, i64)>> = HashMap::new();
    for line in lines {
        let parsed = match single_group {
            Some(group) if three_columns => parse_line(line, false).map(|mut p| {
                p.group = Some(group.to_string());
                p
            }),
            _ => parse_line(line, true),
        };
        let p = parsed?;
        let plan = plans.entry(p.group.unwrap_or_default()).or_default();
        let tp = (p.topic, p.partition);
        match plan.iter_mut().find(|(known, _)| *known == tp) {
            Some(entry) => entry.1 = p.offset,
            None => plan.push((tp, p.offset)),
        }
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("orders"), "orders");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        let texts: Vec<String> = split_line("\"a,b\",t,0,1\"x")
            .unwrap()
            .into_iter()
            .map(|f| f.text)
            .collect();
        assert_eq!(texts, vec!["a,b", "t", "0", "1\"x"]);
    }

    #[test]
    fn three_and_four_columns() {
        let plans = parse_plan("t,0,5\nt,1,7\n\n", Some("g")).unwrap();
        assert_eq!(plans["g"], vec![(("t".into(), 0), 5), (("t".into(), 1), 7)]);
        let plans = parse_plan("g1,t,0,5\ng2,t,0,6\n", Some("g1")).unwrap();
        assert_eq!(plans["g1"], vec![(("t".into(), 0), 5)]);
        assert_eq!(plans["g2"], vec![(("t".into(), 0), 6)]);
        // Missing trailing fields keep Jackson's defaults; numbers are trimmed.
        let plans = parse_plan("t,0\ng2,t, +1 ,\n", None).unwrap();
        assert_eq!(plans["t"], vec![(("0".into(), 0), 0)]);
        assert_eq!(plans["g2"], vec![(("t".into(), 1), 0)]);
        // A first line that is not three columns switches one group to four.
        let plans = parse_plan("t,x,1\n", Some("g")).unwrap();
        assert_eq!(plans["t"], vec![(("x".into(), 1), 0)]);
    }

    /// Apache 4.4's messages for these lines, as its tool prints them.
    #[test]
    fn malformed_lines_give_jacksons_messages() {
        let error = |text: &str, group: Option<&str>| parse_plan(text, group).unwrap_err();
        let chain = |class: &str, property: &str| {
            format!(" (through reference chain: org.apache.kafka.tools.consumer.group.CsvUtils${class}[\"{property}\"])")
        };
        assert_eq!(
            error("g,t,x,1\n", None),
            format!("com.fasterxml.jackson.databind.exc.InvalidFormatException: Cannot deserialize value of type `int` from String \"x\": not a valid `int` value\n at [Source: (StringReader); line: 1, column: 5]{}", chain("CsvRecordWithGroup", "partition"))
        );
        assert_eq!(
            error("t,0,1\nt,x,1\n", Some("g")),
            format!("com.fasterxml.jackson.databind.exc.InvalidFormatException: Cannot deserialize value of type `int` from String \"x\": not a valid `int` value\n at [Source: (StringReader); line: 1, column: 3]{}", chain("CsvRecordNoGroup", "partition"))
        );
        assert_eq!(
            error("g,t,0,1.5\n", None),
            format!("com.fasterxml.jackson.databind.exc.InvalidFormatException: Cannot deserialize value of type `long` from String \"1.5\": not a valid `long` value\n at [Source: (StringReader); line: 1, column: 7]{}", chain("CsvRecordWithGroup", "offset"))
        );
        assert_eq!(
            error("g,t,99999999999,1\n", None),
            format!("com.fasterxml.jackson.databind.JsonMappingException: Numeric value (99999999999) out of range of int\n at [Source: (StringReader); line: 1, column: 17]{}", chain("CsvRecordWithGroup", "partition"))
        );
        assert_eq!(
            error("g,t,0,99999999999999999999\n", None),
            format!("com.fasterxml.jackson.databind.JsonMappingException: Numeric value (99999999999999999999) out of range of long (-9223372036854775808 - 9223372036854775807)\n at [Source: (StringReader); line: 1, column: 53]{}", chain("CsvRecordWithGroup", "offset"))
        );
        assert_eq!(
            error("t,1,1,55,66\n", None),
            "com.fasterxml.jackson.dataformat.csv.CsvReadException: Too many entries: expected at most 4 (value #4 (2 chars) \"66\")\n at [Source: (StringReader); line: 1, column: 10]"
        );
        assert_eq!(
            error("t,0,1\nt,1,1,5\n", Some("g")),
            "com.fasterxml.jackson.dataformat.csv.CsvReadException: Too many entries: expected at most 3 (value #3 (1 chars) \"5\")\n at [Source: (StringReader); line: 1, column: 7]"
        );
        assert_eq!(
            error("g,t,0,\"1\n", None),
            "com.fasterxml.jackson.core.JsonParseException: Missing closing quote for value\n at [Source: (StringReader); line: 1, column: 9]"
        );
        assert_eq!(
            error("t,0,1\n\nt,1,1\n", Some("g")),
            "com.fasterxml.jackson.databind.exc.MismatchedInputException: No content to map due to end-of-input\n at [Source: (StringReader); line: UNKNOWN, column: UNKNOWN]"
        );
    }
}
