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

/// Splits one CSV line into fields, honouring quotes.
fn split_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if current.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            (',', false) => {
                fields.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            (c, _) => current.push(c),
        }
    }
    if quoted {
        return None;
    }
    fields.push(current);
    Some(fields)
}

fn parse_line(line: &str, with_group: bool) -> Option<PlanLine> {
    let fields = split_line(line.trim_end_matches('\r'))?;
    let (group, rest) = match (with_group, fields.as_slice()) {
        (true, [group, rest @ ..]) => (Some(group.clone()), rest),
        (false, rest) => (None, rest),
        _ => return None,
    };
    let [topic, partition, offset] = rest else {
        return None;
    };
    Some(PlanLine {
        group,
        topic: topic.clone(),
        partition: partition.trim().parse().ok()?,
        offset: offset.trim().parse().ok()?,
    })
}

/// Apache's `parseResetPlan`: with exactly one `--group` and a first line in the three-column
/// format, every line is read that way for that group; otherwise every line must have four
/// columns. Lines are split on `\n` (trailing empty lines ignored). Returns per group the
/// partitions in file order (later lines win), or the first bad line.
pub fn parse_plan(
    text: &str,
    single_group: Option<&str>,
) -> Result<HashMap<String, Vec<(TopicPartition, i64)>>, String> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let three_columns = lines
        .first()
        .is_some_and(|l| parse_line(l, false).is_some());
    let mut plans: HashMap<String, Vec<(TopicPartition, i64)>> = HashMap::new();
    for line in lines {
        let parsed = match single_group {
            Some(group) if three_columns => parse_line(line, false).map(|mut p| {
                p.group = Some(group.to_string());
                p
            }),
            _ => parse_line(line, true),
        };
        let Some(p) = parsed else {
            return Err(format!(
                "com.fasterxml.jackson.databind.RuntimeJsonMappingException: cannot read reset plan line '{line}'"
            ));
        };
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
        assert_eq!(
            split_line("\"a,b\",t,0,1").unwrap(),
            vec!["a,b", "t", "0", "1"]
        );
    }

    #[test]
    fn three_and_four_columns() {
        let plans = parse_plan("t,0,5\nt,1,7\n\n", Some("g")).unwrap();
        assert_eq!(plans["g"], vec![(("t".into(), 0), 5), (("t".into(), 1), 7)]);
        let plans = parse_plan("g1,t,0,5\ng2,t,0,6\n", Some("g1")).unwrap();
        assert_eq!(plans["g1"], vec![(("t".into(), 0), 5)]);
        assert_eq!(plans["g2"], vec![(("t".into(), 0), 6)]);
        // Three columns with several groups is not a valid plan.
        assert!(parse_plan("t,0,5\n", None).is_err());
        assert!(parse_plan("g,t,x,5\n", None).is_err());
    }
}
