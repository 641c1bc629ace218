//! `--list`: the consumer groups of every broker, one id per line in the order the brokers
//! listed them; with `--state [list]` and/or `--type [list]` the GROUP/TYPE/STATE table, the
//! filters sent to the brokers.

use super::text::{hash_map_order, pad};
use super::{json, ActionResult, Context, Failure};
use crate::cli::java_order::string_hash;
use crate::client::consumer_groups::{ConsumerGroups, ListedGroup};

/// The GROUP column is at least this wide, plus [`GROUP_PADDING`].
const MIN_GROUP_WIDTH: usize = 15;
const GROUP_PADDING: usize = 10;
/// Width of the TYPE and STATE columns.
const COLUMN_WIDTH: usize = 20;

/// Group states of consumer groups (Java's `GroupState` names), for `--state` values.
pub const CONSUMER_GROUP_STATES: [&str; 7] = [
    "PreparingRebalance",
    "CompletingRebalance",
    "Dead",
    "Empty",
    "Assigning",
    "Stable",
    "Reconciling",
];
/// Every name Java's `GroupState` knows besides the consumer-group ones.
const OTHER_STATES: [&str; 2] = ["NotReady", "Unknown"];
const GROUP_TYPES: [&str; 5] = ["Unknown", "Consumer", "Classic", "Share", "Streams"];

/// Java's `GroupState.parse(s).toString()`: the canonical name, or `Unknown`.
pub fn canonical_state(state: &str) -> &'static str {
    CONSUMER_GROUP_STATES
        .iter()
        .chain(OTHER_STATES.iter())
        .find(|s| s.eq_ignore_ascii_case(state.trim()))
        .copied()
        .unwrap_or("Unknown")
}

/// Java's `GroupType.parse(s).toString()`.
fn canonical_type(group_type: &str) -> &'static str {
    GROUP_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(group_type.trim()))
        .copied()
        .unwrap_or("Unknown")
}

/// `--state` values: comma-separated, case-insensitive consumer-group states.
fn parse_states(value: &str) -> ActionResult<Vec<String>> {
    let mut states = Vec::new();
    for s in value.split(',') {
        let state = canonical_state(s);
        if !CONSUMER_GROUP_STATES.contains(&state) {
            return Err(Failure::Usage(format!(
                "Invalid state list '{value}'. Valid states are: {}",
                CONSUMER_GROUP_STATES.join(", ")
            )));
        }
        if !states.iter().any(|known| known == state) {
            states.push(state.to_string());
        }
    }
    Ok(states)
}

/// `--type` values: `classic` and/or `consumer`, case-insensitive.
fn parse_types(value: &str) -> ActionResult<Vec<String>> {
    let mut types = Vec::new();
    for t in value.to_lowercase().split(',') {
        let group_type = canonical_type(t);
        if group_type != "Classic" && group_type != "Consumer" {
            return Err(Failure::Usage(format!(
                "Invalid types list '{value}'. Valid types are: Consumer, Classic"
            )));
        }
        if !types.iter().any(|known| known == group_type) {
            types.push(group_type.to_string());
        }
    }
    Ok(types)
}

/// The optional value of `--state`/`--type`: absent or empty means "no filter".
fn filter_value(option: &Option<Option<String>>) -> Option<&str> {
    option.as_ref()?.as_deref().filter(|v| !v.is_empty())
}

/// The consumer groups of every broker in the order Apache prints them: Java's admin client
/// collects them in a `HashMap` keyed by group id (broker order within a bucket).
pub async fn list_groups(
    context: &Context,
    states: &[String],
    types: &[String],
) -> ActionResult<Vec<ListedGroup>> {
    let groups = ConsumerGroups::new(&context.cluster)
        .list(states, types)
        .await?;
    Ok(hash_map_order(groups, |g| string_hash(&g.group_id)))
}

pub async fn run(context: &mut Context) -> ActionResult {
    let args = &context.args;
    let include_type = args.group_type.is_some();
    let include_state = args.state.is_some();
    let types = match filter_value(&args.group_type) {
        Some(value) => parse_types(value)?,
        // Java's forConsumerGroups(): classic and consumer groups only, unless a filtered
        // listing replaced the types (with none, when --type has no value or is absent).
        None if !include_type && !include_state => {
            vec!["Classic".to_string(), "Consumer".to_string()]
        }
        None => Vec::new(),
    };
    let states = filter_value(&args.state)
        .map(parse_states)
        .transpose()?
        .unwrap_or_default();
    let groups = list_groups(context, &states, &types).await?;
    let json = context.args.json();
    let text = if json {
        json::list(&groups)
    } else if !include_type && !include_state {
        groups.iter().map(|g| format!("{}\n", g.group_id)).collect()
    } else {
        table(&groups, include_type, include_state)
    };
    context.out.print(&text);
    Ok(())
}

/// The table Apache's `printGroupInfo` prints (cells padded, so lines end in spaces).
fn table(groups: &[ListedGroup], include_type: bool, include_state: bool) -> String {
    let group_width = groups
        .iter()
        .map(|g| super::text::java_len(&g.group_id).max(MIN_GROUP_WIDTH))
        .max()
        .unwrap_or(MIN_GROUP_WIDTH)
        + GROUP_PADDING;
    let line = |group: &str, group_type: &str, state: &str| {
        let mut line = pad(group, group_width);
        if include_type {
            line.push(' ');
            line.push_str(&pad(group_type, COLUMN_WIDTH));
        }
        if include_state {
            line.push(' ');
            line.push_str(&pad(state, COLUMN_WIDTH));
        }
        line.push('\n');
        line
    };
    let mut out = line("GROUP", "TYPE", "STATE");
    for g in groups {
        out.push_str(&line(
            &g.group_id,
            canonical_type(g.group_type.as_deref().unwrap_or_default()),
            canonical_state(g.state.as_deref().unwrap_or_default()),
        ));
    }
    out
}

/// The type and state of a listed group as printed (`Unknown` when the broker did not say).
pub fn listed_type_and_state(group: &ListedGroup) -> (&'static str, &'static str) {
    (
        canonical_type(group.group_type.as_deref().unwrap_or_default()),
        canonical_state(group.state.as_deref().unwrap_or_default()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, state: &str) -> ListedGroup {
        ListedGroup {
            group_id: id.into(),
            protocol_type: "consumer".into(),
            state: Some(state.into()),
            group_type: Some("classic".into()),
        }
    }

    #[test]
    fn table_layout() {
        assert_eq!(
            table(&[listed("my-group", "Stable")], false, true),
            "GROUP                     STATE               \n\
             my-group                  Stable              \n"
        );
        assert_eq!(
            table(&[], true, false),
            "GROUP                     TYPE                \n"
        );
    }

    #[test]
    fn filters() {
        assert_eq!(
            parse_states("stable, EMPTY").ok(),
            Some(vec!["Stable".into(), "Empty".into()])
        );
        assert!(parse_states("bogus").is_err());
        assert_eq!(parse_types("CLASSIC").ok(), Some(vec!["Classic".into()]));
        assert!(parse_types("share").is_err());
    }
}
