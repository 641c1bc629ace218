//! Java `HashMap<String, _>` iteration order, which Apache's tools print in where their output
//! is "unspecified" (e.g. `kafka-topics --describe` over several topics). Reproducing it keeps
//! multi-topic output byte-identical to Apache's.

/// Java's `String.hashCode` over UTF-16 code units.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `HashMap.hash`: the high bits folded into the low ones.
fn spread(h: i32) -> u32 {
    let h = h as u32;
    h ^ (h >> 16)
}

/// The order a `new HashMap<>()` filled with `keys` (in this insertion order) iterates them:
/// by bucket, then insertion order within a bucket; the table starts at 16 and doubles when the
/// size exceeds three quarters of it.
pub fn hash_map_order(keys: Vec<String>) -> Vec<String> {
    const DEFAULT_CAPACITY: usize = 16;
    order_with_capacity(keys, DEFAULT_CAPACITY)
}

/// `HashMap.tableSizeFor`: the next power of two.
fn table_size_for(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// The table size of a `new HashMap<>(n)` once `n` keys are in.
fn sized_capacity(n: usize) -> usize {
    table_size_for(n)
}

/// The table size of a `new HashMap<>(map)` copying `n` entries (`(float) n / 0.75f + 1`).
fn copy_capacity(n: usize) -> usize {
    const LOAD_FACTOR: f32 = 0.75;
    let wanted = (n as f32 / LOAD_FACTOR + 1.0) as usize;
    table_size_for(wanted)
}

/// The order in which Kafka's admin client hands back topic descriptions by name
/// (`DescribeTopicsResult.allTopicNames()`): the sorted names go into a `new HashMap<>(n)` of
/// futures, that is copied (`new HashMap<>(futures)`), and the results are collected into
/// another `new HashMap<>(n)`. Each map keeps the previous one's order within a bucket.
pub fn admin_topic_order(sorted_names: Vec<String>) -> Vec<String> {
    let n = sorted_names.len();
    let futures = order_with_capacity(sorted_names, sized_capacity(n));
    let copied = order_with_capacity(futures, copy_capacity(n));
    order_with_capacity(copied, sized_capacity(n))
}

fn order_with_capacity(keys: Vec<String>, initial: usize) -> Vec<String> {
    let mut capacity = initial;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut indexed: Vec<(usize, usize, String)> = keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| ((spread(string_hash(&k)) as usize) & (capacity - 1), i, k))
        .collect();
    indexed.sort_by_key(|(bucket, insertion, _)| (*bucket, *insertion));
    indexed.into_iter().map(|(_, _, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("orders"), -1008770331);
    }

    #[test]
    fn order_is_by_bucket() {
        // "a" (97 -> bucket 1) comes before "b" (98 -> bucket 2) whatever the insertion order.
        assert_eq!(
            hash_map_order(vec!["b".into(), "a".into()]),
            vec!["a".to_string(), "b".to_string()]
        );
    }

    #[test]
    fn admin_topic_order_matches_apache() {
        // Recorded from Apache Kafka 4.4's kafka-topics --describe.
        let cases: [(&str, &[&str], &[&str]); 2] = [
            (
                "g45e15034-multi-",
                &["alpha", "beta", "delta", "epsilon", "gamma", "zeta"],
                &["zeta", "alpha", "beta", "epsilon", "delta", "gamma"],
            ),
            (
                "ge00b6253-",
                &["cfg", "minisr", "orders"],
                &["orders", "cfg", "minisr"],
            ),
        ];
        for (prefix, sorted, expected) in cases {
            let names = sorted.iter().map(|n| format!("{prefix}{n}")).collect();
            let order: Vec<String> = admin_topic_order(names)
                .into_iter()
                .map(|n| n[prefix.len()..].to_string())
                .collect();
            assert_eq!(order, expected);
        }
    }
}
